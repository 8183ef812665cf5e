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
			out = append(out, newDiagnosis(code, p.Message,
				"Fix or remove "+p.File+lineSuffix(p.Line)+"; `podman login` rewrites a valid file, and `jq . "+p.File+"` shows where it breaks.",
				"Until then podman, skopeo and docker fail before they contact any registry."))
		case CredentialHelperFailed:
			out = append(out, newDiagnosis(code, p.Message+".",
				"Run the helper as the clients do: `echo "+f.t.Registry+" | docker-credential-NAME get` (NAME as credsStore / credHelpers in "+p.File+" give it) must print one small JSON object and exit at once.",
				"Fix or reinstall the helper (a locked keychain or a stuck agent is the usual cause), or remove the credsStore / credHelpers entry from "+p.File+" and log in again, so the credentials are stored in the file."))
		case CredentialsForOtherHost:
			d := newDiagnosis(code, p.Message,
				"Log in again with the exact registry name the image reference uses: `podman login "+f.t.Registry+"` / `docker login "+f.t.Registry+"`; that stores the entry under the right key.")
			if !anonymousRefused(f) && !f.manifestDenied() {
				// The pull works without them: worth knowing, not a warning.
				d = d.withSeverity(Info)
			}
			out = append(out, d)
		case CertsDirInvalid:
			out = append(out, newDiagnosis(code, p.Message,
				"Give every client key X.key its certificate X.cert in the same directory, or remove the key: podman refuses the whole directory ("+p.File+")."))
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
