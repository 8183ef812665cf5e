package main

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/regdoctor/regdoctor/fixtures/fixturetest"
)

// secretForms lists each secret as it could leak: as is, and in standard
// and URL-safe base64, padded and raw. Pass "user:pass" too, for the form
// auth files and Basic headers use.
func secretForms(secrets ...string) []string {
	var out []string
	for _, s := range secrets {
		if len(s) < 6 {
			continue // too short to search for without false alarms
		}
		out = append(out, s)
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
			out = append(out, enc.EncodeToString([]byte(s)))
		}
	}
	return out
}

func TestSecretForms(t *testing.T) {
	got := secretForms("ab", "alice:s3cr3t?>")
	for _, want := range []string{"alice:s3cr3t?>", "YWxpY2U6czNjcjN0Pz4=", "YWxpY2U6czNjcjN0Pz4", "YWxpY2U6czNjcjN0Pz4=", "YWxpY2U6czNjcjN0Pz4"} {
		if !strings.Contains(strings.Join(got, " "), want) {
			t.Errorf("forms %q lack %q", got, want)
		}
	}
	if strings.Contains(strings.Join(got, " "), "ab") && len(got) != 5 {
		t.Errorf("short secret searched for: %q", got)
	}
}

// TestTraceShowsTheExchanges: --trace shows what went where, credentials
// as their scheme only, the token as its decoded claims, and why
// credentials were withheld.
func TestTraceShowsTheExchanges(t *testing.T) {
	for _, tc := range []struct {
		scenario string
		want     []string
	}{
		{"logged-in", []string{
			"> GET https://", "/token?", "(Authorization: basic REDACTED)",
			">   Authorization: Basic REDACTED", ">   Authorization: Bearer REDACTED", ">   User-Agent: regdoctor/",
			`"token":"REDACTED JWT {iss=fixture-token-issuer sub=developer aud=fixture-registry exp=`,
			"access=repository:library/redis:pull}",
			"<   Docker-Distribution-Api-Version: registry/2.0",
			// Timing and the connection of each exchange (checks' tests
			// check the figures agree).
			"/v2/ at +", "ms\n>   [connection: new", "[connection: reused", "< 200 OK in ",
		}},
		{"redirect-other-host", []string{
			"> redirected to https://localhost:", "> credentials withheld: not forwarded to https://localhost:",
		}},
		{"plain-http-login", []string{"> credentials withheld: plain HTTP with TLS verification on"}},
		// The challenge's parameters stay readable; the realm's token, the
		// redirect's state and the opaque tokens do not (secretForms below).
		{"unusual-but-valid", []string{
			"> redirected to https://", "/v2/?_state=REDACTED",
			`<   Www-Authenticate: Bearer service="fixture-registry",realm="https://`, `/token?access_token=REDACTED"`,
			"> GET https://", "/token?access_token=REDACTED&scope=repository%3Alibrary%2Fredis%3Apull&service=fixture-registry",
			`"token":"REDACTED"`, ">   Authorization: Bearer REDACTED",
		}},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			reg := fixturetest.Start(t, tc.scenario)
			dirs := isolate(t, reg.AuthFile)
			r := cli(checkArgs(reg, dirs, "--trace", "--no-color")...)
			for _, want := range tc.want {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("trace lacks %q:\n%s", want, r.stderr)
				}
			}
			for _, s := range secretForms(append(reg.Secrets(), reg.Username+":"+reg.Password)...) {
				if strings.Contains(r.stderr+r.stdout, s) {
					t.Errorf("output holds secret %q", s)
				}
			}
		})
	}
}

// With several targets checked at once, every trace line names its target,
// and an exchange's lines stay together.
func TestTraceOfManyTargets(t *testing.T) {
	a, b := fixturetest.Start(t, "healthy"), fixturetest.Start(t, "logged-in")
	dirs := isolate(t, b.AuthFile)
	refs := map[string]string{"[" + a.Target + "] ": "", "[" + b.Target + "] ": ""}
	r := cli("check", "--timeout", cliTimeout, "--sysroot", dirs["SYSROOT"], "--client", "podman", "--cert-dir", a.CertDir,
		"--parallel", "2", "--trace", "--no-color", a.Target, b.Target)
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	prev := ""
	for _, line := range strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n") {
		prefix := ""
		for p := range refs {
			if strings.HasPrefix(line, p) {
				prefix = p
			}
		}
		if prefix == "" {
			t.Fatalf("trace line without its target: %q", line)
		}
		rest := strings.TrimPrefix(line, prefix)
		refs[prefix] += rest + "\n"
		if !strings.HasPrefix(rest, "> GET ") && !strings.HasPrefix(rest, "> HEAD ") && prefix != prev {
			t.Errorf("an exchange of %s is cut by another target's lines at %q", prefix, line)
		}
		prev = prefix
	}
	for p, trace := range refs {
		if !strings.Contains(trace, "> GET https://") || !strings.Contains(trace, "/v2/") {
			t.Errorf("%s traced nothing:\n%s", p, trace)
		}
	}
}
