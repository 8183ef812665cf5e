//go:build integration

package integration

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regdoctor/regdoctor/fixtures"
	"github.com/regdoctor/regdoctor/fixtures/fixturetest"
)

// TestPullCorpus runs real `skopeo copy` and `podman pull` against every
// fixture in fixtures.PullFaults(), checks what they did against the
// outcome recorded in pullCorpus, and then asks regdoctor: its `healthy`
// must be exactly podman's real outcome. The clients' half proves the
// fixtures (and the recorded truth) on every run; the regdoctor half fails,
// one error per scenario, wherever the diagnosis disagrees with podman.

// pullTruth is what the real clients did with one fixture, as recorded by
// running them. A message is a substring of the client's last error line,
// with the fixture's host:port written HOST and any other port PORT.
type pullTruth struct {
	skopeo string // "" means skopeo copy succeeds
	podman string // "" means podman pull succeeds
	// clientSpecific says why skopeo and podman disagree; required when
	// they do.
	clientSpecific string
}

// hung is how a client that had to be killed is recorded.
const hung = "killed after"

// pullCorpus is what skopeo 1.9.3 (`copy` to dir:) and podman 4.3.1
// (`pull`) did with each fixture, recorded from real runs; "" is a pull.
var pullCorpus = map[string]pullTruth{
	// The manifest request goes wrong. skopeo gives up at its
	// --command-timeout; podman pull has no timeout and waits until killed.
	"manifest-stall":                {skopeo: `manifests/latest": context deadline exceeded`, podman: hung},
	"manifest-continue-stall":       {skopeo: `manifests/latest": context deadline exceeded`, podman: hung},
	"manifest-bad-gzip":             {skopeo: "initializing source docker://HOST/library/redis:latest: gzip: invalid header", podman: "gzip: invalid header"},
	"manifest-redirect-dead-port":   {skopeo: deadPortManifest, podman: deadPortManifest},
	"manifest-redirect-no-location": {skopeo: "reading manifest latest in HOST/library/redis: received unexpected HTTP status: 302 Found", podman: "received unexpected HTTP status: 302 Found"},
	"manifest-gone":                 {skopeo: "reading manifest latest in HOST/library/redis: StatusCode: 410, <html>", podman: "StatusCode: 410, <html>"},
	"manifest-listed-tag-404":       {skopeo: "reading manifest latest in HOST/library/redis: manifest unknown", podman: "reading manifest latest in HOST/library/redis: manifest unknown"},
	// skopeo fetches the layer first, podman the config: both are refused.
	"blob-forbidden":      {skopeo: "reading blob sha256: … Error fetching blob: invalid status code from registry 403 (Forbidden)", podman: "parsing image configuration: Error fetching blob: invalid status code from registry 403 (Forbidden)"},
	"index-child-missing": {skopeo: childMissing, podman: childMissing},
	"token-not-found":     {skopeo: "Requesting bearer token: invalid status code from registry 404 (Not Found)", podman: "Requesting bearer token: invalid status code from registry 404 (Not Found)"},
	// No token in the answer: the manifest request goes without one and
	// gets the registry's 401.
	"token-missing-field": {skopeo: "reading manifest latest in HOST/library/redis: unauthorized", podman: "reading manifest latest in HOST/library/redis: unauthorized"},
	"token-bad-issued-at": {skopeo: `initializing source docker://HOST/library/redis:latest: parsing time … cannot parse "yesterday`, podman: `parsing time … cannot parse "yesterday`},

	// A blob goes wrong.
	"layer-missing":  {skopeo: blob404, podman: blob404},
	"config-missing": {skopeo: "reading config blob sha256: … Error fetching blob: invalid status code from registry 404 (Not Found)", podman: "parsing image configuration: Error fetching blob: invalid status code from registry 404 (Not Found)"},
	"layer-corrupt":  {skopeo: "writing blob: happened during read: Digest did not match, expected sha256:", podman: "writing blob: setting up to decompress blob: happened during read: Digest did not match, expected sha256:"},
	"config-corrupt": {skopeo: "reading config blob sha256: … Download config.json digest sha256: … does not match expected sha256:", podman: "parsing image configuration: Download config.json digest sha256: … does not match expected sha256:"},
	// containers/image reads a 401 on a blob as refused credentials.
	"layer-unauthorized": {skopeo: blob401, podman: blob401},
	"layer-forbidden":    {skopeo: blob403, podman: blob403},
	"layer-storage-dead": {skopeo: deadStorage, podman: deadStorage},
	"layer-truncated":    {skopeo: "writing blob: happened during read: unexpected EOF", podman: "happened during read: unexpected EOF"},
	// Neither client compares the blob with the descriptor's size.
	"layer-size-mismatch": {},

	// The manifest answer is not one clients accept.
	"manifest-html":         {skopeo: notJSON, podman: notJSON},
	"manifest-empty-object": {skopeo: `unsupported docker v2s2 media type: ""`, podman: `unsupported docker v2s2 media type: ""`},
	// Client-specific: skopeo copy to dir: pulls, podman pull fails.
	// skopeo takes the OCI Content-Type's word and copies the manifest and
	// blobs as they are; podman must read the config as an image, and an
	// OCI manifest with a Docker config media type is an artifact to it:
	// "Error: parsing image configuration: unsupported image-specific
	// operation on artifact with type "application/vnd.docker.container.image.v1+json"".
	"manifest-content-type-mismatch": {podman: `parsing image configuration: unsupported image-specific operation on artifact with type "application/vnd.docker.container.image.v1+json"`,
		clientSpecific: "skopeo copy to dir: pulls; podman pull must use the config as an image's and refuses an artifact"},
	// An unknown Content-Type, text/plain or none at all: containers/image
	// falls back to parsing the body as schema 1.
	"manifest-unknown-media-type": {skopeo: schema1Fallback, podman: schema1Fallback},
	"manifest-digest-mismatch":    {skopeo: "Manifest does not match provided manifest digest sha256:", podman: "Manifest does not match provided manifest digest sha256:"},
	// On a pull by tag containers/image computes the digest itself and
	// never reads Docker-Content-Digest.
	"manifest-header-digest-mismatch": {},
	"manifest-text-plain":             {skopeo: schema1Fallback, podman: schema1Fallback},
	"manifest-no-content-type":        {skopeo: schema1Fallback, podman: schema1Fallback},

	// The platform is not there.
	"index-arm64-only": {skopeo: noAMD64, podman: noAMD64},
	"index-empty":      {skopeo: noAMD64, podman: noAMD64},

	// Unusual, and both clients pull.
	"huge-headers":                  {},
	"huge-token-body":               {},
	"v2-large-body":                 {},
	"v2-endless-body":               {},
	"v2-redirect-no-slash":          {},
	"v2-redirect-307-200":           {},
	"v2-redirect-308-401":           {},
	"v2-200-no-api-header":          {},
	"v2-401-no-api-header":          {},
	"opaque-token":                  {},
	"manifest-head-500":             {},
	"challenge-service-first":       {},
	"challenge-lowercase-scheme":    {},
	"token-access-token-only":       {},
	"manifest-content-type-charset": {},
	"tags-list-500":                 {},
	"manifest-redirect-cdn":         {},
	"blob-redirect-chain":           {},
	// Go's transport asked for gzip, so it undoes the extra layer itself.
	"layer-double-gzip": {},
}

