package diagnose

import (
	"fmt"
	"sort"
	"strings"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/target"
)

// This file answers "what does this error line mean?" offline: it matches
// the messages podman, skopeo, buildah, docker, containerd and crane print
// against the catalogue, without contacting any registry.

// Bounds that keep Explain linear and short on any input.
const (
	// MaxExplainInput is the most text Explain looks at; callers reading a
	// stream should stop there too.
	MaxExplainInput = 8 << 20
	// maxExplainLine: longer lines (minified JSON logs) are looked at in
	// windows of this size that overlap by lineOverlap, so a message cut
	// by a window edge is still seen whole by the next window.
	maxExplainLine = 64 << 10
	lineOverlap    = 2 << 10
	// maxExplainMatches bounds the distinct findings reported.
	maxExplainMatches = 100
	// maxEvidence bounds the quoted text of one finding.
	maxEvidence = 400
)

// ExplainMatch is one failure found in the text. Part of the JSON contract:
// registry, repository and reference mean what they mean in `check -o json`.
type ExplainMatch struct {
	Diagnosis    Diagnosis `json:"diagnosis"`
	Client       string    `json:"client"`
	Layer        Layer     `json:"layer"`
	Target       string    `json:"target"`     // what check_command checks; "" when the text names none
	Registry     string    `json:"registry"`   // host[:port]
	Repository   string    `json:"repository"` // "" when the text names only a registry
	Reference    string    `json:"reference"`  // tag or digest
	CheckCommand string    `json:"check_command"`
	Evidence     string    `json:"evidence"` // the matched text
	Line         int       `json:"line"`     // first line it appears on, from 1
	Count        int       `json:"count"`    // lines it appears on
	Alternatives []Code    `json:"alternatives,omitempty"`

	pattern  int // index in clientMessages, for tests
	lastLine int
}

// Explanation is everything Explain found. Part of the JSON contract.
type Explanation struct {
	Matches []ExplainMatch `json:"matches"`
	// Target is the first registry or image the text names, matched or not.
	Target string `json:"target,omitempty"`
	// CheckCommand is the suggestion when nothing matched and the text
	// names a registry.
	CheckCommand string `json:"check_command,omitempty"`
	Lines        int    `json:"lines"`
	Truncated    bool   `json:"truncated,omitempty"`
}

// Explain finds the client error messages in text (one line, or a whole
// log) and returns what each means, root cause first. It never contacts
// anything; its run time is linear in the input, which it bounds to
// MaxExplainInput.
func Explain(text string) Explanation {
	var e explainer
	if len(text) > MaxExplainInput {
		text = text[:MaxExplainInput]
		e.out.Truncated = true
	}
	for n := 1; text != ""; n++ {
		line, rest, _ := strings.Cut(text, "\n")
		text = rest
		e.out.Lines = n
		e.line(n, line)
	}
	return e.result()
}

type explainer struct {
	out   Explanation
	last  found          // the last image or registry the text named
	first found          // the first one
	byKey map[string]int // code+target -> index in out.Matches
}

// found is a target named in the text.
type found struct {
	t     target.Target
	arg   string // usable as `regdoctor check ARG`: as written, qualified if it was a short name
	short string // the name as written when it named no registry ("redis:7")
	ok    bool
}

func (f found) hasRepo() bool { return f.ok && f.t.Repository != "" }

func (e *explainer) line(n int, line string) {
	if len(line) <= maxExplainLine {
		e.segment(n, line)
		return
	}
	for start := 0; start < len(line); start += maxExplainLine - lineOverlap {
		end := min(start+maxExplainLine, len(line))
		e.segment(n, line[start:end])
		if end == len(line) {
			break
		}
	}
}

type rawMatch struct {
	pattern  int
	at       int
	evidence string
	g        groups
}

func (e *explainer) segment(n int, raw string) {
	// The text is echoed back as evidence, in JSON for tickets too: a
	// pasted token, password or signed URL must not come back out.
	s := checks.RedactText(normalizeLine(raw))
	targets := lineTargets(s)
	var hits []rawMatch
	have := map[Code]bool{}
	for i := range clientMessages {
		cm := &clientMessages[i]
		if have[cm.code] || !containsAny(s, cm.keys) {
			continue
		}
		for _, loc := range cm.re.FindAllStringSubmatchIndex(s, 4) {
			g := submatches(cm.re, s, loc)
			if cm.accept != nil && !cm.accept(g) {
				continue
			}
			hits = append(hits, rawMatch{pattern: i, at: loc[0], evidence: s[loc[0]:loc[1]], g: g})
			have[cm.code] = true
			break
		}
	}
	drop := map[Code]bool{}
	for _, h := range hits {
		for _, c := range clientMessages[h.pattern].over {
			drop[c] = true
		}
	}
	for _, h := range hits {
		cm := &clientMessages[h.pattern]
		if drop[cm.code] {
			continue
		}
		tg := e.targetFor(targetAt(targets, h.at), h.g)
		if cm.foreignURLs {
			tg = e.last
		}
		e.add(n, s, cm, h, tg)
	}
	e.remember(bestTarget(targets))
}

