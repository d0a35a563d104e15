package fingerprints

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/leakwatch/leakwatch/store"
)

// TestPrefilterPassesEveryLoadedValue: a keyed load writes prefilter
// values (chunks "LWR2"), and the index's filter lets every value of the
// set pass, written as in the file or otherwise, while turning away
// almost every value it does not hold, of each kind.
func TestPrefilterPassesEveryLoadedValue(t *testing.T) {
	st, key := openBolt(t), testKey(t)
	const n = 20_000
	var b strings.Builder
	b.WriteString("ref,phone,email,birthdate\n")
	phone := func(i int) string { return fmt.Sprintf("090-%04d-%04d", i/10000, i%10000) }
	email := func(i int) string { return fmt.Sprintf("user%d@example.jp", i) }
	birth := func(i int) string { return fmt.Sprintf("19%02d-%02d-%02d", 30+i%60, 1+i%12, 1+i%28) }
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "r%d,%s,%s,%s\n", i, phone(i), email(i), birth(i))
	}
	_, err := Load(context.Background(), st, key, strings.NewReader(b.String()), LoadOptions{
		Name: "s", Source: "s.csv", Schema: mustSchema(t, "ref=ref,phone=phone,email=email,birthdate=birthdate"),
	})
	if err != nil {
		t.Fatal(err)
	}
	ix, h := indexed(t, st, key, "s")
	if !ix.HasPrefilter() {
		t.Fatal("a keyed load made no prefilter")
	}
	pre := h.(PreHasher)
	may := func(k Kind, v string) bool {
		// A prefetch changes nothing but the caches: the probe after
		// it answers the same.
		ix.Prefetch(k, preOf(t, pre, k, v))
		return ix.MayHave(k, preOf(t, pre, k, v))
	}
	for i := 0; i < n; i++ {
		if !may(Phone, phone(i)) || !may(Email, strings.ToUpper(email(i))) || !may(Birthdate, strings.ReplaceAll(birth(i), "-", "/")) {
			t.Fatalf("record %d: a value of the set was turned away", i)
		}
	}
	// Strangers: other phones and addresses, and the set's own phones
	// asked as another kind (the values are kind-separated).
	r := rand.New(rand.NewPCG(1, 2))
	const probes = 50_000
	passed := 0
	for i := 0; i < probes; i++ {
		if may(Phone, fmt.Sprintf("080-%04d-%04d", r.IntN(10000), r.IntN(10000))) {
			passed++
		}
		if may(Email, fmt.Sprintf("stranger%d@example.com", i)) {
			passed++
		}
	}
	if rate := float64(passed) / (2 * probes); rate > 0.01 {
		t.Fatalf("%.2f%% of strangers' values passed (want under 1%%; a binary fuse filter of 8 bits lets 0.4%% through)", 100*rate)
	}
	if ix.MayHave(Postal, 12345) && ix.MayHave(Postal, 67890) {
		t.Fatal("a kind the set has no field of lets values through")
	}
	fp, _ := ix.MemStats()
	t.Logf("%d of %d strangers' values passed; index %d bytes for %d fingerprints", passed, 2*probes, fp, ix.Len())
}

// TestIndexWithoutPrefilter: sets stored before the prefilter existed
// (chunks "LWR1", no prefilter values) and blind sets are indexed without
// one, and their index lets everything pass; a set with a single chunk
// without values gets none either.
func TestIndexWithoutPrefilter(t *testing.T) {
	st := openBolt(t)
	stageRecords(t, st, "old", 100, func(i int) (string, []Field) {
		return fmt.Sprintf("r%d", i), []Field{{Col: 0, Kind: Phone, FP: fpOf(i, 0)}}
	})
	ix, err := BuildIndex(context.Background(), st, "old")
	if err != nil {
		t.Fatal(err)
	}
	// Nothing to prefetch, for any kind, Pair or none: no panic.
	for k := kindNone; k <= numKinds; k++ {
		ix.Prefetch(k, 1)
	}
	ix.Prefetch(Pair, 1)
	if ix.HasPrefilter() || !ix.MayHave(Phone, 1) || len(ix.Lookup(fpOf(7, 0).Key64())) != 1 {
		t.Fatalf("an LWR1 set: prefilter %v, lookups must work unfiltered", ix.HasPrefilter())
	}

	// Two chunks, one with values and one without: no prefilter.
	ctx := context.Background()
	meta := store.SetMeta{Name: "mixed", Mode: ModeKeyed, Fields: []store.FieldSpec{{Column: "phone", Kind: "phone"}}}
	stage, err := st.StageSet(ctx, meta)
	if err != nil {
		t.Fatal(err)
	}
	for c, pre := range []bool{true, false} {
		b := chunkBuilder{pre: pre}
		b.reset()
		b.add([]byte(fmt.Sprint("r", c)), []Field{{Col: 0, Kind: Phone, FP: fpOf(c, 0), Pre: 42}})
		if err := stage.Append(ctx, b.bytes()); err != nil {
			t.Fatal(err)
		}
	}
	meta.Rows, meta.Fingerprints, meta.Chunks = 2, 2, 2
	if err := stage.Commit(ctx, meta); err != nil {
		t.Fatal(err)
	}
	ix, err = BuildIndex(ctx, st, "mixed")
	if err != nil {
		t.Fatal(err)
	}
	if ix.HasPrefilter() || !ix.MayHave(Phone, 7) {
		t.Fatal("a set with a chunk without prefilter values got a prefilter")
	}
}

