package diagnose

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/regdoctor/regdoctor/checks"
)

// Rules for the registry API: is it one, does it answer as one, what it
// serves. The content rules come after auth's: a repository, a tag or a
// blob can only be judged once the token is had. Their helpers live in
// suggest.go (tags), blob.go, manifest.go and mediatype.go.

var (
	apiRules     = []rule{ruleNotARegistry, ruleMisbehaving, ruleRateLimited}
	contentRules = []rule{ruleRepoAndTag, ruleHeadGet, ruleBlob, ruleLayers, ruleManifestInvalid, ruleMediaType, rulePlatform}
)

func ruleNotARegistry(f facts) []Diagnosis {
	for _, p := range []*checks.PingEvidence{f.https(), f.http()} {
		if p == nil || p.Exchange == nil || p.Error != "" || p.RegistryAPI || p.Status == 0 {
			continue
		}
		if p.Status == http.StatusTooManyRequests || p.Status >= 500 || (p.Status >= 300 && p.Status < 400) {
			continue
		}
		if p == f.http() && !f.portSpeaksHTTP() {
			continue // the HTTPS side decides; plain HTTP on a TLS port is just an error page
		}
		if p == f.https() && f.clientCertRefusal() != "" {
			continue // the proxy's page is about the missing certificate
		}
		detail := fmt.Sprintf("%s answered %d (%s) without the Docker-Distribution-API-Version header", p.URL, p.Status, orNone(p.Shown("Content-Type")))
		return one(newDiagnosis(NotARegistry, detail+serverOf(p.Exchange)+".", notARegistryRemedies(f, p.Exchange, p.URL)...))
	}
	return notARegistryPage(f)
}

// notARegistryPage: clients accept any 200 on /v2/ (Exchange.PingAccepted),
// a web UI's page included, and fail only when they read the page where the
// manifest should be (containers/image takes an unknown Content-Type for
// schema 1 and cannot parse it, as skopeo 1.9 shows: "Error parsing
// manifest for image: invalid character '<'"; go-containerregistry and
// docker refuse the media type). That is where it is not-a-registry; a page
// on /v2/ alone is only a note.
func notARegistryPage(f facts) []Diagnosis {
	if m := f.manifest(); m != nil && m.Get != nil && isPage(m.Get) && (m.Get.Status == http.StatusOK && f.pagePing() || f.pagesOnly()) {
		return one(newDiagnosis(NotARegistry,
			fmt.Sprintf("GET %s answered %d with a web page (%s)%s, not a manifest: clients take the 200 on /v2/ for a registry, then fail to read the page as a manifest.", m.URL, m.Get.Status, orNone(m.Get.Shown("Content-Type")), serverOf(m.Get)),
			notARegistryRemedies(f, m.Get, strings.SplitN(m.URL, "/v2/", 2)[0]+"/v2/")...))
	}
	p := f.endpointPing()
	if p == nil || f.manifest() != nil || !f.pagePing() {
		return nil
	}
	if p == f.http() {
		// HTTPS failed, so clients fail before they get here; the page
		// says why, where plain-http-registry would only suggest insecure.
		return one(newDiagnosis(NotARegistry,
			fmt.Sprintf("HTTPS does not answer, and %s answered 200 with a web page (%s)%s and no Docker-Distribution-API-Version header.", p.URL, orNone(p.Shown("Content-Type")), serverOf(p.Exchange)),
			notARegistryRemedies(f, p.Exchange, p.URL)...))
	}
	return one(newDiagnosis(NotARegistry,
		fmt.Sprintf("%s answered 200 with a web page (%s)%s and no Docker-Distribution-API-Version header. Clients accept any 200 there, so nothing fails until a pull asks for a manifest; check an image reference to see whether one is served.", p.URL, orNone(p.Shown("Content-Type")), serverOf(p.Exchange)),
		notARegistryRemedies(f, p.Exchange, p.URL)...).withSeverity(Info))
}

func (f facts) endpointPing() *checks.PingEvidence {
	ep, ok := f.endpoint()
	if !ok {
		return nil
	}
	return ep.Ping
}

// pagePing: the ping the clients accepted was a 200 web page without the
// registry API header.
func (f facts) pagePing() bool {
	p := f.endpointPing()
	return p != nil && p.Status == http.StatusOK && !p.HasAPIHeader() && isPage(p.Exchange)
}

