package fingerprints

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
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
	text := fmt.Sprintf("# leakwatch fingerprint key, created %s\n# Keep it secret and back it up: sets loaded with it cannot be matched without it.\n%s%s\n",
		time.Now().UTC().Format(time.RFC3339), keyPrefix, base64.RawURLEncoding.EncodeToString(k.secret[:]))
	if err := writeSecretFile(path, "key file", "fingerprints made with it would become useless", []byte(text)); err != nil {
		return nil, err
	}
	return &k, nil
}

// LoadKey reads a key file. It refuses a file that is group- or
// world-readable, a missing file and a malformed one, each with an error
// that says what to do.
func LoadKey(path string) (*Key, error) {
	data, err := readSecretFile(path, "key file")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("key file %s does not exist (create one with 'leakwatch keygen', or point --key or LEAKWATCH_KEY at yours): %w", path, err)
	}
	if err != nil {
		return nil, err
	}
	return parseKey(path, data)
}

func parseKey(path string, data []byte) (*Key, error) {
	raw, err := parseKeyLine(path, "key file", "leakwatch key", keyPrefix, data)
	if err != nil {
		return nil, err
	}
	k := new(Key)
	copy(k.secret[:], raw)
	return k, nil
}

// ID is a short public identifier of the key, stored with each set so that
// matching with the wrong key is refused instead of silently finding
// nothing. It reveals nothing about the key.
func (k *Key) ID() []byte {
	m := hmac.New(sha256.New, k.secret[:])
	m.Write([]byte("leakwatch key id v1"))
	return m.Sum(nil)[:8]
}
