package diagnose

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/regdoctor/regdoctor/checks"
)

// blobRefusal says how a blob download redirected to storage on another
// origin failed there, or "".
func (f facts) blobRefusal() string {
	b := f.blob()
	if b == nil || b.Get == nil || b.Storage == "" {
		return ""
	}
	x := b.Get
	if x.Error != "" {
		return fmt.Sprintf("%s (%s)", withoutURL(x.Error), x.ErrorKind)
	}
	if x.Status != http.StatusOK {
		s := fmt.Sprintf("%d %s", x.Status, http.StatusText(x.Status))
		if code := storageErrorCode(x.Body); code != "" {
			s += " (" + code
			if _, msg, ok := strings.Cut(x.Body, "<Message>"); ok {
				msg, _, _ = strings.Cut(msg, "</Message>")
				s += ": " + msg
			}
			s += ")"
		}
		return s
	}
	return ""
}

// withoutURL drops the `Get "URL": ` Go puts before a request's error,
// where the message names the URL already.
func withoutURL(err string) string {
	if strings.HasPrefix(err, `Get "`) {
		if _, rest, ok := strings.Cut(err, `": `); ok {
			return rest
		}
	}
	return err
}

// storageErrorCode is the <Code> of an S3-style XML error body, which the
// exchange keeps the start of.
func storageErrorCode(body string) string {
	_, rest, ok := strings.Cut(body, "<Code>")
	if !ok {
		return ""
	}
	code, _, _ := strings.Cut(rest, "</Code>")
	return code
}

// ruleBlob: the manifest resolves but the image configuration does not
// download, so the pull fails at its first blob.
func ruleBlob(f facts) []Diagnosis {
	b := f.blob()
	if b == nil {
		return nil
	}
	if why := f.blobRefusal(); why != "" {
		x := b.Get
		detail := fmt.Sprintf("%s resolves %s, but sends blob downloads to %s, and the download of the image configuration there failed: %s. Pulls fail at the first blob. (GET %s)",
			f.t.Registry, f.t.Reference, b.Storage, why, x.RedirectedTo)
		rem := []string{
			"Let clients reach " + b.Storage + ": a firewall or proxy allow-list that names the registry must name its storage host too, and NO_PROXY must not send one through a proxy that cannot reach it.",
			"Or have the registry serve blobs itself: distribution `storage: redirect: disable: true`, Harbor `storage_service: redirect: disable: true` (Helm `persistence.imageChartStorage.disableredirect`), Nexus and Artifactory proxying blob downloads instead of redirecting.",
		}
		switch code := storageErrorCode(x.Body); {
		case code == "NoSuchKey" || x.Status == http.StatusNotFound:
			rem = append([]string{"Storage answers, but holds no object for this blob: the registry's storage lost it (a lifecycle rule on the bucket, a cleanup, a restore from an older backup) or the registry points at another bucket or prefix than it wrote to. Push the image again, and check the bucket's lifecycle rules and the registry's storage settings."}, rem...)
		case code == "RequestTimeTooSkewed" || code == "AccessDenied" && strings.Contains(x.Body, "expired"):
			rem = append([]string{"The pre-signed URL was refused as expired or from the future: check the clocks of the registry and of this machine (`timedatectl`)."}, rem...)
		case code == "SignatureDoesNotMatch" || code == "AccessDenied" || x.Status == http.StatusForbidden:
			rem = append([]string{"Storage refused the pre-signed URL: a proxy that rewrites or strips the query string, or registry storage credentials without read rights on the bucket, are the usual causes."}, rem...)
		case x.ErrorKind == checks.KindUnknownCA:
			rem = append([]string{"The storage host's certificate is not trusted here: a TLS-inspecting proxy, or a private object store whose CA must be installed system-wide (certs.d applies to the registry's host only)."}, rem...)
		}
		return one(newDiagnosis("blob-storage-unreachable", detail, rem...))
	}
	if b.Mismatch {
		return one(newDiagnosis("registry-misbehaving",
			fmt.Sprintf("The image configuration %s downloads (%d bytes%s), but its content does not hash to that digest: clients reject it.", b.Digest, b.Bytes, storageVia(b)),
			"A proxy or cache that alters content, or corrupt storage: compare `curl -sL` of the blob with its digest, and check the proxy (no gzip or body rewriting for /v2/)."))
	}
	if x := b.Get; x != nil && x.Status == http.StatusNotFound && b.Storage == "" {
		return one(newDiagnosis("registry-misbehaving",
			fmt.Sprintf("%s resolves %s, but the image configuration it names, %s, is not there (%s): the manifest outlived its blobs.", f.t.Registry, f.t.Reference, b.Digest, codesOf(x)),
			"A pull-through cache that stored the manifest but not the blobs (its upstream failed mid-pull), or a garbage collection run while the manifest was being pushed: push the image again, or purge the cache entry.",
			"distribution: run `registry garbage-collect` only with the registry read-only or stopped."))
	}
	return nil
}

func storageVia(b *checks.BlobEvidence) string {
	if b.Storage == "" {
		return ""
	}
	return " from " + b.Storage
}
