package diagnose

import (
	"slices"
	"sort"

	"github.com/regdoctor/regdoctor/docs"
)

// Severity of a diagnosis. Part of the JSON contract.
type Severity string

const (
	Error   Severity = "error"
	Warning Severity = "warning"
	Info    Severity = "info"
)

func (s Severity) rank() int {
	switch s {
	case Error:
		return 3
	case Warning:
		return 2
	case Info:
		return 1
	}
	return 0
}

// Layer is where in the stack a failure lives.
type Layer string

const (
	LayerConfig   Layer = "config"
	LayerNetwork  Layer = "network"
	LayerTLS      Layer = "tls"
	LayerAPI      Layer = "registry-api"
	LayerAuth     Layer = "auth"
	LayerPush     Layer = "push"
	docsBase            = "docs/codes/"
	docsExtension       = ".md"
)

// Code names one root cause. Codes are a contract (the JSON's "code", the
// docs pages, the metrics' labels): never rename one; add a new code and
// retire the old one in the docs instead. Rules, verdicts and explain use
// the constants below, never a literal (TestNoCodeLiterals).
type Code string

// Entry is everything regdoctor knows about one code: its catalogue line
// (severity, layer, title), which clients it fails, the generic fix, the
// check that confirms it and the clients' words for it. The entries live
// in codes_LAYER.go, the rules that find a code in a run in
// rules_LAYER.go, its page in docs/codes.
type Entry struct {
	Code     Code
	Severity Severity // default; a rule may lower it when only some clients fail
	Layer    Layer
	Title    string
	// lowered says when a rule lowers the severity: the code tables
	// (docs/codes/README.md, README.md) print it beside the default.
	lowered string
	// decides, for a code that does not break every client, whether it
	// breaks client c, and why not; nil: it breaks every client.
	decides func(f facts, c string) (fails bool, why string)
	// serverSide: a fault of the registry that only some clients trip
	// over. When the judged clients cope it stays a warning, not info,
	// because other machines (a Kubernetes node) pull the same image.
	serverSide bool
	// fix is the generic remedy, for the registry a run or a pasted
	// message names: explain gives it as it is, and the rules give it
	// after what their evidence adds.
	fix func(a fixArgs) []string
	// checkFlags are the flags of the `regdoctor check` that confirms the
	// code, beyond the reference.
	checkFlags func(a fixArgs) string
	// messages are the wordings of the clients that print this code, most
	// specific first: only the first match of a code on a line counts.
	messages []clientMessage
	// noMessages says why no client prints words of its own for it.
	noMessages string
}

// Docs is the path of the code's documentation page in the repository
// (the JSON's "docs", a contract); the binary carries the page too.
func (c Entry) Docs() string { return docsBase + string(c.Code) + docsExtension }

//go:generate go test -run TestCodeTablesFollowTheCatalogue -update-tables .

// The catalogue, in the order a user should fix things: the first layer
// that broke comes first. Auth comes before the content codes of the
// registry API: a repository can only be seen once the token is had.
// catalogue, byCode and clientMessages are filled in init, because the
// entries' fixes call newDiagnosis, which reads byCode.
var (
	catalogue      []Entry
	byCode         map[Code]Entry
	clientMessages []clientMessage
)

func init() {
	catalogue = slices.Concat(configCodes, networkCodes, tlsCodes, apiCodes, authCodes, contentCodes, pushCodes, lastResort)
	byCode = make(map[Code]Entry, len(catalogue))
	for _, c := range catalogue {
		if _, dup := byCode[c.Code]; dup {
			panic("diagnosis code twice in the catalogue: " + string(c.Code))
		}
		byCode[c.Code] = c
		clientMessages = append(clientMessages, c.messages...)
	}
}

// Catalogue returns every code, in fix-first order.
func Catalogue() []Entry { return append([]Entry(nil), catalogue...) }

// entryOf is code's entry; every code a rule emits has one (newDiagnosis
// panics otherwise).
func entryOf(code Code) Entry { return byCode[code] }

// Lookup returns the catalogue entry for code.
func Lookup(code Code) (Entry, bool) {
	c, ok := byCode[code]
	return c, ok
}

// order is a code's position in the catalogue, used to put root causes first.
func order(code Code) int {
	for i, c := range catalogue {
		if c.Code == code {
			return i
		}
	}
	return len(catalogue)
}

// Diagnosis is one named root cause found in a run. Part of the JSON contract.
type Diagnosis struct {
	Code        Code     `json:"code"`
	Severity    Severity `json:"severity"`
	Title       string   `json:"title"`
	Detail      string   `json:"detail"`
	Remediation []string `json:"remediation"`
	Docs        string   `json:"docs"`
	// DocsURL is the page where it is published (docs.BaseURL, set at
	// build time); `regdoctor docs CODE` prints the same page offline.
	DocsURL string `json:"docs_url"`
	Layer   Layer  `json:"layer"`
}

// newDiagnosis fills title, docs, layer and default severity from the catalogue.
func newDiagnosis(code Code, detail string, remediation ...string) Diagnosis {
	c, ok := byCode[code]
	if !ok {
		panic("diagnosis code not in catalogue: " + string(code))
	}
	return Diagnosis{Code: code, Severity: c.Severity, Title: c.Title, Detail: detail, Remediation: remediation, Docs: c.Docs(), DocsURL: docs.URL(string(code)), Layer: c.Layer}
}

func (d Diagnosis) withSeverity(s Severity) Diagnosis { d.Severity = s; return d }

// sortDiagnoses puts errors first, then the lower layers first.
func sortDiagnoses(ds []Diagnosis) {
	sort.SliceStable(ds, func(i, j int) bool {
		if ds[i].Severity.rank() != ds[j].Severity.rank() {
			return ds[i].Severity.rank() > ds[j].Severity.rank()
		}
		return order(ds[i].Code) < order(ds[j].Code)
	})
}
