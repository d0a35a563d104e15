package fingerprints

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/leakwatch/leakwatch/internal/boundedfile"
)

// Key files — the fingerprint key and the OPRF key — share one format and
// one discipline: a few comment lines and one line PREFIX + base64url of 32
// bytes; written with mode 0600 and never over an existing file; refused
// when group- or world-readable; and no error ever echoes a key line.

// writeSecretFile creates path (and its directory, 0700) with mode 0600 and
// writes text, refusing to overwrite; why says what overwriting would
// break. A failed write leaves no file.
func writeSecretFile(path, what, why string, text []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("creating %s directory: %w", what, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s %s already exists; refusing to overwrite it (%s)", what, path, why)
	}
	if err != nil {
		return fmt.Errorf("creating %s: %w", what, err)
	}
	_, err = f.Write(text)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("writing %s %s: %w", what, path, err)
	}
	return nil
}

// maxSecretFile bounds a key file: a few comment lines and one key line.
const maxSecretFile = 64 << 10

// readSecretFile reads a key file through boundedfile (a regular file,
// refused before it is opened otherwise: a FIFO would block the open, a
// device never end; the opened file the one checked), refusing a file
// others can read (wrapping ErrKeyPermissions) and reading at most
// maxSecretFile bytes. A missing file's error wraps fs.ErrNotExist.
func readSecretFile(path, what string) ([]byte, error) {
	return boundedfile.Read(path, what, maxSecretFile, func(fi fs.FileInfo) error {
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			return fmt.Errorf("%s %s has mode %04o: %w; run 'chmod 600 %s'", what, path, perm, ErrKeyPermissions, path)
		}
		return nil
	})
}

// parseKeyLine returns the 32 bytes of the one key line of a key file.
// name and what only label errors; label names the expected kind of key.
func parseKeyLine(name, what, label, prefix string, data []byte) ([]byte, error) {
	var found []byte
	for i, line := range bytes.Split(data, []byte("\n")) {
		s := strings.TrimSpace(string(line))
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		// Never echo the line: it is the secret, or close to it.
		if found != nil {
			return nil, fmt.Errorf("%s %s: line %d: more than one key", what, name, i+1)
		}
		enc, ok := strings.CutPrefix(s, prefix)
		if !ok {
			return nil, fmt.Errorf("%s %s: line %d: not a %s (expected a line starting %q)", what, name, i+1, label, prefix)
		}
		raw, err := base64.RawURLEncoding.DecodeString(enc)
		if err != nil || len(raw) != 32 {
			return nil, fmt.Errorf("%s %s: line %d: malformed key (want 32 bytes in base64url)", what, name, i+1)
		}
		found = raw
	}
	if found == nil {
		return nil, fmt.Errorf("%s %s: no key in it", what, name)
	}
	return found, nil
}
