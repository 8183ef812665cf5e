package diagnose

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
)

// largeTagLists are the tags lists a server may send (checks keeps up to
// 20,000 valid tags, of up to 128 characters), the wanted tag for each,
// and what makes them costly.
func largeTagLists() []struct {
	name string
	want string
	tags []string
} {
	semver := make([]string, 30000)
	for i := range semver {
		semver[i] = fmt.Sprintf("%d.%d.%d-alpine", i/1000, i/10%100, i%10)
	}
	// cosign signatures and attestations: long tags, all of one length.
	cosign := make([]string, 30000)
	for i := range cosign {
		sum := sha256.Sum256([]byte{byte(i), byte(i >> 8)})
		cosign[i] = "sha256-" + hex.EncodeToString(sum[:]) + [...]string{".sig", ".att"}[i%2]
	}
	// The worst a server can send: 50,000 tags of 128 characters, each
	// within the length filter of a 128-character wanted tag.
	long := make([]string, 50000)
	for i := range long {
		long[i] = fmt.Sprintf("%0128d", i*7919)
	}
	return []struct {
		name string
		want string
		tags []string
	}{
		{"semver-30000", "12.34.5-alpine3", semver},
		{"cosign-30000", "sha256-" + strings.Repeat("ab", 32) + ".sig", cosign},
		{"long-50000", strings.Repeat("12", 64), long},
	}
}

// BenchmarkClosestLarge: suggestions over the largest tags lists cost
// little whatever the server sends (the edit-distance work is capped).
func BenchmarkClosestLarge(b *testing.B) {
	for _, tc := range largeTagLists() {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Closest(tc.want, tc.tags, 3)
			}
		})
	}
}
