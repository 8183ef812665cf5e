package diagnose

import (
	"testing"

	"github.com/regdoctor/regdoctor/checks"
)

// TestOpaqueTokenIsFine: a token that is no JWT, which the registry
// accepts, is no fault, even on a registry that looks like distribution.
func TestOpaqueTokenIsFine(t *testing.T) {
	m := &miniRegistry{apiHeader: true, token: "0paque.t0ken"}
	rep := runMini(t, m)
	if rep.Product.Name != "distribution" {
		t.Fatalf("product %q; the old rule only fired for distribution", rep.Product.Name)
	}
	wantHealthy(t, rep)
	if tk, _ := rep.Result(checks.IDToken).Evidence.(*checks.TokenEvidence); tk == nil || !tk.Anonymous.Obtained || tk.Anonymous.JWT {
		t.Errorf("token evidence %+v, want an opaque token obtained", tk)
	}
}
