package fingerprints

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestGenerateKeyModeAndRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "key")
	k, err := GenerateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %04o, want 0600", fi.Mode().Perm())
	}
	k2, err := LoadKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if k.secret != k2.secret || !bytes.Equal(k.ID(), k2.ID()) {
		t.Fatal("loaded key differs from the generated one")
	}
	if _, err := GenerateKey(path); err == nil || !strings.Contains(err.Error(), "refusing to overwrite") {
		t.Fatalf("second GenerateKey: err = %v, want refusal", err)
	}
	k3, err := LoadKey(path)
	if err != nil || k3.secret != k.secret {
		t.Fatal("refused overwrite changed the key")
	}
}

func TestLoadKeyRefusals(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	k, err := GenerateKey(good)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(good)
	secretLine := ""
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, keyPrefix) {
			secretLine = l
		}
	}
	write := func(name, text string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name, path, want string
	}{
		{"world readable", write("w", string(data), 0o644), "chmod 600"},
		{"group readable", write("g", string(data), 0o640), "chmod 600"},
		{"missing", filepath.Join(dir, "nope"), "does not exist"},
		{"empty", write("e", "# only a comment\n", 0o600), "no key"},
		{"not a key", write("n", "hello world\n", 0o600), "not a leakwatch key"},
		{"short", write("s", keyPrefix+"AAAA\n", 0o600), "malformed"},
		{"bad base64", write("b", keyPrefix+"!!!!\n", 0o600), "malformed"},
		{"two keys", write("t", secretLine+"\n"+secretLine+"\n", 0o600), "more than one"},
		{"directory", dir, "directory"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadKey(c.path)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to mention %q", err, c.want)
			}
			enc := strings.TrimPrefix(secretLine, keyPrefix)
			if strings.Contains(err.Error(), enc) {
				t.Fatal("error text contains the key")
			}
		})
	}
	if _, err := LoadKey(filepath.Join(dir, "w")); !errors.Is(err, ErrKeyPermissions) {
		t.Fatalf("permissions error does not wrap ErrKeyPermissions: %v", err)
	}
	_ = k
}

// TestKeyFileNotRegularOrHuge: a key path naming a FIFO (closed to
// others, as a key) is refused before it is opened, and a regular file
// larger than any key after 64 KiB, by both key loaders; each load runs
// under a deadline, so a regression fails instead of hanging the test.
func TestKeyFileNotRegularOrHuge(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "key.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge")
	if err := os.WriteFile(huge, bytes.Repeat([]byte("# comment\n"), 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	loaders := map[string]func(string) error{
		"LoadKey":     func(p string) error { _, err := LoadKey(p); return err },
		"LoadOPRFKey": func(p string) error { _, err := LoadOPRFKey(p); return err },
	}
	for _, c := range []struct{ path, want string }{
		{fifo, fifo + " is not a regular file"},
		{huge, huge + " is larger than 64 KiB"},
	} {
		for name, load := range loaders {
			done := make(chan error, 1)
			go func() { done <- load(c.path) }()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Errorf("%s(%s): %v, want an error containing %q", name, c.path, err, c.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("%s(%s): still loading after 10 s", name, c.path)
			}
		}
	}
}

func TestFingerprintsPerSetAndKind(t *testing.T) {
	k, err := GenerateKey(filepath.Join(t.TempDir(), "key"))
	if err != nil {
		t.Fatal(err)
	}
	s1, _ := NewSalt()
	s2, _ := NewSalt()
	v := []byte("+819012345678")
	a := k.Keyed(s1).NewHasher().Sum(Phone, v)
	if a != k.Keyed(s1).NewHasher().Sum(Phone, v) {
		t.Fatal("same set, same value: fingerprints differ")
	}
	if a == k.Keyed(s2).NewHasher().Sum(Phone, v) {
		t.Fatal("two sets give the same fingerprint: salt not applied")
	}
	if a == k.Keyed(s1).NewHasher().Sum(ID, v) {
		t.Fatal("kinds are not domain-separated")
	}
	if a == k.Keyed(s1).NewHasher().Sum(Phone, []byte("+819012345679")) {
		t.Fatal("different values give the same fingerprint")
	}
	other, _ := GenerateKey(filepath.Join(t.TempDir(), "key"))
	if a == other.Keyed(s1).NewHasher().Sum(Phone, v) {
		t.Fatal("another key gives the same fingerprint")
	}
}

func TestHasherDoesNotAllocate(t *testing.T) {
	k, _ := GenerateKey(filepath.Join(t.TempDir(), "key"))
	salt, _ := NewSalt()
	h := k.Keyed(salt).NewHasher()
	v := []byte("taro.yamada@example.jp")
	if n := testing.AllocsPerRun(100, func() { h.Sum(Email, v) }); n != 0 {
		t.Fatalf("Sum allocates %.0f times per call", n)
	}
}

func BenchmarkFingerprint(b *testing.B) {
	k, _ := GenerateKey(filepath.Join(b.TempDir(), "key"))
	salt, _ := NewSalt()
	h := k.Keyed(salt).NewHasher()
	v := []byte("+819012345678")
	for b.Loop() {
		h.Sum(Phone, v)
	}
}
