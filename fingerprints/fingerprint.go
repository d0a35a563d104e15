package fingerprints

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"

	"github.com/leakwatch/leakwatch/store"
)

// FPSize is the size of a stored fingerprint: 128 bits of a PRF output,
// far from collisions at any realistic set size.
const FPSize = 16

// FP is a fingerprint: PRF(set key, kind || normalized value), truncated.
type FP [FPSize]byte

// Key64 returns the fingerprint's first 64 bits, which the in-memory index
// holds. At 10^7 fingerprints and 10^12 lookups a false hit on 64 bits is
// below 10^-6, and a hit still needs a second field to report.
func (f FP) Key64() uint64 { return binary.BigEndian.Uint64(f[:8]) }

// A Hasher computes the fingerprints of one set. A Hasher is not safe for
// concurrent use: make one per goroutine with a Fingerprinter.
type Hasher interface {
	Sum(k Kind, normalized []byte) FP
}

// A Fingerprinter makes Hashers for one set. It is safe for concurrent use.
type Fingerprinter interface {
	NewHasher() Hasher
}

// ModeKeyed marks sets whose fingerprints are HMACs under the local key.
const ModeKeyed = "keyed"

// The fingerprint function of keyed sets.
//
// Why HMAC-SHA256: it is the conservative, standard PRF (RFC 2104), with
// SHA-NI it costs about 170 ns for a short value here. The matcher does not
// pay it for every candidate: a keyed set also carries a cheap keyed
// prefilter (prefilter.go) that turns away almost every value the set does
// not hold before its HMAC is computed. The per-set key is HKDF-SHA256 of the
// operator's key with the set's random salt, so the same phone number in two
// sets has unrelated fingerprints and a set's fingerprints reveal nothing
// about another's. The kind is the first byte of the message, so a date
// loaded as a birthdate never matches one loaded as a date by accident and
// fields of different kinds are domain-separated.
//
// Blind loading (mode "oprf") replaces the PRF by an oblivious one whose key
// the loader never sees; every other part (normalization, chunks, index)
// stays the same, because everything downstream sees only FPs.
type keyedSet struct {
	setKey  [32]byte
	preKeys [numKinds][2]uint64 // see prefilter.go
	pairPre [2]uint64           // the prefilter key of Pair values
}

// NewSalt returns a fresh random salt for a new set.
func NewSalt() ([]byte, error) {
	salt := make([]byte, 32)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("generating salt: %w", err)
	}
	return salt, nil
}

// Keyed returns the Fingerprinter of a keyed set with the given salt.
func (k *Key) Keyed(salt []byte) Fingerprinter {
	sk, err := hkdf.Key(sha256.New, k.secret[:], salt, "leakwatch fingerprint v1", 32)
	if err != nil {
		// hkdf.Key fails only for absurd lengths; 32 is not one.
		panic("fingerprints: hkdf: " + err.Error())
	}
	s := &keyedSet{}
	s.preKeys, s.pairPre = preKeys(k.secret[:], salt)
	copy(s.setKey[:], sk)
	return s
}

// ForSet returns the Fingerprinter of a stored set, refusing a set made with
// another key or in a mode this key cannot compute.
func (k *Key) ForSet(meta store.SetMeta) (Fingerprinter, error) {
	if meta.Mode != ModeKeyed {
		return nil, fmt.Errorf("set %q was loaded in mode %q, which needs the key service", meta.Name, meta.Mode)
	}
	if !bytes.Equal(meta.KeyID, k.ID()) {
		return nil, fmt.Errorf("set %q was loaded with another key (key id %x, this key is %x): matching it with this key would find nothing", meta.Name, meta.KeyID, k.ID())
	}
	return k.Keyed(meta.Salt), nil
}

func (s *keyedSet) NewHasher() Hasher {
	return &keyedHasher{set: s, mac: hmac.New(sha256.New, s.setKey[:])}
}

type keyedHasher struct {
	set  *keyedSet
	mac  hash.Hash
	kind [1]byte
	sum  [sha256.Size]byte
}

func (h *keyedHasher) Sum(k Kind, normalized []byte) FP {
	h.mac.Reset()
	h.kind[0] = byte(k)
	h.mac.Write(h.kind[:])
	h.mac.Write(normalized)
	var fp FP
	copy(fp[:], h.mac.Sum(h.sum[:0]))
	return fp
}