// Messages both clients print.
const (
	deadPortManifest = `Get "https://127.0.0.1:PORT/v2/library/redis/manifests/latest": dial tcp 127.0.0.1:PORT: connect: connection refused`
	childMissing     = "copying system image from manifest list: determining manifest MIME type for docker://HOST/library/redis:latest: reading manifest sha256: … in HOST/library/redis: manifest unknown"
	blob404          = "reading blob sha256: … Error fetching blob: invalid status code from registry 404 (Not Found)"
	blob401          = "reading blob sha256: … unable to retrieve auth token: invalid username/password: errors: denied: requested access to the resource is denied unauthorized"
	blob403          = "reading blob sha256: … Error fetching blob: invalid status code from registry 403 (Forbidden)"
	deadStorage      = `reading blob sha256: … Get "https://localhost:PORT/storage/library/redis/blobs/sha256: … dial tcp 127.0.0.1:PORT: connect: connection refused`
	notJSON          = "initializing image from source docker://HOST/library/redis:latest: invalid character '<' looking for beginning of value"
	schema1Fallback  = "initializing image from source docker://HOST/library/redis:latest: unsupported schema version 2"
	noAMD64          = `choosing an image from manifest list docker://HOST/library/redis:latest: no image found in image index for architecture amd64, variant "", OS linux`
)

