package diagnose

import (
	"fmt"

	"github.com/regdoctor/regdoctor/clientconf"
)

// Rules for the client side: configuration files and settings.

func ruleConfig(f facts) []Diagnosis {
	var out []Diagnosis
	for _, p := range f.rep.Config.Problems {
		switch code := problemCode(p.Kind); code {
		case ConfigInvalid:
			out = append(out, newDiagnosis(code, p.Message, fixOf(code, fixArgs{t: f.t, g: groups{"file": p.File, "line": lineSuffix(p.Line)}})...))
		case CredentialHelperFailed:
			out = append(out, newDiagnosis(code, p.Message+".", fixOf(code, fixArgs{t: f.t, g: groups{"file": p.File}})...))
		case CredentialsForOtherHost:
			d := newDiagnosis(code, p.Message, fixOf(code, fixArgs{t: f.t})...)
			if !anonymousRefused(f) && !f.manifestDenied() {
				// The pull works without them: worth knowing, not a warning.
				d = d.withSeverity(Info)
			}
			out = append(out, d)
		case CertsDirInvalid:
			out = append(out, newDiagnosis(code, p.Message, fixOf(code, fixArgs{t: f.t, g: groups{"dir": p.File}})...))
		case ProxyMisconfigured:
			// A warning on its own: the proxy may well reach the host. The
			// ping's proxyconnect failure, when there is one, makes it an error.
			out = append(out, newDiagnosis(code, p.Message+".",
				"Correct HTTPS_PROXY / HTTP_PROXY / NO_PROXY in the environment of the client (and of the podman or docker service).").withSeverity(Warning))
		}
	}
	return out
}

// problemCode is the code a configuration problem is diagnosed as.
func problemCode(k clientconf.ProblemKind) Code {
	switch k {
	case clientconf.HelperFailed:
		return CredentialHelperFailed
	case clientconf.CredentialsElsewhere:
		return CredentialsForOtherHost
	case clientconf.CertsDirBroken:
		return CertsDirInvalid
	case clientconf.ProxyInvalid:
		return ProxyMisconfigured
	}
	return ConfigInvalid // a file that does not parse or is missing, a helper not installed
}

func lineSuffix(n int) string {
	if n > 0 {
		return fmt.Sprintf(" (line %d)", n)
	}
	return ""
}
