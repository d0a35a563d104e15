package fingerprints

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/cloudflare/circl/group"
	"github.com/cloudflare/circl/oprf"
	"github.com/cloudflare/circl/zk/dleq"

	"github.com/leakwatch/leakwatch/store"
)

// ModeOPRF marks sets loaded blind: their fingerprints are outputs of an
// oblivious PRF whose key only the key service holds.
const ModeOPRF = "oprf"

// Blind loading.
//
// The data owner normalizes each field on its own machine, blinds it, and
// sends only the blinded group elements to the monitor's key service; the
// service evaluates the PRF under its key without learning the value,
// proves that it used its published key, and the owner verifies the proof,
// unblinds, and uploads only fingerprints. The monitor never sees a record
// and the owner never holds the key.
//
// Mode: POPRF (RFC 9497 partially oblivious PRF, mode 0x02) with suite
// P256-SHA256, as implemented by github.com/cloudflare/circl/oprf.
//
//   - Why partially oblivious rather than VOPRF: the POPRF adds a public
//     input, info = label || salt || kind, that both sides see and that
//     enters the key itself (the evaluation key is k + H(info)). So the
//     fingerprint of a value is bound to one set (its random salt) and one
//     kind, as keyed sets are by HKDF and the kind byte: a token blinded
//     for one set or kind cannot be replayed to get the fingerprint of the
//     same value in another, the same phone number in two sets gets
//     unrelated fingerprints, and a date loaded as a birthdate never
//     matches one loaded as a date. A VOPRF would need the salt and kind
//     inside the private input, where the service could not enforce or
//     account for them (e.g. rate-limit per set). POPRF keeps
//     verifiability: the service proves (DLEQ, batched) that it evaluated
//     under the key derived from its public key and this info, so a
//     service that answered with a wrong or per-owner key, which would make
//     the set silently unmatchable or linkable, is caught at load time.
//   - Why P256-SHA256: a prime-order group (no cofactor pitfalls) at
//     128-bit security like HMAC-SHA256 here, whose point multiplications
//     circl delegates to the standard library's constant-time P-256. Only
//     compressed, canonical, non-identity encodings are accepted. Caveat:
//     circl does P-256 scalar arithmetic (the key tweak k + H(info) and
//     its inverse) with math/big, which is not constant-time; ristretto255
//     (constant-time scalars, faster) is the better suite for a
//     network-facing service and needs only oprfSuite changed, once its
//     dependency is in go.sum.
//
// What the key service learns: the set salt and kind of each batch (the
// public info) and the batch size, nothing about the values: a blinded
// element is r·H(x) for a fresh uniformly random scalar r, which is a
// uniformly random group element whatever x is (perfect hiding).
//
// What the owner learns: the fingerprints of its own values, as with keyed
// loading, and nothing that lets it compute fingerprints without asking the
// service (one evaluation per query, which the service can meter).
//
// What a thief learns: with the store alone, fingerprints unrelated to the
// values, since computing one needs the key. With the store and the OPRF
// key (the monitor's machine), it can test guesses, exactly as with the
// store and a keyed set's key. With the store and owner-side access to the
// service, it can test guesses only at the service's rate limit.
//
// The fingerprint is the first FPSize bytes of the RFC 9497 output
// Finalize(x, info) = SHA-256(len||x || len||info || len||unblinded ||
// "Finalize"), where x is oprfInput(normalized). The matcher computes the
// same value without blinding (RFC 9497 server FullEvaluate) in
// oprfHasher.Sum, so everything downstream (chunks, index, matching) sees
// only FPs, as for keyed sets.

// oprfKeyPrefix starts the one meaningful line of an OPRF key file.
const oprfKeyPrefix = "LEAKWATCH-OPRF-KEY-1-"

// oprfInfoLabel starts every POPRF public info of leakwatch.
const oprfInfoLabel = "leakwatch oprf v1"

// MaxOPRFBatch is the most elements one Evaluate call accepts. It bounds
// the service's work and memory per request; the owner splits larger
// loads into several batches.
const MaxOPRFBatch = 4096

// maxOPRFInput is the longest input RFC 9497 allows (its length is framed
// in two bytes).
const maxOPRFInput = 1<<16 - 1

var oprfSuite = oprf.SuiteP256

// ErrOPRFProof is wrapped when the key service's answer does not verify
// against its public key: a forged or altered proof or evaluation, a
// different key, or an evaluation under other public info.
var ErrOPRFProof = errors.New("key service answer does not verify")

