package checks

import (
	"testing"

	"github.com/regdoctor/regdoctor/target"
)

// Microbenchmarks of the parsers on the hot path of every run.

func BenchmarkParseChallenge(b *testing.B) {
	h := `Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/redis:pull",error="insufficient_scope"`
	b.ReportAllocs()
	for b.Loop() {
		ParseChallenge(h)
	}
}

func BenchmarkParseTarget(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := target.Parse("mirror.docker.com:5000/library/myredis:1.0.0"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseErrors(b *testing.B) {
	body := []byte(`{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"v1.0.0"}}]}`)
	b.ReportAllocs()
	for b.Loop() {
		x := &Exchange{Status: 404}
		x.parseErrors(body, true)
	}
}

func BenchmarkDecodeJWT(b *testing.B) {
	tok := "eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJ0b2tlbiIsInN1YiI6ImRldmVsb3BlciIsImF1ZCI6InJlZ2lzdHJ5IiwiZXhwIjoxOTAwMDAwMDAwLCJuYmYiOjE3MDAwMDAwMDAsImlhdCI6MTcwMDAwMDAwMCwiYWNjZXNzIjpbeyJ0eXBlIjoicmVwb3NpdG9yeSIsIm5hbWUiOiJ0ZWFtL2FwcCIsImFjdGlvbnMiOlsicHVsbCJdfV19.c2ln"
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := DecodeJWT(tok); !ok {
			b.Fatal("not decoded")
		}
	}
}

func BenchmarkRedactBody(b *testing.B) {
	body := `{"token":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZXYifQ.c2ln","access_token":"x","expires_in":300,"issued_at":"2026-11-27T00:00:00Z"}`
	b.ReportAllocs()
	for b.Loop() {
		redactBody(body)
	}
}
