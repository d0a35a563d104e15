package main

// Owners' tokens for the key service.
//
// The operator gives each data owner a random bearer token
// (`leakwatch keygen --token OWNER --tokens FILE`, shown once) and the
// tokens file keeps only its SHA-256, one owner a line:
//
//	# owner   sha-256 of the token (hex)                                       sets              options
//	acme      9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08  customers,acme-*  per_day=500000
//
// OWNER names the owner in logs (never the token). SETS is a comma list of
// the set names the token may load: exact names, prefixes ending in "*",
// or "*" alone for any set. per_day=N overrides the config's
// evaluations_per_day for this token. The file must have mode 0600 (as key
// files do: a hash of a 256-bit random token cannot be inverted, but the
// file says who may load what, and leakwatch keeps one discipline for
// every secret file); a malformed line is refused with its line number.
//
// The owner keeps its token in a file of its own, mode 0600, and passes it
// with --token-file.

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// tokenPrefix starts every token, so that one found in a log or a paste is
// recognizable.
const tokenPrefix = "lwt1-"

// tokenEntry is one owner's line of the tokens file.
type tokenEntry struct {
	id     string
	hash   [sha256.Size]byte
	sets   []string // names, prefixes ending in "*", or "*"
	perDay int64    // 0: the service's default
}

// tokenSet is the parsed tokens file.
type tokenSet struct {
	entries []tokenEntry
}

var tokenIDRe = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// allows reports whether the token may load the named set.
func (t *tokenEntry) allows(set string) bool {
	for _, p := range t.sets {
		if p == "*" || p == set {
			return true
		}
		if prefix, ok := strings.CutSuffix(p, "*"); ok && strings.HasPrefix(set, prefix) {
			return true
		}
	}
	return false
}

// lookup returns the entry of the token, or nil. It hashes the token and
// compares the hash with every entry in constant time, without stopping
// at a match, so timing tells nothing about which hash or how much of it
// matched.
func (ts *tokenSet) lookup(token string) *tokenEntry {
	if !strings.HasPrefix(token, tokenPrefix) {
		return nil
	}
	h := sha256.Sum256([]byte(token))
	found := -1
	for i := range ts.entries {
		if subtle.ConstantTimeCompare(h[:], ts.entries[i].hash[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return nil
	}
	return &ts.entries[found]
}

// loadTokens reads the tokens file, refusing one others can read.
func loadTokens(path string) (*tokenSet, error) {
	data, err := readConfigFile(path, "tokens file", maxTokensFile, true)
	if err != nil {
		return nil, err
	}
	ts, err := parseTokens(path, data)
	if err != nil {
		return nil, err
	}
	if len(ts.entries) == 0 {
		return nil, withHint(fmt.Errorf("tokens file %s has no token", path), "add an owner with 'leakwatch keygen --token OWNER --tokens %s --token-sets SETS'", path)
	}
	return ts, nil
}

// parseTokens parses the tokens file format; name labels errors, which
// carry the line number and never echo a hash.
func parseTokens(name string, data []byte) (*tokenSet, error) {
	ts := &tokenSet{}
	ids := map[string]int{}
	hashes := map[[sha256.Size]byte]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		bad := func(format string, a ...any) error {
			return fmt.Errorf("tokens file %s:%d: %s", name, line, fmt.Sprintf(format, a...))
		}
		f := strings.Fields(s)
		if len(f) < 3 || len(f) > 4 {
			return nil, bad("want OWNER SHA256 SETS [per_day=N], got %d fields", len(f))
		}
		var e tokenEntry
		e.id = f[0]
		if !tokenIDRe.MatchString(e.id) {
			return nil, bad("owner must be 1 to 64 letters, digits, '.', '_' or '-'")
		}
		raw, err := hex.DecodeString(f[1])
		if err != nil || len(raw) != sha256.Size {
			return nil, bad("the token's hash must be 64 hex digits (the file holds hashes, not tokens)")
		}
		copy(e.hash[:], raw)
		for _, p := range strings.Split(f[2], ",") {
			if name := strings.TrimSuffix(p, "*"); p != "*" && validSetName(name) != nil {
				return nil, bad("sets: %q is not a set name, a prefix ending in '*', or '*'", p)
			}
			e.sets = append(e.sets, p)
		}
		if len(f) == 4 {
			v, ok := strings.CutPrefix(f[3], "per_day=")
			n, err := strconv.ParseInt(v, 10, 64)
			if !ok || err != nil || n < 1 {
				return nil, bad("options: want per_day=N with N at least 1")
			}
			e.perDay = n
		}
		if prev, dup := ids[e.id]; dup {
			return nil, bad("owner %q already has a token on line %d", e.id, prev)
		}
		if prev, dup := hashes[e.hash]; dup {
			return nil, bad("same token as line %d", prev)
		}
		ids[e.id], hashes[e.hash] = line, line
		ts.entries = append(ts.entries, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("tokens file %s:%d: %w", name, line+1, err)
	}
	return ts, nil
}

// newToken returns a fresh random token.
func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generating token: %w", err)
	}
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// addToken makes a token for owner, appends its hashed line to the tokens
// file (created with mode 0600 if absent) and returns the token, which
// exists nowhere else: the caller shows it once.
func addToken(path, owner, sets string, perDay int64) (string, error) {
	if !tokenIDRe.MatchString(owner) {
		return "", fmt.Errorf("owner %q: use 1 to 64 letters, digits, '.', '_' or '-'", owner)
	}
	tok, err := newToken()
	if err != nil {
		return "", err
	}
	h := sha256.Sum256([]byte(tok))
	line := fmt.Sprintf("%s %x %s", owner, h, sets)
	if perDay > 0 {
		line += fmt.Sprintf(" per_day=%d", perDay)
	}
	var existing, add []byte
	switch _, err := os.Stat(path); {
	case err == nil:
		if existing, err = readConfigFile(path, "tokens file", maxTokensFile, true); err != nil {
			return "", err
		}
		if len(existing) > 0 && existing[len(existing)-1] != '\n' {
			add = append(add, '\n')
		}
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return "", fmt.Errorf("creating tokens file directory: %w", err)
		}
		add = append(add, "# leakwatch key service tokens: owner, sha-256 of its token, the sets it may load, [per_day=N]\n"...)
	default:
		return "", fmt.Errorf("reading tokens file: %w", err)
	}
	add = append(add, line+"\n"...)
	// Check the whole file as the service will read it: a duplicate
	// owner or a bad sets list fails here, not at the daemon's start.
	if _, err := parseTokens(path, append(existing, add...)); err != nil {
		return "", err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return "", fmt.Errorf("writing tokens file: %w", err)
	}
	_, err = f.Write(add)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("writing tokens file %s: %w", path, err)
	}
	return tok, nil
}

// readTokenFile reads the owner's token from its file, refusing a file
// others can read.
func readTokenFile(path string) (string, error) {
	data, err := readConfigFile(path, "token file", maxConfigFile, true)
	if err != nil {
		return "", err
	}
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if !strings.HasPrefix(l, tokenPrefix) {
			return "", fmt.Errorf("token file %s: not a leakwatch token (expected a line starting %q)", path, tokenPrefix)
		}
		return l, nil
	}
	return "", fmt.Errorf("token file %s: no token in it", path)
}
