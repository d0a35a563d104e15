package fingerprints

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// keyPrefix starts the one meaningful line of a key file.
const keyPrefix = "LEAKWATCH-KEY-1-"

// Key is the operator's secret fingerprint key. It never goes into the
// store; with it and the store, a thief could test guesses, without it the
// fingerprints are unrelated to the values.
type Key struct {
	secret [32]byte
}

// ErrKeyPermissions is wrapped when a key file is readable by others.
var ErrKeyPermissions = errors.New("key file is readable by group or others")

// GenerateKey writes a new random key to path with mode 0600 and returns it.
// It refuses to overwrite an existing file.
func GenerateKey(path string) (*Key, error) {
	var k Key
	if _, err := rand.Read(k.secret[:]); err != nil {
		return nil, fmt.Errorf("generating key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating key directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("key file %s already exists; refusing to overwrite it (fingerprints made with it would become useless)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("creating key file: %w", err)
	}
	text := fmt.Sprintf("# leakwatch fingerprint key, created %s\n# Keep it secret and back it up: sets loaded with it cannot be matched without it.\n%s%s\n",
		time.Now().UTC().Format(time.RFC3339), keyPrefix, base64.RawURLEncoding.EncodeToString(k.secret[:]))
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("writing key file %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("writing key file %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("writing key file %s: %w", path, err)
	}
	return &k, nil
}

// LoadKey reads a key file. It refuses a file that is group- or
// world-readable, a missing file and a malformed one, each with an error
// that says what to do.
func LoadKey(path string) (*Key, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("key file %s does not exist (create one with 'leakwatch keygen', or point --key or LEAKWATCH_KEY at yours): %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("reading key file: %w", err)
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("key file %s is a directory", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("key file %s has mode %04o: %w; run 'chmod 600 %s'", path, perm, ErrKeyPermissions, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading key file: %w", err)
	}
	return parseKey(path, data)
}

func parseKey(path string, data []byte) (*Key, error) {
	var found *Key
	for i, line := range bytes.Split(data, []byte("\n")) {
		s := strings.TrimSpace(string(line))
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		// Never echo the line: it is the secret, or close to it.
		if found != nil {
			return nil, fmt.Errorf("key file %s: line %d: more than one key", path, i+1)
		}
		enc, ok := strings.CutPrefix(s, keyPrefix)
		if !ok {
			return nil, fmt.Errorf("key file %s: line %d: not a leakwatch key (expected a line starting %q)", path, i+1, keyPrefix)
		}
		raw, err := base64.RawURLEncoding.DecodeString(enc)
		if err != nil || len(raw) != 32 {
			return nil, fmt.Errorf("key file %s: line %d: malformed key (want 32 bytes in base64url)", path, i+1)
		}
		found = new(Key)
		copy(found.secret[:], raw)
	}
	if found == nil {
		return nil, fmt.Errorf("key file %s: no key in it", path)
	}
	return found, nil
}

// ID is a short public identifier of the key, stored with each set so that
// matching with the wrong key is refused instead of silently finding
// nothing. It reveals nothing about the key.
func (k *Key) ID() []byte {
	m := hmac.New(sha256.New, k.secret[:])
	m.Write([]byte("leakwatch key id v1"))
	return m.Sum(nil)[:8]
}