// OPRFKey is the key service's secret POPRF key. Like Key it never goes into
// the store; unlike Key, the data owner never holds it.
type OPRFKey struct {
	sk     *oprf.PrivateKey
	server oprf.PartialObliviousServer
	pub    *OPRFPublicKey
}

// OPRFPublicKey is the public half of an OPRFKey, which owners verify the
// service's proofs against.
type OPRFPublicKey struct {
	pk  *oprf.PublicKey
	enc []byte // canonical encoding
}

func newOPRFKey(sk *oprf.PrivateKey) (*OPRFKey, error) {
	pk := sk.Public()
	enc, err := pk.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("encoding oprf public key: %w", err)
	}
	return &OPRFKey{
		sk:     sk,
		server: oprf.NewPartialObliviousServer(oprfSuite, sk),
		pub:    &OPRFPublicKey{pk: pk, enc: enc},
	}, nil
}

// NewOPRFKey returns a fresh random OPRF key, held in memory only. Use
// GenerateOPRFKey for a key service's persistent key.
func NewOPRFKey() (*OPRFKey, error) {
	sk, err := oprf.GenerateKey(oprfSuite, rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating oprf key: %w", err)
	}
	return newOPRFKey(sk)
}

// GenerateOPRFKey writes a new random OPRF key to path with mode 0600 and
// returns it. It refuses to overwrite an existing file.
func GenerateOPRFKey(path string) (*OPRFKey, error) {
	k, err := NewOPRFKey()
	if err != nil {
		return nil, err
	}
	text, err := k.MarshalText()
	if err != nil {
		return nil, err
	}
	if err := writeSecretFile(path, "oprf key file", "sets loaded blind with it would become unmatchable", text); err != nil {
		return nil, err
	}
	return k, nil
}

// MarshalText returns the key in the key file format: comment lines and
// one line LEAKWATCH-OPRF-KEY-1-<base64url scalar>.
func (k *OPRFKey) MarshalText() ([]byte, error) {
	raw, err := k.sk.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("encoding oprf key: %w", err)
	}
	return fmt.Appendf(nil, "# leakwatch oprf key (%s, key id %x), created %s\n# Keep it secret and back it up: sets loaded blind with it cannot be matched without it.\n%s%s\n",
		oprfSuite.Identifier(), k.ID(), time.Now().UTC().Format(time.RFC3339),
		oprfKeyPrefix, base64.RawURLEncoding.EncodeToString(raw)), nil
}

// LoadOPRFKey reads an OPRF key file, refusing one that is group- or
// world-readable (wrapping ErrKeyPermissions), missing or malformed.
func LoadOPRFKey(path string) (*OPRFKey, error) {
	data, err := readSecretFile(path, "oprf key file")
	if err != nil {
		return nil, err
	}
	return ParseOPRFKey(path, data)
}

// ParseOPRFKey parses the key file format of MarshalText; name only
// labels errors.
func ParseOPRFKey(name string, data []byte) (*OPRFKey, error) {
	raw, err := parseKeyLine(name, "oprf key file", "leakwatch oprf key", oprfKeyPrefix, data)
	if err != nil {
		return nil, err
	}
	sk := new(oprf.PrivateKey)
	if err := sk.UnmarshalBinary(oprfSuite, raw); err != nil {
		return nil, fmt.Errorf("oprf key file %s: invalid key: %w", name, err)
	}
	return newOPRFKey(sk)
}

// Public returns the key's public half.
func (k *OPRFKey) Public() *OPRFPublicKey { return k.pub }

// ID is the key id of the public key, stored as SetMeta.KeyID of sets
// loaded blind under this key.
func (k *OPRFKey) ID() []byte { return k.pub.ID() }

// ParseOPRFPublicKey decodes a public key from its MarshalBinary form.
func ParseOPRFPublicKey(data []byte) (*OPRFPublicKey, error) {
	pk := new(oprf.PublicKey)
	if err := pk.UnmarshalBinary(oprfSuite, data); err != nil {
		return nil, fmt.Errorf("invalid oprf public key: %w", err)
	}
	enc, err := pk.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("encoding oprf public key: %w", err)
	}
	return &OPRFPublicKey{pk: pk, enc: enc}, nil
}

// MarshalBinary returns the canonical (compressed, 33-byte) encoding of the public key.
func (p *OPRFPublicKey) MarshalBinary() ([]byte, error) {
	return bytes.Clone(p.enc), nil
}

// ID is a short public identifier of the key (a hash of the suite and the
// public key), so that an owner can check it talks to the service that
// will match its set, and matching with the wrong key is refused.
func (p *OPRFPublicKey) ID() []byte {
	h := sha256.New()
	h.Write([]byte("leakwatch oprf key id v1\x00"))
	h.Write([]byte(oprfSuite.Identifier()))
	h.Write([]byte{0})
	h.Write(p.enc)
	return h.Sum(nil)[:8]
}

