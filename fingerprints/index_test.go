package fingerprints

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/leakwatch/leakwatch/store"
)

// stageRecords writes records built by gen straight into a set, bypassing
// normalization, so the index can be tested on its own.
func stageRecords(t testing.TB, st store.Store, name string, n int, gen func(i int) (ref string, fields []Field)) store.SetMeta {
	t.Helper()
	meta := testSetMeta(name)
	var chunks [][]byte
	var c chunkBuilder
	c.reset()
	for i := 0; i < n; i++ {
		ref, fields := gen(i)
		c.add([]byte(ref), fields)
		meta.Rows++
		meta.Fingerprints += int64(len(fields))
		if c.count == chunkRecords || i == n-1 {
			chunks = append(chunks, c.bytes())
			c.reset()
		}
	}
	return commitChunks(t, st, meta, chunks...)
}

// testSetMeta is the metadata of the sets stageRecords makes: columns
// phone, email (strong) and birthdate.
func testSetMeta(name string) store.SetMeta {
	return store.SetMeta{Name: name, Mode: ModeKeyed, Fields: []store.FieldSpec{
		{Column: "phone", Kind: "phone"}, {Column: "email", Kind: "email", Strong: true}, {Column: "birthdate", Kind: "birthdate"},
	}}
}

// commitChunks stores chunks as the committed version of the set meta
// describes (its Chunks count set here).
func commitChunks(t testing.TB, st store.Store, meta store.SetMeta, chunks ...[]byte) store.SetMeta {
	t.Helper()
	ctx := context.Background()
	stage, err := st.StageSet(ctx, meta)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range chunks {
		if err := stage.Append(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	meta.Chunks = int64(len(chunks))
	if err := stage.Commit(ctx, meta); err != nil {
		t.Fatal(err)
	}
	return meta
}

func fpOf(i, field int) FP {
	var f FP
	binary.BigEndian.PutUint64(f[:8], rand.New(rand.NewPCG(uint64(i), uint64(field))).Uint64())
	return f
}

func openBolt(t testing.TB) store.Store {
	t.Helper()
	st, err := store.OpenBolt(filepath.Join(t.TempDir(), "leakwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestIndexFindsEveryFingerprint(t *testing.T) {
	st := openBolt(t)
	const n = 50_000
	// Every record has a unique phone and email; birthdates are shared by
	// groups of 100 records, as real birthdates are.
	stageRecords(t, st, "s", n, func(i int) (string, []Field) {
		return fmt.Sprintf("r%d", i), []Field{
			{Col: 0, Kind: Phone, FP: fpOf(i, 0)},
			{Col: 1, Kind: Email, Strong: true, FP: fpOf(i, 1)},
			{Col: 2, Kind: Birthdate, FP: fpOf(i/100, 2)},
		}
	})
	ix, err := BuildIndex(context.Background(), st, "s")
	if err != nil {
		t.Fatal(err)
	}
	if ix.Records() != n || ix.Len() != 3*n {
		t.Fatalf("index has %d records, %d fingerprints", ix.Records(), ix.Len())
	}
	for i := 0; i < n; i++ {
		for col := 0; col < 2; col++ {
			hits := ix.Lookup(fpOf(i, col).Key64())
			if len(hits) != 1 || hits[0].Record() != uint32(i) || hits[0].Col() != uint8(col) {
				t.Fatalf("record %d col %d: hits %v", i, col, hits)
			}
		}
		if got := ix.Ref(uint32(i)); got != fmt.Sprintf("r%d", i) {
			t.Fatalf("ref of %d = %q", i, got)
		}
	}
	hits := ix.Lookup(fpOf(7, 2).Key64())
	var recs []uint32
	for _, h := range hits {
		if h.Col() != 2 {
			t.Fatalf("birthdate hit in column %d", h.Col())
		}
		recs = append(recs, h.Record())
	}
	slices.Sort(recs)
	if len(recs) != 100 || recs[0] != 700 || recs[99] != 799 {
		t.Fatalf("shared birthdate: %d hits, %v..", len(recs), recs[:min(3, len(recs))])
	}
	r := rand.New(rand.NewPCG(99, 99))
	for i := 0; i < 100_000; i++ {
		if hits := ix.Lookup(r.Uint64()); hits != nil {
			t.Fatalf("random key found %v", hits)
		}
	}
	if k, strong := ix.Column(1); k != Email || !strong {
		t.Fatalf("column 1 = %v strong=%v", k, strong)
	}
	fpBytes, _ := ix.MemStats()
	if per := float64(fpBytes) / float64(ix.Len()); per > 16 {
		t.Fatalf("index holds %.1f bytes per fingerprint, more than 16", per)
	}
}

func TestIndexEmptyAndTinySets(t *testing.T) {
	st := openBolt(t)
	for _, n := range []int{1, 2, 9, 17} {
		name := fmt.Sprintf("s%d", n)
		stageRecords(t, st, name, n, func(i int) (string, []Field) {
			return "x", []Field{{Col: 0, Kind: Phone, FP: fpOf(i, 0)}}
		})
		ix, err := BuildIndex(context.Background(), st, name)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			if len(ix.Lookup(fpOf(i, 0).Key64())) != 1 {
				t.Fatalf("n=%d: record %d not found", n, i)
			}
		}
		if ix.Lookup(fpOf(n, 0).Key64()) != nil {
			t.Fatalf("n=%d: absent key found", n)
		}
	}
}

func TestIndexRejectsCorruptChunk(t *testing.T) {
	st := openBolt(t)
	ctx := context.Background()
	meta := store.SetMeta{Name: "bad", Mode: ModeKeyed, Fields: []store.FieldSpec{{Column: "p", Kind: "phone"}}, Rows: 1, Fingerprints: 1}
	stage, _ := st.StageSet(ctx, meta)
	if err := stage.Append(ctx, []byte("LWR1\x05garbage")); err != nil {
		t.Fatal(err)
	}
	if err := stage.Commit(ctx, meta); err != nil {
		t.Fatal(err)
	}
	if _, err := BuildIndex(ctx, st, "bad"); err == nil {
		t.Fatal("corrupt chunk accepted")
	}
}

// BenchmarkIndexLookup builds an index of 9,000,000 field fingerprints (a
// 1,000,000-row set of 9 fields) and measures lookups of present and absent
// keys, reporting the index's bytes per fingerprint.
func BenchmarkIndexLookup(b *testing.B) {
	st := openBolt(b)
	const rows, perRow = 1_000_000, 9
	meta := store.SetMeta{Name: "big", Mode: ModeKeyed}
	for c := 0; c < perRow; c++ {
		meta.Fields = append(meta.Fields, store.FieldSpec{Column: fmt.Sprint(c), Kind: "phone"})
	}
	ctx := context.Background()
	stage, _ := st.StageSet(ctx, meta)
	var c chunkBuilder
	c.reset()
	fields := make([]Field, perRow)
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < rows; i++ {
		for j := range fields {
			fields[j] = Field{Col: uint8(j), Kind: Phone}
			binary.BigEndian.PutUint64(fields[j].FP[:8], r.Uint64())
		}
		c.add([]byte("r"), fields)
		if c.count == chunkRecords || i == rows-1 {
			stage.Append(ctx, c.bytes())
			c.reset()
		}
	}
	meta.Rows, meta.Fingerprints = rows, rows*perRow
	if err := stage.Commit(ctx, meta); err != nil {
		b.Fatal(err)
	}
	ix, err := BuildIndex(ctx, st, "big")
	if err != nil {
		b.Fatal(err)
	}
	fpBytes, refBytes := ix.MemStats()
	keys := make([]uint64, 1<<16)
	r2 := rand.New(rand.NewPCG(1, 2))
	for i := range keys {
		if i%2 == 0 {
			keys[i] = r2.Uint64() // present: replays the generator
		} else {
			keys[i] = rand.Uint64() // almost surely absent
		}
	}
	b.ResetTimer()
	found := 0
	i := 0
	for b.Loop() {
		if ix.Lookup(keys[i&(len(keys)-1)]) != nil {
			found++
		}
		i++
	}
	b.ReportMetric(float64(fpBytes)/float64(ix.Len()), "bytes/fingerprint")
	b.ReportMetric(float64(refBytes)/float64(ix.Records()), "ref-bytes/record")
	if found == 0 {
		b.Fatal("no key found")
	}
}