// remember keeps the last image named, so that a bare error on a later line
// ("x509: ...") can be tied to the pull that printed it.
func (e *explainer) remember(ctx found) {
	if !ctx.ok {
		return
	}
	if !e.first.ok || (ctx.hasRepo() && !e.first.hasRepo() && ctx.t.Registry == e.first.t.Registry) {
		e.first = ctx
	}
	if ctx.hasRepo() || !e.last.ok || e.last.t.Registry != ctx.t.Registry {
		e.last = ctx
	}
}

// targetFor picks the target of a match: what its own line names, then the
// host in the message, then the image named on an earlier line.
func (e *explainer) targetFor(ctx found, g groups) found {
	if ctx.ok {
		if !ctx.hasRepo() && e.last.hasRepo() && e.last.t.Registry == ctx.t.Registry {
			return e.last
		}
		return ctx
	}
	if h := parseFound(g["host"], false); h.ok {
		if e.last.ok && e.last.t.Registry == h.t.Registry {
			return e.last
		}
		return h
	}
	if e.last.ok {
		return e.last
	}
	return parseFound(g["addr"], false)
}

func (e *explainer) add(n int, line string, cm *clientMessage, h rawMatch, tg found) {
	if cm.code == ShortNameUnresolved {
		tg = shortTarget(h.g["short"], tg)
	}
	key := string(cm.code) + "\x00" + tg.arg
	if i, ok := e.byKey[key]; ok {
		if m := &e.out.Matches[i]; m.lastLine != n {
			m.Count++
			m.lastLine = n
		}
		return
	}
	if len(e.out.Matches) >= maxExplainMatches {
		e.out.Truncated = true
		return
	}
	if e.byKey == nil {
		e.byKey = map[string]int{}
	}
	client := clientOf(cm, line)
	evidence := clip(h.evidence, maxEvidence)
	push := pushHint.MatchString(line)
	c, _ := Lookup(cm.code)
	detail := fmt.Sprintf("%s printed: %s", capitalize(client), evidence)
	if cm.meaning != "" {
		detail = cm.meaning + " " + detail
	}
	if !strings.HasSuffix(detail, ".") {
		detail += "."
	}
	rt := tg.t
	if !tg.ok {
		rt = placeholderTarget
	}
	if rt.Registry == "index.docker.io" {
		rt.Registry = "docker.io" // what users log in to
	}
	d := newDiagnosis(cm.code, detail, explainRemediation(cm.code, rt, h.g, push)...)
	m := ExplainMatch{
		Diagnosis:    d,
		Client:       client,
		Layer:        c.Layer,
		Target:       tg.arg,
		Registry:     tg.t.Registry,
		Repository:   tg.t.Repository,
		Reference:    tg.t.Reference,
		CheckCommand: checkCommand(cm.code, tg, h.g, push),
		Evidence:     evidence,
		Line:         n,
		Count:        1,
		Alternatives: append([]Code(nil), cm.maybe...),
		pattern:      h.pattern,
		lastLine:     n,
	}
	e.byKey[key] = len(e.out.Matches)
	e.out.Matches = append(e.out.Matches, m)
}

func (e *explainer) result() Explanation {
	out := e.out
	if out.Matches == nil {
		out.Matches = []ExplainMatch{}
	}
	sort.SliceStable(out.Matches, func(i, j int) bool {
		oi, oj := order(out.Matches[i].Diagnosis.Code), order(out.Matches[j].Diagnosis.Code)
		if oi != oj {
			return oi < oj
		}
		return out.Matches[i].Line < out.Matches[j].Line
	})
	if e.first.ok {
		out.Target = e.first.arg
		if len(out.Matches) == 0 {
			out.CheckCommand = "regdoctor check " + e.first.arg
		}
	}
	return out
}

// placeholderTarget fills remediation text when the text names no registry.
var placeholderTarget = target.Target{Registry: "REGISTRY", Host: "REGISTRY", Repository: "REPOSITORY", Reference: "TAG"}

// ---- reading the line ----