// OPRFInfo returns the POPRF public info of fields of kind k in the set
// with the given salt: "leakwatch oprf v1" || len(salt) || salt || kind.
// It binds fingerprints to the set and the kind.
func OPRFInfo(salt []byte, k Kind) ([]byte, error) {
	if len(salt) == 0 || len(salt) > 255 {
		return nil, fmt.Errorf("set salt has %d bytes, want 1 to 255", len(salt))
	}
	if k <= kindNone || k >= numKinds {
		return nil, fmt.Errorf("invalid kind %d", k)
	}
	info := make([]byte, 0, len(oprfInfoLabel)+len(salt)+2)
	info = append(info, oprfInfoLabel...)
	info = append(info, byte(len(salt)))
	info = append(info, salt...)
	info = append(info, byte(k))
	return info, nil
}

// checkOPRFInfo reports whether info has the form OPRFInfo makes, so the
// service evaluates only under leakwatch's own public info.
func checkOPRFInfo(info []byte) error {
	rest, ok := bytes.CutPrefix(info, []byte(oprfInfoLabel))
	if !ok || len(rest) < 3 || int(rest[0]) != len(rest)-2 || rest[0] == 0 {
		return errors.New("malformed oprf info")
	}
	if k := Kind(rest[len(rest)-1]); k <= kindNone || k >= numKinds {
		return fmt.Errorf("oprf info: invalid kind %d", k)
	}
	return nil
}

// oprfInput is the OPRF's private input for a normalized value: a tag byte
// then the value, or, for a value too long for RFC 9497's two-byte length
// framing, another tag then its SHA-256. The tag keeps the two forms
// apart. It appends to dst.
func oprfInput(dst, normalized []byte) []byte {
	if len(normalized) < maxOPRFInput {
		dst = append(dst, 0)
		return append(dst, normalized...)
	}
	sum := sha256.Sum256(normalized)
	dst = append(dst, 1)
	return append(dst, sum[:]...)
}

// Evaluate is the key service's blind evaluation of one batch: it
// multiplies each blinded element by the POPRF key tweaked by info (see
// OPRFInfo) and returns the evaluated elements with one batched DLEQ proof.
// It learns nothing about the values behind the elements. It refuses an
// empty or oversized batch, malformed info and elements that are not
// canonical non-identity group elements.
func (k *OPRFKey) Evaluate(blinded [][]byte, info []byte) (evaluated [][]byte, proof []byte, err error) {
	if len(blinded) == 0 {
		return nil, nil, errors.New("empty oprf batch")
	}
	if len(blinded) > MaxOPRFBatch {
		return nil, nil, fmt.Errorf("oprf batch of %d elements, more than %d", len(blinded), MaxOPRFBatch)
	}
	if err := checkOPRFInfo(info); err != nil {
		return nil, nil, err
	}
	req := &oprf.EvaluationRequest{Elements: make([]oprf.Blinded, len(blinded))}
	for i, b := range blinded {
		if req.Elements[i], err = decodeElement(b); err != nil {
			return nil, nil, fmt.Errorf("blinded element %d: %w", i, err)
		}
	}
	ev, err := k.server.Evaluate(req, info)
	if err != nil {
		return nil, nil, fmt.Errorf("oprf evaluation: %w", err)
	}
	evaluated = make([][]byte, len(ev.Elements))
	for i, e := range ev.Elements {
		if evaluated[i], err = e.MarshalBinaryCompress(); err != nil {
			return nil, nil, fmt.Errorf("encoding evaluated element: %w", err)
		}
	}
	if proof, err = ev.Proof.MarshalBinary(); err != nil {
		return nil, nil, fmt.Errorf("encoding oprf proof: %w", err)
	}
	return evaluated, proof, nil
}

// decodeElement decodes a group element, refusing non-canonical encodings
// and the identity.
func decodeElement(b []byte) (group.Element, error) {
	g := oprfSuite.Group()
	e := g.NewElement()
	if err := e.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("not a group element: %w", err)
	}
	if e.IsIdentity() {
		return nil, errors.New("identity element")
	}
	if enc, err := e.MarshalBinaryCompress(); err != nil || !bytes.Equal(enc, b) {
		return nil, errors.New("non-canonical element encoding")
	}
	return e, nil
}

