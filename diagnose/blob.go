package diagnose

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/regdoctor/regdoctor/checks"
)

// blobRefusal says how the config download redirected to storage on
// another origin failed there, or "".
func (f facts) blobRefusal() string {
	b := f.blob()
	if b == nil {
		return ""
	}
	return storageRefusal(b.Get, b.Storage)
}

// storageRefusal says how a download redirected to storage failed
// there, or "".
func storageRefusal(x *checks.Exchange, storage string) string {
	if !checks.StorageFailed(x, storage) {
		return ""
	}
	if x.Error != "" {
		return fmt.Sprintf("%s (%s)", withoutURL(x.Error), x.ErrorKind)
	}
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

// ruleBlob: the manifest resolves but the image configuration (or, for
// an index, the platform's manifest) does not download, so the pull
// fails at its first blob.
func ruleBlob(f facts) []Diagnosis {
	b := f.blob()
	if b == nil {
		return nil
	}
	if x := b.Manifest; x != nil && x.Error == "" && x.Status != http.StatusOK {
		return blobAnswer(f, fmt.Sprintf("the %s manifest the index names", b.Platform), x)
	}
	if why := f.blobRefusal(); why != "" {
		return one(storageDiagnosis(f, "the image configuration", b.Get, b.Storage, why))
	}
	if b.Mismatch {
		return one(corruptBlob(f, "The image configuration "+b.Digest, b.Bytes, b.Storage))
	}
	if x := b.Get; x != nil && x.Error == "" && x.Status != http.StatusOK && b.Storage == "" {
		return blobAnswer(f, "the image configuration "+b.Digest, x)
	}
	return nil
}

// ruleLayers: a layer the manifest names cannot be downloaded.
func ruleLayers(f facts) []Diagnosis {
	l := f.failedLayer()
	if l == nil {
		return nil
	}
	what := "layer " + l.Digest
	switch why := storageRefusal(l.Get, l.Storage); {
	case why != "":
		return one(storageDiagnosis(f, what, l.Get, l.Storage, why))
	case l.Mismatch:
		return one(corruptBlob(f, "Layer "+l.Digest, int(l.Get.Bytes), l.Storage))
	case l.Get.Error == "":
		return blobAnswer(f, what, l.Get)
	}
	return nil // a transport failure: the failed-step rule names it
}

// blobAnswer diagnoses the registry's own refusal of a blob (or a
// platform manifest) the manifest names: missing, or not allowed.
func blobAnswer(f facts, what string, x *checks.Exchange) []Diagnosis {
	at := fmt.Sprintf("GET %s answered %s", x.URL, x.Outcome())
	switch {
	case x.Status == http.StatusNotFound || x.HasCode(checks.ErrCodeBlobUnknown) || x.HasCode(checks.ErrCodeManifestUnknown):
		rem := fixOf(BlobUnknown, fixArgs{t: f.t, g: groups{"product": f.rep.Product.Name}})
		return one(newDiagnosis(BlobUnknown,
			fmt.Sprintf("%s resolves %s, but %s is not there: %s. Clients fail the pull at that blob.", f.t.Registry, f.t.ImageRef(), what, at), rem...))
	case x.Status == http.StatusUnauthorized || x.Status == http.StatusForbidden:
		detail := fmt.Sprintf("The manifest of %s downloads, but %s is refused: %s. The token or credentials that read the manifest do not cover the blob.", f.t.ImageRef(), what, at)
		return one(newDiagnosis(AccessDenied, detail,
			"The registry grants the manifest but not its blobs: on Harbor and Artifactory check the project's or repository's permissions for blobs (some set-ups scope them per repository the blob was first pushed to); on Nexus, that the role has read on every repository of the group.",
			"A proxy in front may route /v2/*/blobs/ to another backend or require other credentials there: check its routes for the blob paths."))
	}
	return nil // other statuses: the failed-step rule names them
}

// storageDiagnosis: a download the registry sent to storage on another
// origin failed there.
func storageDiagnosis(f facts, what string, x *checks.Exchange, storage, why string) Diagnosis {
	detail := fmt.Sprintf("%s resolves %s, but sends blob downloads to %s, and the download of %s there failed: %s. Pulls fail at that blob. (GET %s)",
		f.t.Registry, f.t.Reference, storage, what, why, x.RedirectedTo)
	rem := fixOf(BlobStorageUnreachable, fixArgs{t: f.t, g: groups{"storage": storage}})[:2] // the third guesses at a 403; the cases below know
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
	return newDiagnosis(BlobStorageUnreachable, detail, rem...)
}

// corruptBlob: the bytes served do not hash to the digest that names them.
func corruptBlob(f facts, what string, n int, storage string) Diagnosis {
	via := ""
	if storage != "" {
		via = " from " + storage
	}
	return newDiagnosis(BlobCorrupt,
		fmt.Sprintf("%s downloads (%d bytes%s), but its content does not hash to that digest: every client verifies it and refuses the pull.", what, n, via),
		fixOf(BlobCorrupt, fixArgs{t: f.t})...)
}
