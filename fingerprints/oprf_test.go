package fingerprints

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloudflare/circl/group"

	"github.com/leakwatch/leakwatch/store"
)

func testOPRFKey(t testing.TB) *OPRFKey {
	t.Helper()
	k, err := NewOPRFKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func testSalt(t testing.TB) []byte {
	t.Helper()
	s, err := NewSalt()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func oprfMeta(k *OPRFKey, salt []byte) store.SetMeta {
	return store.SetMeta{Name: "t", Mode: ModeOPRF, Salt: salt, KeyID: k.ID()}
}

func testValues(k Kind, n int) [][]byte {
	vs := make([][]byte, n)
	for i := range vs {
		vs[i] = fmt.Appendf(nil, "%s-value-%d@example.jp", kindNames[k], i)
	}
	return vs
}

// blindEval runs the whole protocol: owner blinds, service evaluates,
// owner verifies and finalizes.
func blindEval(t testing.TB, k *OPRFKey, salt []byte, kind Kind, vs [][]byte) []FP {
	t.Helper()
	b, err := BlindFields(k.Public(), salt, kind, vs)
	if err != nil {
		t.Fatal(err)
	}
	ev, proof, err := k.Evaluate(b.Elements(), b.Info())
	if err != nil {
		t.Fatal(err)
	}
	fps, err := b.Finalize(ev, proof)
	if err != nil {
		t.Fatal(err)
	}
	return fps
}

func TestOPRFBlindMatchesSum(t *testing.T) {
	k := testOPRFKey(t)
	salt := testSalt(t)
	fpr, err := k.ForSet(oprfMeta(k, salt))
	if err != nil {
		t.Fatal(err)
	}
	h := fpr.NewHasher()
	seen := map[FP]bool{}
	for _, kind := range Kinds() {
		vs := testValues(kind, 64)
		vs = append(vs, []byte{}, bytes.Repeat([]byte{'x'}, maxOPRFInput), bytes.Repeat([]byte{'y'}, maxOPRFInput+10))
		fps := blindEval(t, k, salt, kind, vs)
		for i, v := range vs {
			if got := h.Sum(kind, v); got != fps[i] {
				t.Fatalf("kind %v value %d: blind fingerprint %x, direct %x", kind, i, fps[i], got)
			}
			if seen[fps[i]] {
				t.Fatalf("kind %v value %d: duplicate fingerprint", kind, i)
			}
			seen[fps[i]] = true
		}
	}
	// A second Hasher and a key reloaded from its file agree.
	text, err := k.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	k2, err := ParseOPRFKey("mem", text)
	if err != nil {
		t.Fatal(err)
	}
	fpr2, err := k2.ForSet(oprfMeta(k, salt))
	if err != nil {
		t.Fatal(err)
	}
	v := []byte("someone@example.jp")
	if fpr2.NewHasher().Sum(Email, v) != h.Sum(Email, v) {
		t.Fatal("reloaded key gives other fingerprints")
	}
}

func TestOPRFDomainSeparation(t *testing.T) {
	k := testOPRFKey(t)
	salt1, salt2 := testSalt(t), testSalt(t)
	v := [][]byte{[]byte("19800101")}
	a := blindEval(t, k, salt1, Birthdate, v)[0]
	if b := blindEval(t, k, salt1, Date, v)[0]; a == b {
		t.Error("same fingerprint for two kinds")
	}
	if b := blindEval(t, k, salt2, Birthdate, v)[0]; a == b {
		t.Error("same fingerprint for two salts")
	}
	if b := blindEval(t, testOPRFKey(t), salt1, Birthdate, v)[0]; a == b {
		t.Error("same fingerprint for two keys")
	}
	if b := blindEval(t, k, salt1, Birthdate, v)[0]; a != b {
		t.Error("fingerprint not deterministic")
	}
}

func TestOPRFRejectsForgery(t *testing.T) {
	k := testOPRFKey(t)
	salt := testSalt(t)
	vs := testValues(Email, 8)
	b, err := BlindFields(k.Public(), salt, Email, vs)
	if err != nil {
		t.Fatal(err)
	}
	ev, proof, err := k.Evaluate(b.Elements(), b.Info())
	if err != nil {
		t.Fatal(err)
	}
	clone := func(in [][]byte) [][]byte {
		out := make([][]byte, len(in))
		for i := range in {
			out[i] = bytes.Clone(in[i])
		}
		return out
	}
	otherInfo, err := OPRFInfo(salt, Phone)
	if err != nil {
		t.Fatal(err)
	}
	evOtherInfo, proofOtherInfo, err := k.Evaluate(b.Elements(), otherInfo)
	if err != nil {
		t.Fatal(err)
	}
	evOtherKey, proofOtherKey, err := testOPRFKey(t).Evaluate(b.Elements(), b.Info())
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]func() ([][]byte, []byte){
		"flipped proof byte": func() ([][]byte, []byte) {
			p := bytes.Clone(proof)
			p[len(p)/2] ^= 1
			return ev, p
		},
		"truncated proof": func() ([][]byte, []byte) { return ev, proof[:len(proof)-1] },
		"empty proof":     func() ([][]byte, []byte) { return ev, nil },
		"swapped elements": func() ([][]byte, []byte) {
			e := clone(ev)
			e[0], e[1] = e[1], e[0]
			return e, proof
		},
		"replaced element": func() ([][]byte, []byte) {
			e := clone(ev)
			e[3] = b.Elements()[3]
			return e, proof
		},
		"corrupted element": func() ([][]byte, []byte) {
			e := clone(ev)
			e[2][5] ^= 1
			return e, proof
		},
		"missing element": func() ([][]byte, []byte) { return ev[:len(ev)-1], proof },
		"other info":      func() ([][]byte, []byte) { return evOtherInfo, proofOtherInfo },
		"other key":       func() ([][]byte, []byte) { return evOtherKey, proofOtherKey },
		"proof of other batch": func() ([][]byte, []byte) {
			return ev, proofOtherInfo
		},
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			e, p := f()
			fps, err := b.Finalize(e, p)
			if err == nil {
				t.Fatalf("accepted a forged answer: %x", fps)
			}
			if !errors.Is(err, ErrOPRFProof) {
				t.Errorf("error %v does not wrap ErrOPRFProof", err)
			}
			for _, v := range vs {
				if strings.Contains(err.Error(), string(v)) {
					t.Errorf("error contains a value: %v", err)
				}
			}
		})
	}
	// The genuine answer still verifies.
	if _, err := b.Finalize(ev, proof); err != nil {
		t.Fatal(err)
	}
}

