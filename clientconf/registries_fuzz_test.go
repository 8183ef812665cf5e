package clientconf

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/BurntSushi/toml"
)

// FuzzLoadRegistriesConf: any registries.conf loads without panicking; one
// that does not parse yields exactly one config-invalid problem and no
// entries; lookups in what loaded never panic, and the result serialises.
func FuzzLoadRegistriesConf(f *testing.F) {
	f.Add("unqualified-search-registries = [\"docker.io\"]\n[[registry]]\nlocation = \"reg.example.com:5000\"\ninsecure = true\n", "reg.example.com:5000/team/app")
	f.Add("[[registry]]\nprefix = \"*.example.com\"\nlocation = \"mirror.example.com\"\n[[registry.mirror]]\nlocation = \"m2:5000\"\n", "a.example.com/x")
	f.Add("[registries.search]\nregistries = ['quay.io']\n[registries.insecure]\nregistries = ['10.0.0.1:5000']\n", "10.0.0.1:5000")
	f.Add("[aliases]\n\"redis\" = \"docker.io/library/redis\"\nshort-name-mode = \"enforcing\"\n", "redis")
	f.Add("[[registry]]\nprefix = \"\"\nlocation = \"\"\n", "")
	f.Add("[[registry]\nlocation = \"broken", "x")
	f.Add("\xff\xfe\x00[", "x/y@sha256:00")
	f.Fuzz(func(t *testing.T, conf, ref string) {
		dir := t.TempDir()
		path := filepath.Join(dir, "registries.conf")
		if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		rc := LoadRegistriesConf(Sys{Root: dir, Getenv: func(k string) string {
			if k == "CONTAINERS_REGISTRIES_CONF" {
				return path
			}
			return ""
		}})
		var probe registriesFile
		if _, err := toml.Decode(conf, &probe); err != nil {
			if len(rc.Problems) != 1 || rc.Problems[0].Kind != Unparsable || rc.Problems[0].File != path || len(rc.Registries) != 0 {
				t.Errorf("unparseable file (%v): problems %+v, %d registries", err, rc.Problems, len(rc.Registries))
			}
		}
		if r, ok := rc.Find(ref); ok && !matchPrefix(ref, r.prefix()) {
			t.Errorf("Find(%q) = %+v, whose prefix does not match", ref, r)
		}
		rc.ResolveShortName(ref)
		if _, err := json.Marshal(rc); err != nil {
			t.Errorf("does not serialise: %v", err)
		}
	})
}
