package diagnose

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/regdoctor/regdoctor/checks"
)

// Rules for TLS: trust, dates, names; client certificates
// (clientcert.go) and legacy protocol versions (legacytls.go).

var tlsRules = []rule{ruleTLS, ruleClientCert, ruleLegacyTLS}

func ruleTLS(f facts) []Diagnosis {
	if !f.rep.Options.TLSVerify {
		return nil
	}
	t := f.tls()
	var out []Diagnosis
	if t != nil && len(t.Problems) == 0 && len(t.NotTrustedBy) > 0 {
		return one(notTrustedByAll(f, t))
	}
	if t != nil && len(t.Problems) > 0 {
		for _, p := range t.Problems {
			if d, ok := tlsDiagnosis(f, p.Kind, p.Message, t); ok {
				out = append(out, d)
			}
		}
		return out
	}
	// The TLS check may not have run (it needs TCP); the ping's own error
	// still names the problem.
	if p := f.https(); p != nil && p.Error != "" {
		if d, ok := tlsDiagnosis(f, p.ErrorKind, p.Error, nil); ok {
			out = append(out, d)
		}
	}
	return out
}

func tlsDiagnosis(f facts, kind checks.ErrKind, msg string, t *checks.TLSEvidence) (Diagnosis, bool) {
	hp := f.t.Registry
	host := f.t.Hostname()
	chain := ""
	if t != nil && len(t.Chain) > 0 {
		var parts []string
		for _, c := range t.Chain {
			parts = append(parts, fmt.Sprintf("%s (issued by %s)", c.Subject, c.Issuer))
		}
		chain = " Chain: " + strings.Join(parts, " → ") + "."
	}
	switch kind {
	case checks.KindUnknownCA:
		var first []string
		if t != nil && t.MisplacedCA != nil {
			chain += fmt.Sprintf(" The CA that signs it is in %s, which no client reads for %s: %s. Copy it to the certs.d directory below.", t.MisplacedCA.Path, hp, t.MisplacedCA.Why)
		} else if why, remedy := untrustedWhy(f, t); why != "" {
			chain += why
			first = append(first, remedy)
		}
		return newDiagnosis(TLSUnknownAuthority, msg+"."+chain, append(first,
			"podman, skopeo, buildah: put the CA certificate (PEM) at /etc/containers/certs.d/"+hp+"/ca.crt (or ~/.config/containers/certs.d/"+hp+"/ca.crt for rootless).",
			"docker: /etc/docker/certs.d/"+hp+"/ca.crt (no restart needed).",
			"containerd: /etc/containerd/certs.d/"+hp+"/hosts.toml with\nserver = \"https://"+hp+"\"\n[host.\"https://"+hp+"\"]\n  ca = \"/etc/containerd/certs.d/"+hp+"/ca.crt\"",
			"System-wide (crane and other Go clients): copy it to /usr/local/share/ca-certificates/"+host+".crt and run `update-ca-certificates` (Debian/Ubuntu) or to /etc/pki/ca-trust/source/anchors/ and run `update-ca-trust` (RHEL/Fedora).",
			"Get the CA from the registry's administrator; `openssl s_client -connect "+f.t.HostPort("https")+" -showcerts` shows what the server sends.")...), true
	case checks.KindCertExpired:
		detail := msg + "."
		if t != nil && len(t.Chain) > 0 {
			leaf := t.Chain[0]
			detail += fmt.Sprintf(" Valid from %s to %s; local time %s.", leaf.NotBefore.Format(time.RFC3339), leaf.NotAfter.Format(time.RFC3339), t.LocalTime.Format(time.RFC3339))
			if skew, ok := serverClockSkew(f); ok {
				serverNow := t.LocalTime.Add(skew)
				switch {
				case (skew > 5*time.Minute || skew < -5*time.Minute) && !serverNow.Before(leaf.NotBefore) && !serverNow.After(leaf.NotAfter):
					detail += fmt.Sprintf(" The server's Date header says %s, %s away from the local clock, and at that time the certificate is valid: this machine's clock is what is wrong.", serverNow.Format(time.RFC3339), skew.Round(time.Second))
				case skew > 5*time.Minute || skew < -5*time.Minute:
					detail += fmt.Sprintf(" The server's Date header is %s away from the local clock; check both clocks.", skew.Round(time.Second))
				default:
					detail += " The server's Date header agrees with the local clock: the certificate itself is out of date."
				}
			}
		}
		return newDiagnosis(TLSCertExpired, detail,
			"Renew the registry's certificate (and restart the registry or the proxy that terminates TLS).",
			"If the dates look right, check this machine's clock: `timedatectl` and enable NTP (`timedatectl set-ntp true`)."), true
	case checks.KindHostname:
		return newDiagnosis(TLSHostnameMismatch, msg+"."+chain,
			"Use a name the certificate holds in the image reference, or reissue the certificate with a subjectAltName for "+host+" (an IP address needs an IP SAN: `subjectAltName = IP:"+host+"` when it is an IP).",
			"Go clients (podman, docker, crane) ignore the Common Name; only SANs count."), true
	}
	return Diagnosis{}, false
}

// notTrustedByAll: the chain verifies with a CA that only some clients
// read; the others fail with an unknown authority.
func notTrustedByAll(f facts, t *checks.TLSEvidence) Diagnosis {
	var why []string
	for _, c := range slices.Sorted(maps.Keys(t.NotTrustedBy)) {
		why = append(why, c+": "+t.NotTrustedBy[c])
	}
	issuer := ""
	if len(t.Chain) > 0 {
		issuer = " (issued by " + t.Chain[len(t.Chain)-1].Issuer + ")"
	}
	d, _ := tlsDiagnosis(f, checks.KindUnknownCA, "The certificate"+issuer+" verifies with a CA from certs.d that not every client reads; "+strings.Join(why, "; "), t)
	return d
}

// serverClockSkew is the server's Date minus local time at the ping.
func serverClockSkew(f facts) (time.Duration, bool) {
	if t := f.tls(); t != nil && t.ServerDate != nil {
		return t.ServerDate.Sub(t.LocalTime), true
	}
	for _, p := range []*checks.PingEvidence{f.https(), f.http()} {
		if p == nil || p.Exchange == nil {
			continue
		}
		if d := p.Header("Date"); d != "" {
			if t, err := http.ParseTime(d); err == nil {
				return t.Sub(f.rep.Started), true
			}
		}
	}
	return 0, false
}
