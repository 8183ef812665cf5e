package diagnose

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/regdoctor/regdoctor/checks"
)

// Rules for the opt-in push check.

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
				"nginx: in the server block that proxies the registry set\nclient_max_body_size 0;\nchunked_transfer_encoding on;\n(nginx's default is 1m, far below a layer).",
				"Other proxies: raise the request body limit (HAProxy, ingress-nginx `nginx.ingress.kubernetes.io/proxy-body-size: \"0\"`)."))
		case x.Status == http.StatusMethodNotAllowed || x.Status == http.StatusLengthRequired || groupRefusal(x):
			detail := fmt.Sprintf("%s %s answered %d", x.Method, x.URL, x.Status)
			for _, e := range x.Errors {
				detail += fmt.Sprintf(" (%s: %s)", e.Code, e.Message)
			}
			return one(newDiagnosis(UploadRefused, detail+".",
				"Nexus group repositories cannot be pushed to (\"Deploying to groups is a PRO-licensed feature\"): push to the hosted repository's connector port, or route non-GET methods to it in the proxy as the usual nginx split does.",
				"nginx answering 411 Length Required: add `chunked_transfer_encoding on;`. 405 from a proxy: allow POST, PATCH, PUT and DELETE on /v2/."))
		case denied(x):
			return one(newDiagnosis(AccessDenied,
				fmt.Sprintf("%s %s answered %d: no push right on %s.", x.Method, x.URL, x.Status, f.t.Repository),
				"Log in with an account that may push to "+f.t.Repository+", or ask for the push (write) right."))
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
