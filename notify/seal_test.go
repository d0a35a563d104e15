package notify

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

var evidence = []byte("...name,email,phone\n山田太郎,taro.yamada@example.jp,090-1234-5678\n...")

func TestSealRoundTrip(t *testing.T) {
	for _, kem := range []string{KEMXWing, KEMX25519} {
		t.Run(kem, func(t *testing.T) {
			pub, priv, err := GenerateOperatorKeyKEM(kem)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(pub), "KEM: "+kem) || !strings.Contains(string(priv), "KEM: "+kem) {
				t.Fatalf("key files do not name the KEM:\n%s", pub)
			}
			aad := []byte("f-20250304-0001")
			sealed, err := Seal(pub, evidence, aad)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Open(priv, sealed, aad)
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			if !bytes.Equal(got, evidence) {
				t.Fatal("round trip changed the evidence")
			}
			// The sealed bytes hold no piece of the plaintext.
			for _, piece := range [][]byte{evidence, []byte("taro.yamada"), []byte("1234-5678"), []byte("山田")} {
				if bytes.Contains(sealed, piece) {
					t.Fatalf("sealed bytes contain %q", piece)
				}
			}
			// Sealing twice gives different bytes (fresh encapsulation).
			again, err := Seal(pub, evidence, aad)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(again, sealed) {
				t.Fatal("two seals of the same evidence are identical")
			}
		})
	}
}

func TestOpenFailures(t *testing.T) {
	pub, priv, err := GenerateOperatorKey()
	if err != nil {
		t.Fatal(err)
	}
	_, otherPriv, err := GenerateOperatorKey()
	if err != nil {
		t.Fatal(err)
	}
	_, x25519Priv, err := GenerateOperatorKeyKEM(KEMX25519)
	if err != nil {
		t.Fatal(err)
	}
	aad := []byte("f-1")
	sealed, err := Seal(pub, evidence, aad)
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, priv, sealed, aad []byte) {
		t.Helper()
		pt, err := Open(priv, sealed, aad)
		if err == nil {
			t.Errorf("%s: opened", name)
			return
		}
		if !errors.Is(err, ErrOpen) {
			t.Errorf("%s: error %v does not wrap ErrOpen", name, err)
		}
		if pt != nil {
			t.Errorf("%s: returned plaintext with an error", name)
		}
	}
	check("wrong key", otherPriv, sealed, aad)
	check("other KEM's key", x25519Priv, sealed, aad)
	check("other finding ID", priv, sealed, []byte("f-2"))
	check("no AAD", priv, sealed, nil)
	check("public key as identity", pub, sealed, aad)
	check("truncated", priv, sealed[:len(sealed)-1], aad)
	check("header only", priv, sealed[:20], aad)
	check("empty", priv, nil, aad)
	// Flipping any single byte, header or ciphertext, must fail.
	for _, i := range []int{0, 9, 12, 14, 17, 40, len(sealed) / 2, len(sealed) - 1} {
		tampered := bytes.Clone(sealed)
		tampered[i] ^= 0x01
		check("tampered byte", priv, tampered, aad)
	}
	if _, err := Seal([]byte("not a key"), evidence, aad); err == nil {
		t.Error("sealed to garbage")
	}
	if _, err := Seal(priv, evidence, aad); err == nil {
		t.Error("sealed to a private key file")
	}
}

func TestOperatorKeyFiles(t *testing.T) {
	dir := t.TempDir()
	pubPath, privPath := filepath.Join(dir, "op.pub"), filepath.Join(dir, "op.key")
	pub, priv, err := GenerateOperatorKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteOperatorKey(pubPath, privPath, pub, priv); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(privPath)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("private key mode %04o, want 0600", fi.Mode().Perm())
	}
	if err := WriteOperatorKey(pubPath, privPath, pub, priv); err == nil {
		t.Fatal("overwrote an existing key")
	}
	pub2, priv2, err := GenerateOperatorKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteOperatorKey(pubPath, filepath.Join(dir, "new.key"), pub2, priv2); err == nil {
		t.Fatal("overwrote an existing public key")
	}
	if _, err := os.Stat(filepath.Join(dir, "new.key")); !errors.Is(err, os.ErrNotExist) {
		t.Error("a failed write left a private key behind")
	}

	lpub, err := LoadOperatorPublicKey(pubPath)
	if err != nil {
		t.Fatal(err)
	}
	lpriv, err := LoadOperatorIdentity(privPath)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := Seal(lpub, evidence, []byte("f-9"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(lpriv, sealed, []byte("f-9")); err != nil {
		t.Fatalf("open with loaded identity: %v", err)
	}

	if err := os.Chmod(privPath, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOperatorIdentity(privPath); err == nil || !strings.Contains(err.Error(), "group or others") {
		t.Errorf("group-readable identity accepted: %v", err)
	}
	if _, err := LoadOperatorPublicKey(privPath); err == nil {
		t.Error("a private key loaded as public key")
	}
	bad := filepath.Join(dir, "bad.pub")
	if err := os.WriteFile(bad, []byte(strings.Replace(string(pub), "X-Wing", "RSA", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOperatorPublicKey(bad); err == nil || !strings.Contains(err.Error(), "unknown KEM") {
		t.Errorf("unknown KEM accepted: %v", err)
	}
}

// TestKeyFilesNotRegularOrHuge: a key, smtp.ca_file or notify config path
// naming a device, a FIFO or a directory is refused before it is opened (a
// FIFO would block the open, /dev/zero never end), and a regular file of
// 5 MiB is refused after the loader's limit; the errors name the path. Each load runs under a
// deadline, so a regression fails the test instead of hanging it.
func TestKeyFilesNotRegularOrHuge(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "key.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge.pub")
	if err := os.WriteFile(huge, bytes.Repeat([]byte("A"), 5<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, want string }{
		{"/dev/zero", "/dev/zero is not a regular file"},
		{fifo, fifo + " is not a regular file"},
		{dir, dir + " is a directory"},
		{huge, huge + " is larger than"},
	} {
		caFile := func(path string) ([]byte, error) {
			_, err := NewMailer(SMTPConfig{Host: "127.0.0.1", From: "leakwatch@example.jp", TLS: TLSStartTLS, CAFile: path}, nil)
			return nil, err
		}
		config := func(path string) ([]byte, error) {
			_, err := LoadConfig(path)
			return nil, err
		}
		for _, load := range []func(string) ([]byte, error){LoadOperatorPublicKey, LoadOperatorIdentity, caFile, config} {
			done := make(chan error, 1)
			go func() {
				_, err := load(c.path)
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Errorf("%s: %v, want an error containing %q", c.path, err, c.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("%s: still loading after 10 s", c.path)
			}
		}
	}
}

func BenchmarkSealXWing(b *testing.B) {
	pub, _, err := GenerateOperatorKey()
	if err != nil {
		b.Fatal(err)
	}
	ev := bytes.Repeat([]byte("x"), 4096)
	b.SetBytes(int64(len(ev)))
	for b.Loop() {
		if _, err := Seal(pub, ev, []byte("f-1")); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenXWing(b *testing.B) {
	pub, priv, err := GenerateOperatorKey()
	if err != nil {
		b.Fatal(err)
	}
	ev := bytes.Repeat([]byte("x"), 4096)
	sealed, err := Seal(pub, ev, []byte("f-1"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(ev)))
	for b.Loop() {
		if _, err := Open(priv, sealed, []byte("f-1")); err != nil {
			b.Fatal(err)
		}
	}
}