// webSite: /v2/ was a web page and nothing says otherwise: no manifest was
// asked for, or its answer was a page too.
func (f facts) webSite() bool {
	m := f.manifest()
	return f.pagePing() && (m == nil || m.Get == nil || isPage(m.Get))
}

// pagesOnly: /v2/ was a web page and so is the manifest's answer, whatever
// its status: a web site answers, and its 404 says nothing of repositories.
func (f facts) pagesOnly() bool {
	m := f.manifest()
	return f.pagePing() && m != nil && m.Get != nil && isPage(m.Get)
}

// isPage: the answer is an HTML page, whose start the evidence kept.
func isPage(x *checks.Exchange) bool {
	return x.Body != "" && strings.Contains(strings.ToLower(x.Header("Content-Type")), "html")
}

func serverOf(x *checks.Exchange) string {
	if srv := x.Shown("Server"); srv != "" {
		return ", Server: " + srv
	}
	return ""
}

func notARegistryRemedies(f facts, x *checks.Exchange, pingURL string) []string {
	rem := []string{"Use the address and port of the registry API, not of a web page: `curl -i " + pingURL + "` must answer 200 or 401 with `Docker-Distribution-API-Version: registry/2.0`."}
	if f.rep.Product.Name == "Nexus" || strings.Contains(strings.ToLower(x.Header("Server")), "nexus") {
		rem = append(rem, "Nexus: port 8081 is the web UI. Give the docker repository an HTTP or HTTPS connector port (Repository → your docker repo → Repository Connectors), or route /v2/ to it in the reverse proxy, and use that port.")
	}
	return rem
}

func ruleMisbehaving(f facts) []Diagnosis {
	reasons, remedies := misbehavingReasons(f, nil)
	if len(reasons) == 0 {
		return nil
	}
	return one(newDiagnosis(RegistryMisbehaving,
		"The registry does not follow the distribution API: "+strings.Join(uniq(reasons), "; ")+".",
		append(uniq(remedies), fixOf(RegistryMisbehaving, fixArgs{t: f.t})...)...))
}

// misbehavingReasons lists how the registry broke the protocol, leaving
// out the exchanges skip names (nil: none).
func misbehavingReasons(f facts, skip func(*checks.Exchange) bool) (reasons, remedies []string) {
	for _, r := range f.rep.Results {
		if _, cut := r.Evidence.(*checks.Unfinished); cut && r.ID != checks.IDTLS && r.ID != checks.IDPingHTTPS {
			reasons = append(reasons, fmt.Sprintf("the %s step got no complete answer within --timeout %s", r.ID, f.rep.Options.Timeout))
		}
	}
	for _, p := range []*checks.PingEvidence{f.https(), f.http()} {
		if p == nil || p.Exchange == nil || p.Status < 500 || (p == f.http() && !f.portSpeaksHTTP()) {
			continue // plain HTTP on a TLS port is just an error page, as in ruleNotARegistry
		}
		reasons = append(reasons, fmt.Sprintf("GET %s answered %d", p.URL, p.Status))
	}
	if c := f.challenge(); c != nil && f.res(checks.IDAuthChallenge).Status == checks.Fail {
		reasons = append(reasons, fmt.Sprintf("the 401 challenge cannot be parsed (%q)", truncateHint(c.Raw)))
	}
	// An opaque (non-JWT) token is no fault: the token spec leaves its
	// form to the token server, and clients pass it on unread. A token the
	// registry then refuses is, and protocolFaults names it (rejectedToken).
	faults, remedies := protocolFaults(f, skip)
	return append(reasons, faults...), remedies
}

func (f facts) httpsExchange() *checks.Exchange {
	if p := f.https(); p != nil {
		return p.Exchange
	}
	return nil
}

