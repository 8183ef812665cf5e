package diagnose

import (
	"net"
	"net/url"
	"strings"

	"github.com/regdoctor/regdoctor/target"
)

// Which registry and image an error line is about.

// targetExtractor finds an image or registry named on a line. keys work as
// in clientMessage. Named groups: ref (an image reference), repo and tag,
// url (a registry API URL), registry (a host).
type targetExtractor struct {
	keys []string
	re   *lazyRE
}

func extractor(pattern string, keys ...string) targetExtractor {
	return targetExtractor{keys: keys, re: lazy(pattern)}
}

// targetExtractors, most reliable first.
var targetExtractors = []targetExtractor{
	// the name after short-name resolution comes before the name as typed
	extractor(`reading manifest (?P<tag>[^\s:]+(?::[0-9a-f]{64})?) in (?P<repo>`+pRef+`)`, "reading manifest "),
	extractor(`initializing source docker://(?P<ref>`+pRef+`)`, "initializing source docker://"),
	extractor(`(?:failed to resolve reference|failed to pull and unpack image|[Ff]ailed to pull image|failed to resolve image) "(?P<ref>[^"\s]+)"`, "failed to ", "Failed to pull image"),
	extractor(`manifest for (?P<ref>`+pRef+`) not found`, "manifest for "),
	extractor(`no child with platform \S+ in index (?P<ref>`+pRef+`)`, "no child with platform"),
	extractor(`pull access denied for (?P<ref>[^\s,]+),`, "pull access denied for"),
	extractor(`repository (?P<ref>`+pRef+`) not found`, "repository "),
	extractor(`Trying to pull (?P<ref>`+pRef+`)`, "Trying to pull "),
	extractor(`docker://(?P<ref>`+pRef+`)`, "docker://"),
	extractor(`\b(?:docker|podman|nerdctl|buildah|crictl)(?: image)? (?:pull|push)(?: +--?(?:platform|authfile|cert-dir|creds|arch|os|variant)[ =]\S+| +--?[\w-]+(?:=\S+)?)* +(?P<ref>[a-z0-9][a-zA-Z0-9._\-/:@\[\]]*)`, " pull ", " push "),
	extractor(`\bcrane (?:pull|digest|manifest|config|validate|ls)(?: +--?[\w-]+(?:=\S+)?)* +(?P<ref>[a-z0-9][a-zA-Z0-9._\-/:@\[\]]*)`, "crane "),
	extractor(`\bctr(?: +-n[ =]?\S+)? +(?:images?|i) +pull(?: +--?[\w-]+(?:=\S+)?)* +(?P<ref>[a-z0-9][a-zA-Z0-9._\-/:@\[\]]*)`, "ctr "),
	extractor(`(?P<url>https?://[^\s"'<>]+/v2/[^\s"'<>]*)`, "/v2/"),
	extractor(`(?:pinging container registry|pinging docker registry) (?P<registry>`+pHost+`)`, "pinging "),
	extractor(`logging into "(?P<registry>[^"]+)"`, "logging into"),
}

// targetHit is one target named on a line, at byte offset at.
type targetHit struct {
	at int
	f  found
}

// lineTargets returns every target the line names, in extractor order.
func lineTargets(s string) []targetHit {
	var hits []targetHit
	for _, x := range targetExtractors {
		if !containsAny(s, x.keys) {
			continue
		}
		for _, loc := range x.re.FindAllStringSubmatchIndex(s, 4) {
			g := submatches(x.re, s, loc)
			var f found
			switch {
			case g["ref"] != "":
				f = parseFound(g["ref"], true)
			case g["repo"] != "":
				sep := ":"
				if strings.Contains(g["tag"], ":") {
					sep = "@"
				}
				f = parseFound(strings.TrimRight(g["repo"], ":")+sep+g["tag"], true)
			case g["url"] != "":
				f = foundFromURL(g["url"])
			case g["registry"] != "":
				f = parseFound(g["registry"], false)
			}
			if f.ok {
				hits = append(hits, targetHit{at: loc[0], f: f})
			}
		}
	}
	return hits
}

// bestTarget is the most reliable target of a line: the first image, else
// the first registry.
func bestTarget(hits []targetHit) found {
	for _, h := range hits {
		if h.f.hasRepo() {
			return h.f
		}
	}
	if len(hits) > 0 {
		return hits[0].f
	}
	return found{}
}

// targetAt is the target of a message at offset at: the target named
// closest before it (a line can name a mirror and a registry), else the
// line's best. A bare registry becomes the image the line names on it.
func targetAt(hits []targetHit, at int) found {
	var f found
	best := -1
	for _, h := range hits {
		if h.at <= at && h.at > best {
			f, best = h.f, h.at
		}
	}
	if !f.ok {
		f = bestTarget(hits)
	}
	if f.ok && !f.hasRepo() {
		for _, h := range hits {
			if h.f.hasRepo() && h.f.t.Registry == f.t.Registry {
				return h.f
			}
		}
	}
	return f
}

var safeArg = lazy(`^[a-zA-Z0-9][a-zA-Z0-9._\-/:@\[\]]*$`)

// parseFound validates a reference or registry taken from text. image says
// whether s is meant as an image reference; a lone name without a dot or
// port is not taken for a registry.
func parseFound(s string, image bool) found {
	s = strings.TrimRight(strings.TrimSpace(s), `.,:;'")]`)
	if s == "" || len(s) > 512 || !safeArg.MatchString(s) {
		return found{}
	}
	t, err := target.Parse(s)
	if err != nil {
		return found{}
	}
	if !image && t.Repository != "" {
		return found{}
	}
	if t.ShortInput != "" {
		// A client that printed a short name meant docker.io (docker always
		// does; podman prints the name it resolved). Say so, or check would
		// resolve it again through registries.conf.
		q := "docker.io/" + s
		if t, err = target.Parse(q); err != nil {
			return found{}
		}
		return found{t: t, arg: q, short: s, ok: true}
	}
	return found{t: t, arg: s, ok: true}
}

// shortTarget is the target of short-name-unresolved: the name as typed,
// which no registry was found for.
func shortTarget(name string, tg found) found {
	if name == "" && tg.short != "" {
		name = tg.short
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 512 || !safeArg.MatchString(name) {
		return found{}
	}
	t, err := target.Parse(name)
	if err != nil || t.ShortInput == "" {
		return found{}
	}
	return found{t: target.Target{Input: name, Repository: t.ShortInput}, arg: name, short: name, ok: true}
}

// foundFromURL reads registry, repository and tag or digest from a
// registry API URL.
func foundFromURL(raw string) found {
	raw = strings.TrimRight(raw, `.,:;'")]`)
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return found{}
	}
	host := u.Host
	if h, p, err := net.SplitHostPort(host); err == nil && ((u.Scheme == "https" && p == "443") || (u.Scheme == "http" && p == "80")) {
		host = h
	}
	if m := apiURL.FindStringSubmatch(u.Path); m != nil {
		ref := host + "/" + m[1]
		if m[2] == "manifests" && m[3] != "" {
			if strings.Contains(m[3], ":") {
				ref += "@" + m[3]
			} else {
				ref += ":" + m[3]
			}
		}
		if f := parseFound(ref, true); f.ok {
			return f
		}
	}
	return parseFound(host, false)
}

var apiURL = lazy(`^/v2/(.+?)/(manifests|blobs|tags)/([^/]*)`)

// ---- who printed it ----