// BlindedBatch is the owner's side of one blind evaluation: values of one
// kind in one set, blinded under fresh random scalars. It holds the values
// and the blinds in memory only; send Elements and Info to the key
// service, then call Finalize with its answer. A BlindedBatch is for one
// use and not safe for concurrent use.
type BlindedBatch struct {
	client   oprf.PartialObliviousClient
	info     []byte
	fin      *oprf.FinalizeData
	elements [][]byte
}

// BlindFields blinds the normalized values of kind k for the set with the
// given salt, to be evaluated by the key service whose public key is pub.
// Each call draws fresh blinds, so blinding one value twice gives
// unrelated elements.
func BlindFields(pub *OPRFPublicKey, salt []byte, k Kind, normalized [][]byte) (*BlindedBatch, error) {
	if pub == nil {
		return nil, errors.New("no oprf public key")
	}
	if len(normalized) == 0 {
		return nil, errors.New("no values to blind")
	}
	if len(normalized) > MaxOPRFBatch {
		return nil, fmt.Errorf("%d values to blind, more than %d in one batch", len(normalized), MaxOPRFBatch)
	}
	info, err := OPRFInfo(salt, k)
	if err != nil {
		return nil, err
	}
	inputs := make([][]byte, len(normalized))
	for i, v := range normalized {
		inputs[i] = oprfInput(make([]byte, 0, 1+len(v)), v)
	}
	client := oprf.NewPartialObliviousClient(oprfSuite, pub.pk)
	fin, req, err := client.Blind(inputs)
	if err != nil {
		return nil, fmt.Errorf("blinding: %w", err)
	}
	b := &BlindedBatch{client: client, info: info, fin: fin, elements: make([][]byte, len(req.Elements))}
	for i, e := range req.Elements {
		if b.elements[i], err = e.MarshalBinaryCompress(); err != nil {
			return nil, fmt.Errorf("encoding blinded element: %w", err)
		}
	}
	return b, nil
}

// Elements returns the blinded elements to send to the key service, in the
// order of the values.
func (b *BlindedBatch) Elements() [][]byte { return b.elements }

// Info returns the public info to send with the elements.
func (b *BlindedBatch) Info() []byte { return b.info }

// Finalize verifies the key service's answer against its public key and
// returns the fingerprints of the values, in their order. An answer that
// does not verify (forged or altered proof or element, another key, other
// info) returns an error wrapping ErrOPRFProof.
func (b *BlindedBatch) Finalize(evaluated [][]byte, proof []byte) ([]FP, error) {
	if len(evaluated) != len(b.elements) {
		return nil, fmt.Errorf("key service returned %d elements for %d: %w", len(evaluated), len(b.elements), ErrOPRFProof)
	}
	ev := &oprf.Evaluation{Elements: make([]oprf.Evaluated, len(evaluated)), Proof: new(dleq.Proof)}
	var err error
	for i, e := range evaluated {
		if ev.Elements[i], err = decodeElement(e); err != nil {
			return nil, fmt.Errorf("evaluated element %d: %w: %w", i, err, ErrOPRFProof)
		}
	}
	if err := ev.Proof.UnmarshalBinary(oprfSuite.Group(), proof); err != nil {
		return nil, fmt.Errorf("malformed proof: %w: %w", err, ErrOPRFProof)
	}
	outs, err := b.client.Finalize(b.fin, ev, b.info)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOPRFProof, err)
	}
	fps := make([]FP, len(outs))
	for i, o := range outs {
		copy(fps[i][:], o)
	}
	return fps, nil
}

// ForSet returns the Fingerprinter of a set loaded blind under this key,
// for matching: it computes fingerprints directly (RFC 9497 server-side
// FullEvaluate), equal to those the owner got blind. It refuses a set in
// another mode or made with another key.
func (k *OPRFKey) ForSet(meta store.SetMeta) (Fingerprinter, error) {
	if meta.Mode != ModeOPRF {
		return nil, fmt.Errorf("set %q was loaded in mode %q, not with the key service", meta.Name, meta.Mode)
	}
	if !bytes.Equal(meta.KeyID, k.ID()) {
		return nil, fmt.Errorf("set %q was loaded with another oprf key (key id %x, this key is %x): matching it with this key would find nothing", meta.Name, meta.KeyID, k.ID())
	}
	s := &oprfSet{server: k.server}
	for kind := Email; kind < numKinds; kind++ {
		info, err := OPRFInfo(meta.Salt, kind)
		if err != nil {
			return nil, fmt.Errorf("set %q: %w", meta.Name, err)
		}
		// Evaluate once so that Sum, which cannot return an error, never
		// meets one: the only failures depend on the info alone.
		if _, err := s.server.FullEvaluate([]byte{0}, info); err != nil {
			return nil, fmt.Errorf("set %q: oprf evaluation: %w", meta.Name, err)
		}
		s.info[kind] = info
	}
	return s, nil
}

