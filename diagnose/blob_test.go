package diagnose

import (
	"strings"
	"testing"

	"github.com/regdoctor/regdoctor/checks"
	"github.com/regdoctor/regdoctor/target"
)

// What storage answers decides the first remedy: the clocks for an expired
// or skewed URL, the bucket for a missing object, the path otherwise.
func TestBlobStorageRemedies(t *testing.T) {
	tg, err := target.Parse("registry.example.com/team/app:1.0")
	if err != nil {
		t.Fatal(err)
	}
	s3 := func(code, msg string) string {
		return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>` + code + `</Code><Message>` + msg + `</Message></Error>`
	}
	for _, tc := range []struct {
		name   string
		get    checks.Exchange
		detail string
		first  string
	}{
		{"refused", checks.Exchange{Error: `Get "https://bucket.s3.example.com/x": dial tcp 10.0.0.9:443: connect: connection refused`, ErrorKind: checks.KindRefused},
			"failed: dial tcp 10.0.0.9:443: connect: connection refused (connection-refused)", "Let clients reach https://bucket.s3.example.com:443"},
		{"expired", checks.Exchange{Status: 403, Body: s3("AccessDenied", "Request has expired")},
			"403 Forbidden (AccessDenied: Request has expired)", "The pre-signed URL was refused as expired"},
		{"skewed", checks.Exchange{Status: 403, Body: s3("RequestTimeTooSkewed", "The difference between the request time and the current time is too large.")},
			"(RequestTimeTooSkewed:", "The pre-signed URL was refused as expired"},
		{"signature", checks.Exchange{Status: 403, Body: s3("SignatureDoesNotMatch", "The request signature we calculated does not match")},
			"(SignatureDoesNotMatch:", "Storage refused the pre-signed URL"},
		{"no such key", checks.Exchange{Status: 404, Body: s3("NoSuchKey", "The specified key does not exist.")},
			"404 Not Found (NoSuchKey:", "Storage answers, but holds no object for this blob"},
		{"untrusted storage", checks.Exchange{Error: "tls: failed to verify certificate: x509: certificate signed by unknown authority", ErrorKind: checks.KindUnknownCA},
			"(tls-unknown-authority)", "The storage host's certificate is not trusted here"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			get := tc.get
			get.RedirectedTo = "https://bucket.s3.example.com/docker/registry/v2/blobs/sha256/ab/abc/data?X-Amz-Signature=REDACTED"
			ev := &checks.BlobEvidence{Digest: "sha256:abc", Get: &get, Storage: "https://bucket.s3.example.com:443"}
			f := facts{rep: &Report{Target: tg, Results: []*checks.Result{{ID: checks.IDBlob, Status: checks.Fail, Evidence: ev}}}, t: tg}
			ds := ruleBlob(f)
			if len(ds) != 1 || ds[0].Code != "blob-storage-unreachable" {
				t.Fatalf("diagnosed %+v", ds)
			}
			if !strings.Contains(ds[0].Detail, tc.detail) || !strings.HasPrefix(ds[0].Remediation[0], tc.first) {
				t.Errorf("detail %q\nfirst remedy %q\nwant %q and %q", ds[0].Detail, ds[0].Remediation[0], tc.detail, tc.first)
			}
		})
	}
}