// The corpus's clients get shorter bounds than the rest of the suite:
// 50 fixtures, a few of which stall on purpose.
const (
	corpusSkopeoTimeout = 15 * time.Second // skopeo's own --command-timeout
	corpusSkopeoKill    = 30 * time.Second
	corpusPodmanKill    = 30 * time.Second // podman pull has no timeout of its own
)

func TestPullCorpus(t *testing.T) {
	requireBinaries(t, "skopeo", "podman")
	scenarios := fixtures.PullFaults()
	for name := range pullCorpus {
		if !slices.ContainsFunc(scenarios, func(s fixtures.Scenario) bool { return s.Name == name }) {
			t.Errorf("pullCorpus row %q names no fixture", name)
		}
	}
	for _, sc := range scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			runPullCorpus(t, sc)
		})
	}
}

// pullOutcome is one client's result: pulled, or the last line it printed.
type pullOutcome struct {
	pulled bool
	last   string
}

func (o pullOutcome) String() string {
	if o.pulled {
		return "ok"
	}
	return o.last
}

var (
	otherPort = regexp.MustCompile(`(127\.0\.0\.1|localhost):\d+`)
	timing    = regexp.MustCompile(`\b\d+(\.\d+)?(ms|µs|s)\b`)
)

// outcomeOf reads a client's result, with ports normalized.
func outcomeOf(res cmdResult, host string) pullOutcome {
	if res.err == nil && res.exitCode == 0 {
		return pullOutcome{pulled: true}
	}
	last := lastError(res.stderr)
	if res.err != nil {
		last = fmt.Sprintf("%s %s (last output: %s)", hung, timing.FindString(res.err.Error()), last)
	}
	last = strings.ReplaceAll(last, host, "HOST")
	return pullOutcome{last: otherPort.ReplaceAllString(last, "$1:PORT")}
}

var logrusFatal = regexp.MustCompile(`(?m)level=fatal msg=("(?:[^"\\]|\\.)*")\s*$`)

// lastError is the error a client ended with, on one line: skopeo's last
// logrus msg="…" unquoted, podman's last "Error: …" (both may span lines,
// an HTML error page for one), or else the last line printed.
func lastError(stderr string) string {
	var msg string
	if m := logrusFatal.FindAllStringSubmatch(stderr, -1); m != nil {
		msg, _ = strconv.Unquote(m[len(m)-1][1])
	} else if i := strings.LastIndex(stderr, "Error: "); i >= 0 {
		msg = stderr[i:]
	} else {
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		msg = lines[len(lines)-1]
	}
	return strings.Join(strings.Fields(msg), " ")
}

// matches says whether the outcome is the recorded one: "" for a pull,
// else an error containing want's parts (separated by " … ") in order.
func (o pullOutcome) matches(want string) bool {
	if want == "" || o.pulled {
		return want == "" && o.pulled
	}
	rest := o.last
	for _, part := range strings.Split(want, " … ") {
		i := strings.Index(rest, part)
		if i < 0 {
			return false
		}
		rest = rest[i+len(part):]
	}
	return true
}