// TestOPRFBlindedRevealsNothing checks that what the service receives does
// not contain the value, its plain hashes, or its unblinded group element
// H(x), which anyone could compute and compare; and that blinding is fresh.
func TestOPRFBlindedRevealsNothing(t *testing.T) {
	k := testOPRFKey(t)
	salt := testSalt(t)
	vs := testValues(Phone, 32)
	b1, err := BlindFields(k.Public(), salt, Phone, vs)
	if err != nil {
		t.Fatal(err)
	}
	b2, err := BlindFields(k.Public(), salt, Phone, vs)
	if err != nil {
		t.Fatal(err)
	}
	var sent []byte
	for _, e := range append(b1.Elements(), b2.Elements()...) {
		sent = append(sent, e...)
	}
	sent = append(sent, b1.Info()...)
	dst := []byte("HashToGroup-OPRFV1-\x02-" + oprfSuite.Identifier())
	for i, v := range vs {
		in := oprfInput(nil, v)
		hv, hin := sha256.Sum256(v), sha256.Sum256(in)
		hx, err := group.P256.HashToElement(in, dst).MarshalBinaryCompress()
		if err != nil {
			t.Fatal(err)
		}
		for name, needle := range map[string][]byte{"value": v, "sha256(value)": hv[:], "sha256(input)": hin[:], "H(x)": hx, "H(x) x-coordinate": hx[1:]} {
			if bytes.Contains(sent, needle) {
				t.Errorf("value %d: the service receives its %s", i, name)
			}
		}
		if bytes.Equal(b1.Elements()[i], b2.Elements()[i]) {
			t.Errorf("value %d: two blindings are equal", i)
		}
	}
	// The blinded elements of different values are not the same either.
	seen := map[string]bool{}
	for _, e := range b1.Elements() {
		if seen[string(e)] {
			t.Fatal("two blinded elements are equal")
		}
		seen[string(e)] = true
	}
}