// oprfSet is the Fingerprinter of a set loaded blind, on the key service's
// side.
type oprfSet struct {
	server oprf.PartialObliviousServer
	info   [numKinds][]byte
}

func (s *oprfSet) NewHasher() Hasher { return &oprfHasher{set: s, cache: newFPCache(oprfCacheSize)} }

// oprfCacheSize is how many fingerprints each oprf Hasher remembers.
//
// An OPRF evaluation costs about 130 µs against about 200 ns for HMAC, and
// the same candidates come back again and again: a name in every row of a
// dump, a shop's phone number on every page of a site. A Hasher serves one
// Scanner, so a small LRU per Hasher needs no lock. 4096 entries take
// about 280 KB (key, FP, links and the map entry).
const oprfCacheSize = 4096

type oprfHasher struct {
	set   *oprfSet
	in    []byte
	cache *fpCache
	// hits and misses count cache lookups, for benchmarks and tests.
	hits, misses int64
}

func (h *oprfHasher) Sum(k Kind, normalized []byte) FP {
	var fp FP
	if k <= kindNone || k >= numKinds {
		// Keyed sets hash any kind byte; here an invalid kind has no info.
		// No caller passes one; make it match nothing rather than panic.
		return fp
	}
	key := fpCacheKey(k, normalized)
	if fp, ok := h.cache.get(key); ok {
		h.hits++
		return fp
	}
	h.misses++
	h.in = oprfInput(h.in[:0], normalized)
	out, err := h.set.server.FullEvaluate(h.in, h.set.info[k])
	if err != nil {
		// ForSet evaluated under every info already; the input cannot
		// make this fail.
		panic("fingerprints: oprf evaluation: " + err.Error())
	}
	copy(fp[:], out)
	h.cache.put(key, fp)
	return fp
}

// fpCacheKey keys the cache by SHA-256 of kind || normalized value, so the
// cache holds no candidate in clear (it holds only what the fingerprint
// itself would let a key holder test), and keys have one fixed size.
func fpCacheKey(k Kind, normalized []byte) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte{byte(k)})
	h.Write(normalized)
	var key [sha256.Size]byte
	h.Sum(key[:0])
	return key
}

// fpCache is a fixed-size LRU of fingerprints, in memory only. It is not
// safe for concurrent use.
type fpCache struct {
	idx     map[[sha256.Size]byte]int32
	entries []fpEntry
	head    int32 // most recently used, -1 when empty
	tail    int32 // least recently used
}

type fpEntry struct {
	key        [sha256.Size]byte
	fp         FP
	prev, next int32
}

func newFPCache(size int) *fpCache {
	return &fpCache{idx: make(map[[sha256.Size]byte]int32, size), entries: make([]fpEntry, 0, size), head: -1, tail: -1}
}

func (c *fpCache) get(key [sha256.Size]byte) (FP, bool) {
	i, ok := c.idx[key]
	if !ok {
		return FP{}, false
	}
	c.toFront(i)
	return c.entries[i].fp, true
}

func (c *fpCache) put(key [sha256.Size]byte, fp FP) {
	if i, ok := c.idx[key]; ok {
		c.entries[i].fp = fp
		c.toFront(i)
		return
	}
	var i int32
	if len(c.entries) < cap(c.entries) {
		i = int32(len(c.entries))
		c.entries = append(c.entries, fpEntry{prev: -1, next: -1})
	} else {
		// Evict the least recently used entry and reuse its slot.
		i = c.tail
		delete(c.idx, c.entries[i].key)
		c.unlink(i)
	}
	c.entries[i].key, c.entries[i].fp = key, fp
	c.idx[key] = i
	c.pushFront(i)
}

func (c *fpCache) unlink(i int32) {
	e := &c.entries[i]
	if e.prev >= 0 {
		c.entries[e.prev].next = e.next
	} else {
		c.head = e.next
	}
	if e.next >= 0 {
		c.entries[e.next].prev = e.prev
	} else {
		c.tail = e.prev
	}
	e.prev, e.next = -1, -1
}

func (c *fpCache) pushFront(i int32) {
	e := &c.entries[i]
	e.prev, e.next = -1, c.head
	if c.head >= 0 {
		c.entries[c.head].prev = i
	}
	c.head = i
	if c.tail < 0 {
		c.tail = i
	}
}

func (c *fpCache) toFront(i int32) {
	if c.head == i {
		return
	}
	c.unlink(i)
	c.pushFront(i)
}
