package checks

import (
	"testing"
)

// TestRedactChallenge: a challenge keeps its parameters in output; only
// secrets inside it go.
func TestRedactChallenge(t *testing.T) {
	for in, want := range map[string]string{
		`Bearer service="x",realm="https://h/token"`:                     `Bearer service="x",realm="https://h/token"`,
		`Bearer realm="https://h/token",service="registry.io"`:           `Bearer realm="https://h/token",service="registry.io"`,
		`Basic realm="Registry Realm"`:                                   `Basic realm="Registry Realm"`,
		`Bearer eyJhbGciOi.eyJzdWIi.c2ln`:                                `Bearer REDACTED`,
		`Negotiate YIIGhgYJKoZIhvcSAQICAQBuggZ1==`:                       `Negotiate REDACTED`,
		`Bearer realm="https://h/t?token=abc&x=1",error="invalid_token"`: `Bearer realm="https://h/t?token=REDACTED&x=1",error="invalid_token"`,
		`Bearer realm=x, password="hunter2"`:                             `Bearer realm=x, password="REDACTED"`,
	} {
		if got := redactChallenge(in); got != want {
			t.Errorf("redactChallenge(%q) = %q, want %q", in, got, want)
		}
	}
}