func TestOPRFEvaluateRejects(t *testing.T) {
	k := testOPRFKey(t)
	salt := testSalt(t)
	b, err := BlindFields(k.Public(), salt, Email, testValues(Email, 2))
	if err != nil {
		t.Fatal(err)
	}
	good := b.Elements()
	identity, err := group.P256.Identity().MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	uncompressed := func() []byte {
		e := group.P256.NewElement()
		if err := e.UnmarshalBinary(good[0]); err != nil {
			t.Fatal(err)
		}
		u, err := e.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		return u
	}()
	cases := map[string]struct {
		elems [][]byte
		info  []byte
	}{
		"empty batch":    {nil, b.Info()},
		"oversized":      {make([][]byte, MaxOPRFBatch+1), b.Info()},
		"no info":        {good, nil},
		"foreign info":   {good, []byte("some other protocol")},
		"bad kind":       {good, append(bytes.Clone(b.Info()[:len(b.Info())-1]), 0)},
		"garbage":        {[][]byte{good[0], []byte("not a point")}, b.Info()},
		"identity":       {[][]byte{identity}, b.Info()},
		"uncompressed":   {[][]byte{uncompressed}, b.Info()},
		"truncated elem": {[][]byte{good[0][:20]}, b.Info()},
	}
	for name, c := range cases {
		if _, _, err := k.Evaluate(c.elems, c.info); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := BlindFields(k.Public(), nil, Email, good); err == nil {
		t.Error("BlindFields accepted an empty salt")
	}
	if _, err := BlindFields(k.Public(), salt, kindNone, good); err == nil {
		t.Error("BlindFields accepted kind none")
	}
	if _, err := BlindFields(k.Public(), salt, Email, nil); err == nil {
		t.Error("BlindFields accepted no values")
	}
}

func TestOPRFForSetRefuses(t *testing.T) {
	k := testOPRFKey(t)
	salt := testSalt(t)
	meta := oprfMeta(k, salt)
	meta.Mode = ModeKeyed
	if _, err := k.ForSet(meta); err == nil {
		t.Error("accepted a keyed set")
	}
	meta = oprfMeta(testOPRFKey(t), salt)
	if _, err := k.ForSet(meta); err == nil || !strings.Contains(err.Error(), "another oprf key") {
		t.Errorf("wrong key: %v", err)
	}
	meta = oprfMeta(k, nil)
	if _, err := k.ForSet(meta); err == nil {
		t.Error("accepted a set without salt")
	}
	// The key id is the public key's, so an owner can check it.
	pub, err := k.Public().MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	p2, err := ParseOPRFPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(p2.ID(), k.ID()) || len(k.ID()) != 8 {
		t.Error("public key id differs after round trip")
	}
	if _, err := ParseOPRFPublicKey(pub[:10]); err == nil {
		t.Error("accepted a truncated public key")
	}
}

func TestOPRFKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "oprf.key")
	k, err := GenerateOPRFKey(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %04o", fi.Mode().Perm())
	}
	k2, err := LoadOPRFKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k.ID(), k2.ID()) {
		t.Error("reloaded key has another id")
	}
	if _, err := GenerateOPRFKey(path); err == nil {
		t.Error("overwrote an existing key")
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOPRFKey(path); !errors.Is(err, ErrKeyPermissions) {
		t.Errorf("readable key file: %v", err)
	}
	secretLine := oprfKeyPrefix + "AAAA"
	for name, data := range map[string]string{
		"empty":     "# nothing\n",
		"short":     secretLine + "\n",
		"two keys":  mustText(t, k) + mustText(t, k),
		"other key": "LEAKWATCH-KEY-1-" + strings.Repeat("A", 43) + "\n",
		"zero":      oprfKeyPrefix + strings.Repeat("A", 43) + "\n",
	} {
		_, err := ParseOPRFKey("f", []byte(data))
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if strings.Contains(err.Error(), "AAAA") {
			t.Errorf("%s: error echoes the key: %v", name, err)
		}
	}
}

func mustText(t *testing.T, k *OPRFKey) string {
	t.Helper()
	b, err := k.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// BenchmarkFingerprintSum compares the matcher's per-fingerprint cost for a
// keyed set (HMAC-SHA256) and a blind set (POPRF FullEvaluate) in one run:
// oprf-miss hashes a new value each time (the cost of a candidate never
// seen), oprf-hit the same value again (the per-Hasher cache).
func BenchmarkFingerprintSum(b *testing.B) {
	v := []byte("taro.yamada@example.co.jp")
	var key Key
	if _, err := rand.Read(key.secret[:]); err != nil {
		b.Fatal(err)
	}
	salt := testSalt(b)
	ok := testOPRFKey(b)
	oprfSet, err := ok.ForSet(oprfMeta(ok, salt))
	if err != nil {
		b.Fatal(err)
	}
	distinct := make([][]byte, 1<<14)
	for i := range distinct {
		distinct[i] = fmt.Appendf(nil, "user%06d@example.co.jp", i)
	}
	for _, c := range []struct {
		name string
		fpr  Fingerprinter
		miss bool
	}{{"keyed", key.Keyed(salt), false}, {"oprf-hit", oprfSet, false}, {"oprf-miss", oprfSet, true}} {
		b.Run(c.name, func(b *testing.B) {
			h := c.fpr.NewHasher()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if c.miss {
					// More distinct values than the cache holds, in a
					// cycle: every lookup misses.
					h.Sum(Email, distinct[i%len(distinct)])
					i++
				} else {
					h.Sum(Email, v)
				}
			}
		})
	}
}

// BenchmarkOPRFBlindLoad measures one batch of 1000 fields through the
// owner's blind and finalize and the service's evaluate, reporting the
// cost per field of each side.
func BenchmarkOPRFBlindLoad(b *testing.B) {
	const batch = 1000
	k := testOPRFKey(b)
	salt := testSalt(b)
	vs := testValues(Email, batch)
	var owner, service float64
	for b.Loop() {
		t0 := time.Now()
		bl, err := BlindFields(k.Public(), salt, Email, vs)
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		ev, proof, err := k.Evaluate(bl.Elements(), bl.Info())
		if err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		if _, err := bl.Finalize(ev, proof); err != nil {
			b.Fatal(err)
		}
		t3 := time.Now()
		owner += float64(t1.Sub(t0) + t3.Sub(t2))
		service += float64(t2.Sub(t1))
	}
	b.ReportMetric(owner/float64(b.N*batch), "owner-ns/field")
	b.ReportMetric(service/float64(b.N*batch), "service-ns/field")
}
