package diagnose

import (
	"fmt"
)

// Rules for the client side: configuration files and settings.

func ruleConfig(f facts) []Diagnosis {
	var out []Diagnosis
	for _, p := range f.rep.Config.Problems {
		switch p.Code {
		case "config-invalid":
			out = append(out, newDiagnosis(p.Code, p.Message,
				"Fix or remove "+p.File+lineSuffix(p.Line)+"; `podman login` rewrites a valid file, and `jq . "+p.File+"` shows where it breaks.",
				"Until then podman, skopeo and docker fail before they contact any registry."))
		case "credential-helper-failed":
			out = append(out, newDiagnosis(p.Code, p.Message+".",
				"Run the helper as the clients do: `echo "+f.t.Registry+" | docker-credential-NAME get` (NAME as credsStore / credHelpers in "+p.File+" give it) must print one small JSON object and exit at once.",
				"Fix or reinstall the helper (a locked keychain or a stuck agent is the usual cause), or remove the credsStore / credHelpers entry from "+p.File+" and log in again, so the credentials are stored in the file."))
		case "credentials-for-other-host":
			d := newDiagnosis(p.Code, p.Message,
				"Log in again with the exact registry name the image reference uses: `podman login "+f.t.Registry+"` / `docker login "+f.t.Registry+"`; that stores the entry under the right key.")
			if !anonymousRefused(f) && !f.manifestDenied() {
				// The pull works without them: worth knowing, not a warning.
				d = d.withSeverity(Info)
			}
			out = append(out, d)
		case "certs-dir-invalid":
			out = append(out, newDiagnosis(p.Code, p.Message,
				"Give every client key X.key its certificate X.cert in the same directory, or remove the key: podman refuses the whole directory ("+p.File+")."))
		case "proxy-misconfigured":
			// A warning on its own: the proxy may well reach the host. The
			// ping's proxyconnect failure, when there is one, makes it an error.
			out = append(out, newDiagnosis(p.Code, p.Message+".",
				"Correct HTTPS_PROXY / HTTP_PROXY / NO_PROXY in the environment of the client (and of the podman or docker service).").withSeverity(Warning))
		}
	}
	return out
}

func lineSuffix(n int) string {
	if n > 0 {
		return fmt.Sprintf(" (line %d)", n)
	}
	return ""
}
