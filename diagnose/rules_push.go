package diagnose

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/regdoctor/regdoctor/checks"
)

// Rules for the opt-in push check.

var pushRules = []rule{rulePush}

func rulePush(f facts) []Diagnosis {
	p := f.push()
	if p == nil {
		return nil
	}
	for _, x := range []*checks.Exchange{p.Start, p.Patch} {
		if x == nil {
			continue
		}
		switch {
		case x.Status == http.StatusRequestEntityTooLarge:
			return one(newDiagnosis(UploadTooLarge,
				fmt.Sprintf("%s %s with %d MiB answered 413 Request Entity Too Large (Server: %s): a proxy limits the request body.", x.Method, x.URL, p.Bytes>>20, orNone(x.Shown("Server"))),
				fixOf(UploadTooLarge, fixArgs{t: f.t})...))
		case x.Status == http.StatusMethodNotAllowed || x.Status == http.StatusLengthRequired || groupRefusal(x):
			detail := fmt.Sprintf("%s %s answered %d", x.Method, x.URL, x.Status)
			for _, e := range x.Errors {
				detail += fmt.Sprintf(" (%s: %s)", e.Code, e.Message)
			}
			return one(newDiagnosis(UploadRefused, detail+".",
				fixOf(UploadRefused, fixArgs{t: f.t})...))
		case denied(x):
			return one(newDiagnosis(AccessDenied,
				fmt.Sprintf("%s %s answered %d: no push right on %s.", x.Method, x.URL, x.Status, f.t.Repository),
				fixOf(AccessDenied, fixArgs{t: f.t, push: true})...))
		}
	}
	return nil
}

func groupRefusal(x *checks.Exchange) bool {
	for _, e := range x.Errors {
		m := strings.ToLower(e.Message)
		if strings.Contains(m, "deploying to groups") || strings.Contains(m, "blob upload invalid") || e.Code == "UNSUPPORTED" {
			return true
		}
	}
	return false
}
