package main

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

// TestConfigFilesNotRegularOrHuge: the daemon config, the tokens file and
// a token file, named as /dev/zero, a FIFO (mode 0600, so that the tokens
// file's mode check passes) or a directory, are refused before they are
// opened: /dev/zero read until memory ran out, and a FIFO blocked the
// open. A regular file past the limit is refused after it. Every error
// names the path; each load runs under a deadline, so a regression fails
// the test instead of hanging it.
func TestConfigFilesNotRegularOrHuge(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "dir")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge")
	if err := os.WriteFile(huge, bytes.Repeat([]byte("# a comment line\n"), maxTokensFile/16), 0o600); err != nil {
		t.Fatal(err)
	}
	loaders := map[string]func(string) error{
		"config":      func(p string) error { _, err := loadDaemonConfig(p); return err },
		"tokens file": func(p string) error { _, err := loadTokens(p); return err },
		"token file":  func(p string) error { _, err := readTokenFile(p); return err },
		"added token": func(p string) error { _, err := addToken(p, "owner", "set", 0); return err },
	}
	for name, load := range loaders {
		for _, c := range []struct{ path, want string }{
			{"/dev/zero", "/dev/zero"},
			{fifo, fifo + " is not a regular file"},
			{sub, sub},
			{huge, huge + " is larger than"},
		} {
			done := make(chan error, 1)
			go func() { done <- load(c.path) }()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Errorf("%s %s: %v, want an error containing %q", name, c.path, err, c.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("%s %s: still loading after 10 s", name, c.path)
			}
		}
	}
}

// TestSecretFilesReadOnce: the tokens file and a token file readable by
// group or others are refused by every loader, with the hint, from the
// one check readConfigFile makes (before the open, and on the opened
// file).
func TestSecretFilesReadOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(path, []byte("# tokens\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, load := range map[string]func(string) error{
		"tokens file": func(p string) error { _, err := loadTokens(p); return err },
		"token file":  func(p string) error { _, err := readTokenFile(p); return err },
		"added token": func(p string) error { _, err := addToken(p, "owner", "set", 0); return err },
	} {
		err := load(path)
		if err == nil || !strings.Contains(err.Error(), path+" has mode 0644: it is readable by group or others") || !strings.Contains(hintOf(err), "chmod 600") {
			t.Errorf("%s: %v (hint %q), want the mode refused with a hint", name, err, hintOf(err))
		}
	}
	if data, err := os.ReadFile(path); err != nil || string(data) != "# tokens\n" {
		t.Errorf("the refused tokens file changed: %q, %v", data, err)
	}
}

// hintOf returns the hints err carries, joined.
func hintOf(err error) string {
	var h *hintError
	if errors.As(err, &h) {
		return strings.Join(h.hints, "; ")
	}
	return ""
}