func uniq(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func ruleRateLimited(f facts) []Diagnosis {
	var limited []*checks.Exchange
	for _, x := range f.exchanges() {
		if x.Status == http.StatusTooManyRequests || x.HasCode(checks.ErrCodeTooManyRequests) {
			limited = append(limited, x)
		}
	}
	// Quote the answer that carries the registry's message (a GET), not a
	// bodiless HEAD that happened first.
	if len(limited) == 0 {
		return nil
	}
	slices.SortStableFunc(limited, func(a, b *checks.Exchange) int { return len(b.Errors) - len(a.Errors) })
	x := limited[0]
	detail := fmt.Sprintf("%s %s answered %d", x.Method, x.URL, x.Status)
	for _, h := range []string{"RateLimit-Limit", "RateLimit-Remaining", "Retry-After"} {
		if v := x.Header(h); v != "" {
			detail += fmt.Sprintf(", %s: %s", h, v)
		}
	}
	for _, e := range x.Errors {
		detail += fmt.Sprintf(" (%s: %s)", e.Code, e.Message)
	}
	return one(newDiagnosis(RateLimited, detail+".", fixOf(RateLimited, fixArgs{t: f.t})...))
}

func ruleHeadGet(f facts) []Diagnosis {
	m := f.manifest()
	if m == nil || m.Get == nil || m.Head == nil || m.Get.Status != http.StatusOK || m.Get.Error != "" || m.Head.Status == http.StatusOK || (m.Head.Status == 0 && m.Head.Error == "") {
		return nil
	}
	rem := fixOf(HeadGetMismatch, fixArgs{t: f.t, g: groups{"url": m.URL}})
	if m.Head.Status == http.StatusMethodNotAllowed {
		return one(newDiagnosis(HeadGetMismatch,
			fmt.Sprintf("GET %s answers 200 but HEAD answers 405. No client fails over it: containerd retries a 405 on HEAD with GET, docker falls back to GET, podman, skopeo and crane use GET.", m.URL), rem...).withSeverity(Info))
	}
	dockerToo := "classic docker falls back to GET"
	if m.Head.Status == 0 {
		dockerToo = "so does classic docker, which falls back to GET only on an answer, not on a failed request"
	}
	return one(newDiagnosis(HeadGetMismatch,
		fmt.Sprintf("GET %s answers 200 but HEAD %s. containerd, nerdctl, Kubernetes, BuildKit and docker with the containerd image store resolve tags with HEAD and fail; %s; podman, skopeo and crane use GET and work.", m.URL, headOutcome(m.Head), dockerToo),
		rem...))
}

func headOutcome(x *checks.Exchange) string {
	if x.Status == 0 {
		return "fails: " + x.Outcome()
	}
	return fmt.Sprintf("answers %d", x.Status)
}

func rulePlatform(f facts) []Diagnosis {
	if b := f.blob(); b != nil && b.ConfigPlatform != "" {
		// A single-platform image pulls whatever it is for; it fails
		// when run ("exec format error"), unless emulation is set up.
		return one(newDiagnosis(PlatformNotAvailable,
			fmt.Sprintf("%s is a single-platform image for %s, not %s: clients pull it (podman warns that the platform does not match), but it does not run here without emulation.", f.t.ImageRef(), b.ConfigPlatform, b.WantPlatform),
			"Build and push the image for "+b.WantPlatform+" too, as an index (`podman build --platform "+b.WantPlatform+",...  --manifest`, `docker buildx build --platform "+b.WantPlatform+" --push`), or pull another tag that has it.",
			"To run it anyway, install emulation (qemu-user-static / binfmt: `docker run --privileged --rm tonistiigi/binfmt --install all`).").withSeverity(Warning))
	}
	m := f.manifest()
	if m == nil || m.Platform == "" || m.Matched {
		return nil
	}
	if len(m.Platforms) == 0 {
		return one(newDiagnosis(PlatformNotAvailable,
			fmt.Sprintf("%s is an index that lists no image for any platform, so there is no %s to pull.", f.t.ImageRef(), m.Platform),
			"The index was pushed empty or its manifests were deleted: push the image again (`podman manifest push`, `docker buildx build --push`), and check the tool that assembles the index."))
	}
	return one(newDiagnosis(PlatformNotAvailable,
		fmt.Sprintf("%s is an index for %s; it has no %s.", f.t.ImageRef(), listSome(m.Platforms), m.Platform),
		"Pull a platform the image has (`podman pull --platform "+m.Platforms[0]+"`, `docker pull --platform "+m.Platforms[0]+"`), or build and push the image for "+m.Platform+" (`podman build --platform "+m.Platform+"`, `docker buildx build --platform "+m.Platform+" --push`).",
		"On a proxy repository (Nexus, Harbor), the upstream may have more platforms than the cached index: re-fetch it."))
}
