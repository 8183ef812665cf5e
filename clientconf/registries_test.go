package clientconf

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// TestRegistriesConfFilesPrecedence pins containers/image's choice of files,
// as podman 4.3 shows it (see integration/clientconf_test.go): the
// CONTAINERS_REGISTRIES_CONF file comes with the system and the user drop-in
// directories, the user's own registries.conf with the user directory only.
func TestRegistriesConfFilesPrecedence(t *testing.T) {
	root, home := t.TempDir(), t.TempDir()
	write := func(path string) string {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("# test\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	sysMain := filepath.Join(root, "etc", "containers", "registries.conf")
	sysDrop := write(filepath.Join(root, "etc", "containers", "registries.conf.d", "10-sys.conf"))
	userDrop := write(filepath.Join(home, ".config", "containers", "registries.conf.d", "20-user.conf"))
	envFile := write(filepath.Join(t.TempDir(), "env.conf"))
	userMain := filepath.Join(home, ".config", "containers", "registries.conf")

	sys := func(env map[string]string) Sys {
		return Sys{Root: root, Getenv: func(k string) string { return env[k] }}
	}
	cases := []struct {
		name     string
		env      map[string]string
		userFile bool
		want     []string
	}{
		{"system file", map[string]string{"HOME": home}, false, []string{sysMain, sysDrop, userDrop}},
		{"env file", map[string]string{"HOME": home, "CONTAINERS_REGISTRIES_CONF": envFile}, false, []string{envFile, sysDrop, userDrop}},
		{"env file beats user file", map[string]string{"HOME": home, "CONTAINERS_REGISTRIES_CONF": envFile}, true, []string{envFile, sysDrop, userDrop}},
		{"user file: no system drop-ins", map[string]string{"HOME": home}, true, []string{userMain, userDrop}},
		{"no HOME", map[string]string{}, false, []string{sysMain, sysDrop}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			os.Remove(userMain)
			if c.userFile {
				write(userMain)
			}
			if got := registriesConfFiles(sys(c.env)); !slices.Equal(got, c.want) {
				t.Errorf("files = %q\nwant    %q", got, c.want)
			}
		})
	}
}

// The parsed configuration is reused while the files are unchanged, and
// re-read as soon as one changes, so serve and --watch see edits.
func TestRegistriesConfCacheFollowsEdits(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "registries.conf")
	write := func(s string) {
		if err := os.WriteFile(conf, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sys := Sys{Root: t.TempDir(), Getenv: func(k string) string {
		if k == "CONTAINERS_REGISTRIES_CONF" {
			return conf
		}
		return ""
	}}
	write(`unqualified-search-registries = ["a.example.com"]` + "\n")
	first := LoadRegistriesConf(sys)
	if again := LoadRegistriesConf(sys); again != first {
		t.Error("an unchanged file was parsed again")
	}
	write(`unqualified-search-registries = ["b.example.com", "c.example.com"]` + "\n")
	if got := LoadRegistriesConf(sys).SearchRegs; len(got) != 2 || got[0] != "b.example.com" {
		t.Errorf("after an edit, search registries %v", got)
	}
}

func TestMirrorRef(t *testing.T) {
	for _, tc := range []struct {
		reg      Registry
		ref, loc string
		want     string
	}{
		{Registry{Location: "docker.io"}, "docker.io/library/redis", "mirror.corp:5000", "mirror.corp:5000/library/redis"},
		{Registry{Location: "docker.io"}, "docker.io/library/redis", "nexus.corp/dockerhub", "nexus.corp/dockerhub/library/redis"},
		{Registry{Prefix: "docker.io/library", Location: "docker.io/library"}, "docker.io/library/redis", "mirror.corp/lib", "mirror.corp/lib/redis"},
		{Registry{Prefix: "*.example.com", Location: ""}, "registry.example.com/team/app", "mirror.corp", "mirror.corp/team/app"},
	} {
		if got := tc.reg.MirrorRef(tc.ref, tc.loc); got != tc.want {
			t.Errorf("MirrorRef(%q, %q) under %+v = %q, want %q", tc.ref, tc.loc, tc.reg, got, tc.want)
		}
	}
}

// A configuration path may name anything: each read ends, within MaxFile.
func TestReadBounded(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.conf")
	if err := os.WriteFile(big, make([]byte, MaxFile+1), 0o600); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	loop := filepath.Join(dir, "loop")
	if err := os.Symlink(loop, loop); err != nil {
		t.Fatal(err)
	}
	null := filepath.Join(dir, "null")
	if err := os.Symlink(os.DevNull, null); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"/dev/null": "",
		null:        "",
		"/dev/zero": "a device",
		big:         "larger than",
		fifo:        "pipe or socket",
		dir:         "a directory",
		loop:        "too many levels of symbolic links",
	} {
		data, err := ReadBounded(path)
		switch {
		case want == "" && (err != nil || len(data) != 0):
			t.Errorf("%s: %d bytes, %v; want empty", path, len(data), err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: %v, want an error saying %q", path, err, want)
		}
	}
}