func runPullCorpus(t *testing.T, sc fixtures.Scenario) {
	truth, recorded := pullCorpus[sc.Name]
	if !recorded {
		t.Errorf("%s: no recorded truth in pullCorpus; add the outcomes logged below", sc.Name)
	}
	if (truth.skopeo == "") != (truth.podman == "") && truth.clientSpecific == "" {
		t.Errorf("%s: table error: skopeo and podman disagree without a clientSpecific explanation", sc.Name)
	}
	reg := fixturetest.Start(t, sc.Name)
	env := newClientEnv(t).withEnv(offlineProxy(t)...)
	authFile := reg.AuthFile
	if authFile == "" {
		// Every client gets the same, empty, auth file.
		authFile = filepath.Join(t.TempDir(), "auth.json")
		writeFile(t, authFile, `{"auths":{}}`)
	}
	if reg.CertDir == "" {
		t.Fatalf("%s: every pull fault is HTTPS with a trusted CA", sc.Name)
	}

	// skopeo and podman run side by side: both may stall for their bound.
	var sk cmdResult
	var wg sync.WaitGroup
	dest := filepath.Join(t.TempDir(), "image")
	wg.Go(func() {
		sk = env.run(corpusSkopeoKill, "skopeo", "--command-timeout", corpusSkopeoTimeout.String(),
			"--policy", env.policy, "--registries-conf", env.regConf,
			"copy", "--src-cert-dir", reg.CertDir, "--src-authfile", authFile,
			"docker://"+reg.Target, "dir:"+dest)
	})
	pm := env.podmanWithin(t, corpusPodmanKill, "pull", "--cert-dir", reg.CertDir, "--authfile", authFile, reg.Target)
	wg.Wait()
	skopeo, podman := outcomeOf(sk, reg.Host), outcomeOf(pm, reg.Host)
	t.Logf("skopeo:\n%s", sk)
	t.Logf("podman:\n%s", pm)
	t.Logf("CORPUS | %s | %s | %s", sc.Name, skopeo, podman)
	if recorded && !skopeo.matches(truth.skopeo) {
		t.Errorf("%s: skopeo %s, recorded %s", sc.Name, skopeo, orOK(truth.skopeo))
	}
	if recorded && !podman.matches(truth.podman) {
		t.Errorf("%s: podman %s, recorded %s", sc.Name, podman, orOK(truth.podman))
	}

	// regdoctor's verdict against what podman really did.
	bin := requireRegdoctor(t)
	args := []string{bin, "check", "--client", "podman", "-o", "json", "--timeout", "5s",
		"--cert-dir", reg.CertDir, "--authfile", authFile, "--sysroot", t.TempDir()}
	args = append(args, withoutClient(sc.Args)...)
	res := env.run(regdoctorTimeout, append(args, reg.Target)...)
	var rep report
	switch err := json.Unmarshal([]byte(res.stdout), &rep); {
	case res.err != nil || (res.exitCode != 0 && res.exitCode != 1) || err != nil:
		t.Errorf("%s: regdoctor gave no verdict (exit %d, %v, %v); podman pulled=%v (%s)\n%s",
			sc.Name, res.exitCode, res.err, err, podman.pulled, podman, res)
	case rep.Healthy != podman.pulled:
		t.Errorf("%s: regdoctor says healthy=%v (errors %v, expected codes %v), but podman pulled=%v (%s)",
			sc.Name, rep.Healthy, rep.ofSeverity("error", "warning"), sc.Expect, podman.pulled, podman)
	}
}

func orOK(want string) string {
	if want == "" {
		return "ok"
	}
	return "an error with " + fmt.Sprintf("%q", want)
}

// withoutClient drops --client from a scenario's arguments: the corpus
// always judges podman, whose pull it has just watched.
func withoutClient(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		if args[i] == "--client" {
			i++
			continue
		}
		out = append(out, args[i])
	}
	return out
}