// TestChunkPrefilterRoundTrip: LWR2 chunks carry each field's value.
func TestChunkPrefilterRoundTrip(t *testing.T) {
	b := chunkBuilder{pre: true}
	b.reset()
	b.add([]byte("a"), []Field{{Col: 0, Kind: Phone, FP: fpOf(1, 0), Pre: 0xDEADBEEF}, {Col: 1, Kind: Email, Strong: true, FP: fpOf(1, 1), Pre: 7}})
	b.add([]byte("b"), []Field{{Col: 0, Kind: Phone, FP: fpOf(2, 0), Pre: 1}})
	var got []uint32
	pre, err := decodeChunk(b.bytes(), func(ref []byte, fields []Field) error {
		for _, f := range fields {
			got = append(got, f.Pre)
		}
		return nil
	})
	if err != nil || !pre || fmt.Sprint(got) != "[3735928559 7 1]" {
		t.Fatalf("pre %v, values %v, err %v", pre, got, err)
	}
	// Cut short by a byte: refused, not read past.
	c := b.bytes()
	if _, err := decodeChunk(c[:len(c)-1], func([]byte, []Field) error { return nil }); err == nil {
		t.Fatal("a truncated LWR2 chunk was accepted")
	}
}

// preOf returns the prefilter value of v, normalized as kind k.
func preOf(t testing.TB, pre PreHasher, k Kind, v string) uint32 {
	t.Helper()
	norm, err := Normalize(k, v)
	if err != nil {
		t.Fatalf("%s %q: %v", k, v, err)
	}
	return pre.Pre(k, []byte(norm))
}

// TestPrefilterProbe checks the branchless probe against the plain
// definition of a split block Bloom filter, on values loaded and not.
func TestPrefilterProbe(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	vals := make([]uint32, 50_000)
	for i := range vals {
		vals[i] = r.Uint32()
	}
	p := newPrefilter(slices.Clone(vals))
	plain := func(v uint32) bool {
		h := bloomMix(v)
		b := &p.blocks[(h>>32)*uint64(len(p.blocks))>>32]
		for i, salt := range bloomSalt {
			if b[i]&(1<<((uint32(h)*salt)>>27)) == 0 {
				return false
			}
		}
		return true
	}
	for _, v := range vals {
		if !p.mayHave(v) {
			t.Fatalf("loaded value %#x does not pass", v)
		}
	}
	pass := 0
	for range 1_000_000 {
		v := r.Uint32()
		got := p.mayHave(v)
		if got != plain(v) {
			t.Fatalf("mayHave(%#x) = %v, the plain probe says %v", v, got, !got)
		}
		if got {
			pass++
		}
	}
	// 12 bits a value: well under 2% of strangers pass.
	if pass == 0 || pass > 20_000 {
		t.Errorf("%d of 1,000,000 strangers pass", pass)
	}
}

// BenchmarkPrefilterProbe probes a filter of a million values (1.5 MB,
// as a kind's filter of a 1M-record set) in batches of 256, as the
// matcher's flush does, with values almost all absent.
func BenchmarkPrefilterProbe(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	vals := make([]uint32, 1_000_000)
	for i := range vals {
		vals[i] = r.Uint32()
	}
	p := newPrefilter(vals)
	probes := make([]uint32, 1<<16)
	for i := range probes {
		probes[i] = r.Uint32()
	}
	pass := make([]bool, 256)
	b.ResetTimer()
	n := 0
	for b.Loop() {
		batch := probes[n&(len(probes)-1)&^255:][:256]
		for i, v := range batch {
			pass[i] = p.mayHave(v)
		}
		n += 256
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/probe")
}