var (
	ansiEscape = lazy("\x1b\\[[0-9;?]*[A-Za-z]")
	unescape   = strings.NewReplacer(`\\\"`, `"`, `\"`, `"`, `\u003c`, `<`, `\u003e`, `>`, `\u0026`, `&`,
		`&quot;`, `"`, `&#34;`, `"`, `&#39;`, `'`, `\n`, " ", `\r`, " ", `\t`, " ")
	pushHint = lazy(`(?i)\bpush|writing blob|writing manifest|uploading|blobs/uploads|(?:PUT|PATCH|POST) (?:request to )?"?https?://`)
)

// normalizeLine undoes what log wrappers do to a message: colour codes,
// escaped quotes (level=fatal msg="...\"...\""), JSON and HTML escapes.
func normalizeLine(s string) string {
	s = strings.TrimSuffix(s, "\r")
	if strings.IndexByte(s, 0x1b) >= 0 {
		s = ansiEscape.ReplaceAllString(s, "")
	}
	if strings.ContainsAny(s, `\&`) {
		s = unescape.Replace(s)
	}
	return s
}

func containsAny(s string, keys []string) bool {
	for _, k := range keys {
		if strings.Contains(s, k) {
			return true
		}
	}
	return false
}

func submatches(re *lazyRE, s string, loc []int) groups {
	var g groups
	for i, name := range re.SubexpNames() {
		if name == "" || 2*i+1 >= len(loc) || loc[2*i] < 0 {
			continue
		}
		if g == nil {
			g = groups{}
		}
		if g[name] == "" {
			g[name] = s[loc[2*i]:loc[2*i+1]]
		}
	}
	return g
}

func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && cut < len(s) && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
		cut--
	}
	return s[:cut] + "…"
}

var (
	hintDocker     = []string{"Error response from daemon", "docker: ", "WARNING: Error", "login attempt to", "pull access denied", "no basic auth credentials", "no matching manifest for"}
	hintCImage     = []string{"initializing source", "pinging container registry", "pinging docker registry", "reading manifest ", "Requesting bear", "Trying to pull", "choosing an image", "writing blob", "Copying blob", "StatusCode: ", "received unexpected HTTP status", "logging into", "unable to retrieve auth token"}
	hintContainerd = []string{"failed to resolve reference", "failed to do request", "failed to pull and unpack", "failed to authorize", "failed to fetch anonymous token", "failed to fetch oauth token", "unexpected status from ", "httpReadSeeker", "ctr: ", "failed to copy:"}
	hintCrane      = lazy(`\b(?:GET|HEAD|PUT|POST|PATCH) https?://|MANIFEST_UNKNOWN|NAME_UNKNOWN|UNAUTHORIZED:|DENIED:|TOOMANYREQUESTS|no child with platform|falling back on GET|www-authenticate`)
	hintKubelet    = []string{"rpc error: code =", "ErrImagePull", "ImagePullBackOff", "Failed to pull image"}
)

func clientOf(cm *clientMessage, line string) string {
	docker := containsAny(line, hintDocker)
	containerd := containsAny(line, hintContainerd)
	c := cm.client
	if c == clientAnyGo {
		switch {
		case docker && containerd:
			c = clientDockerContainerd
		case docker:
			c = clientDocker
		case containsAny(line, hintCImage):
			c = clientContainersImage
		case containerd:
			c = clientContainerd
		case hintCrane.MatchString(line):
			c = clientCrane
		default:
			c = clientUnknown
		}
	} else if c == clientContainerd && docker {
		c = clientDockerContainerd
	}
	if containsAny(line, hintKubelet) {
		switch c {
		case clientContainerd:
			c = "containerd via kubelet (CRI)"
		case clientContainersImage:
			c = "CRI-O via kubelet (containers/image)"
		}
	}
	return c
}

// ---- what to run and what to do ----

var platformPart = lazy(`^[a-z0-9_]+$`)

// platformOf returns os/arch[/variant] from a platform message, or "".
func platformOf(g groups) string {
	var parts []string
	if p := g["platform"]; p != "" {
		if i := strings.IndexByte(p, '('); i >= 0 { // windows(10.0.22631)/amd64
			if j := strings.IndexByte(p[i:], ')'); j >= 0 {
				p = p[:i] + p[i+j+1:]
			}
		}
		parts = strings.Split(p, "/")
	} else if g["os"] != "" && g["arch"] != "" {
		parts = []string{g["os"], g["arch"]}
		if g["variant"] != "" {
			parts = append(parts, g["variant"])
		}
	}
	if len(parts) < 2 || len(parts) > 3 {
		return ""
	}
	for _, p := range parts {
		if !platformPart.MatchString(p) {
			return ""
		}
	}
	return strings.Join(parts, "/")
}
