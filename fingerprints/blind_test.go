package fingerprints

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/leakwatch/leakwatch/store"
)

// fakeService is a key service in memory over a real store: it draws the
// salt, evaluates with its key, checks chunks as the real service does,
// and records every blinded element it is sent.
type fakeService struct {
	st  store.Store
	key *OPRFKey
	// tamper, if set, may alter the answer to evaluation number n (from 1).
	tamper func(n int64, evaluated [][]byte, proof []byte) ([][]byte, []byte)
	// fail, if set, is returned by evaluation number failAt.
	fail   error
	failAt int64

	evals    atomic.Int64
	elements atomic.Int64
	mu       sync.Mutex
	received [][]byte // every blinded element and info sent
	maxBatch int
}

type fakeStage struct {
	store.SetStage
	svc    *fakeService
	salt   []byte
	fields []store.FieldSpec
	counts []int64
}

func (f *fakeService) StageBlindSet(ctx context.Context, meta store.SetMeta) (BlindStage, error) {
	if meta.Salt != nil {
		return nil, errors.New("the owner must not choose the salt")
	}
	salt, err := NewSalt()
	if err != nil {
		return nil, err
	}
	meta.Salt, meta.Mode, meta.KeyID = salt, ModeOPRF, f.key.ID()
	st, err := f.st.StageSet(ctx, meta)
	if err != nil {
		return nil, err
	}
	return &fakeStage{SetStage: st, svc: f, salt: salt, fields: meta.Fields, counts: make([]int64, len(meta.Fields))}, nil
}

func (s *fakeStage) Salt() []byte { return s.salt }

func (s *fakeStage) Append(ctx context.Context, chunk []byte) error {
	if _, _, err := CheckChunk(chunk, s.fields, s.counts); err != nil {
		return err
	}
	return s.SetStage.Append(ctx, chunk)
}

func (s *fakeStage) EvaluateBlinded(ctx context.Context, kind Kind, info []byte, blinded [][]byte) ([][]byte, []byte, error) {
	f := s.svc
	n := f.evals.Add(1)
	f.elements.Add(int64(len(blinded)))
	f.mu.Lock()
	f.received = append(f.received, info)
	f.received = append(f.received, blinded...)
	f.maxBatch = max(f.maxBatch, len(blinded))
	f.mu.Unlock()
	if f.fail != nil && n == f.failAt {
		return nil, nil, f.fail
	}
	want, err := OPRFInfo(s.salt, kind)
	if err != nil || !bytes.Equal(want, info) {
		return nil, nil, fmt.Errorf("info does not match the stage: %v", err)
	}
	ev, proof, err := f.key.Evaluate(blinded, want)
	if err != nil {
		return nil, nil, err
	}
	if f.tamper != nil {
		ev, proof = f.tamper(n, ev, proof)
	}
	return ev, proof, nil
}

func newFakeService(t testing.TB) *fakeService {
	return &fakeService{st: openBolt(t), key: testOPRFKey(t)}
}

func loadBlindString(t testing.TB, f *fakeService, name, body string, batch, parallel int) (LoadResult, error) {
	t.Helper()
	return loadBlindSchema(t, f, name, testSchema, body, batch, parallel)
}

func loadBlindSchema(t testing.TB, f *fakeService, name, schema, body string, batch, parallel int) (LoadResult, error) {
	t.Helper()
	return LoadBlind(context.Background(), BlindLoad{Service: f, Public: f.key.Public(), Batch: batch, Parallel: parallel},
		strings.NewReader(body), LoadOptions{Name: name, Source: name + ".csv", Schema: mustSchema(t, schema)})
}

// smallWindows makes blind loads evaluate every 1000 rows, so tests cross
// windows with few (slow) evaluations.
func smallWindows(t *testing.T) {
	old := blindWindowRows
	blindWindowRows = 1000
	t.Cleanup(func() { blindWindowRows = old })
}

// TestLoadBlindFindsRecords loads the same file keyed and blind: the two
// sets have the same shape, and values written differently from the file
// find their record in the blind set through the key service's hasher.
func TestLoadBlindFindsRecords(t *testing.T) {
	f := newFakeService(t)
	body := testHeader + strings.Join(testRows, "")
	res, err := loadBlindString(t, f, "customers", body, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	keyed, err := loadString(t, openBolt(t), testKey(t), "customers", "customers.csv", body, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, km := res.Meta, keyed.Meta
	if m.Mode != ModeOPRF || !bytes.Equal(m.KeyID, f.key.ID()) || len(m.Salt) == 0 {
		t.Fatalf("blind meta: mode %q key id %x salt %d bytes", m.Mode, m.KeyID, len(m.Salt))
	}
	if m.Rows != km.Rows || m.Fingerprints != km.Fingerprints || m.Chunks != km.Chunks || len(m.Fields) != len(km.Fields) {
		t.Fatalf("blind set %d rows %d fps %d chunks, keyed %d %d %d", m.Rows, m.Fingerprints, m.Chunks, km.Rows, km.Fingerprints, km.Chunks)
	}
	for i := range m.Fields {
		if m.Fields[i] != km.Fields[i] {
			t.Fatalf("field %d: blind %+v keyed %+v", i, m.Fields[i], km.Fields[i])
		}
	}
	if n := f.elements.Load(); n != m.Fingerprints {
		t.Fatalf("%d elements evaluated for %d fingerprints", n, m.Fingerprints)
	}
	ix, err := BuildIndex(context.Background(), f.st, "customers")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ix.Meta().Salt, m.Salt) {
		t.Fatal("stored salt is not the service's")
	}
	fpr, err := f.key.ForSet(ix.Meta())
	if err != nil {
		t.Fatal(err)
	}
	h := fpr.NewHasher()
	for _, p := range []struct {
		kind Kind
		v    string
		ref  string
	}{
		{Phone, "+81 90 1234 5678", "c1"},
		{Email, "TARO.YAMADA＠EXAMPLE.JP", "c1"},
		{Name, "やまだたろう", "c1"},
		{Name, "yamada taro", "c1"}, // the romaji of the kana reading
		{Birthdate, "1985-03-04", "c2"},
		{Address, "千代田区丸の内1丁目2番3号", "c1"},
		{Postal, "5300001", "c2"},
		{MyNumber, "1234 5678 9018", "c1"},
	} {
		norm, err := Normalize(p.kind, p.v)
		if err != nil {
			t.Fatalf("%s: %v", p.kind, err)
		}
		hits := ix.Lookup(h.Sum(p.kind, []byte(norm)).Key64())
		if len(hits) != 1 || ix.Ref(hits[0].Record()) != p.ref {
			t.Fatalf("probe %s %q: hits %v", p.kind, p.v, hits)
		}
	}
	// What the service received holds no normalized value.
	for _, row := range testRows {
		for i, v := range strings.Split(strings.TrimSpace(row), ",")[1:] {
			if v == "" {
				continue
			}
			k := []Kind{Name, Name, Birthdate, Phone, Email, Postal, Address, MyNumber}[i]
			norm, err := Normalize(k, v)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range f.received {
				if bytes.Contains(r, []byte(norm)) || bytes.Contains(r, []byte(v)) {
					t.Fatalf("the service received a %s value", k)
				}
			}
		}
	}
}

// TestLoadBlindWindows loads more rows than one window with small batches
// in parallel: every row keeps its own fingerprints.
func TestLoadBlindWindows(t *testing.T) {
	smallWindows(t)
	f := newFakeService(t)
	n := 2700
	res, err := loadBlindSchema(t, f, "many", "ref=ref,phone=phone", manyRows(n), 300, 3)
	if err != nil {
		t.Fatal(err)
	}
	if res.Meta.Rows != int64(n) || res.Meta.Chunks != 1 || f.evals.Load() != 4+4+3 {
		t.Fatalf("rows %d chunks %d evaluations %d", res.Meta.Rows, res.Meta.Chunks, f.evals.Load())
	}
	if f.maxBatch != 300 {
		t.Fatalf("largest batch %d, want 300", f.maxBatch)
	}
	ix, err := BuildIndex(context.Background(), f.st, "many")
	if err != nil {
		t.Fatal(err)
	}
	fpr, err := f.key.ForSet(ix.Meta())
	if err != nil {
		t.Fatal(err)
	}
	h := fpr.NewHasher()
	for _, i := range []int{0, 1, 299, 300, 999, 1000, 1001, 1999, 2000, n - 1} {
		norm, err := Normalize(Phone, fmt.Sprintf("090-%04d-%04d", i/10000, i%10000))
		if err != nil {
			t.Fatal(err)
		}
		hits := ix.Lookup(h.Sum(Phone, []byte(norm)).Key64())
		if len(hits) != 1 || ix.Ref(hits[0].Record()) != fmt.Sprintf("r%d", i) {
			t.Fatalf("row %d: hits %v", i, hits)
		}
	}
}

// TestLoadBlindForgedAnswerAborts: one altered answer, in a later batch,
// aborts the whole load with an error naming the batch; the previous
// version of the set stays current.
func TestLoadBlindForgedAnswerAborts(t *testing.T) {
	ctx := context.Background()
	for name, tamper := range map[string]func([][]byte, []byte) ([][]byte, []byte){
		"swapped elements": func(ev [][]byte, p []byte) ([][]byte, []byte) {
			ev = append([][]byte(nil), ev...)
			ev[0], ev[1] = ev[1], ev[0]
			return ev, p
		},
		"flipped proof": func(ev [][]byte, p []byte) ([][]byte, []byte) {
			p = bytes.Clone(p)
			p[3] ^= 0x40
			return ev, p
		},
	} {
		t.Run(name, func(t *testing.T) {
			smallWindows(t)
			f := newFakeService(t)
			if _, err := loadBlindString(t, f, "s", testHeader+testRows[0], 0, 0); err != nil {
				t.Fatal(err)
			}
			before, _ := f.st.GetSet(ctx, "s")
			f.evals.Store(0)
			f.tamper = func(n int64, ev [][]byte, p []byte) ([][]byte, []byte) {
				if n == 5 {
					return tamper(ev, p)
				}
				return ev, p
			}
			_, err := loadBlindSchema(t, f, "s", "ref=ref,phone=phone", manyRows(3000), 100, 1)
			if !errors.Is(err, ErrOPRFProof) {
				t.Fatalf("err = %v, want ErrOPRFProof", err)
			}
			if !strings.Contains(err.Error(), "batch 5 (100 phone values)") {
				t.Errorf("error does not name the batch: %v", err)
			}
			if f.evals.Load() > 5+1 {
				t.Errorf("%d evaluations after a bad proof in batch 5 (one at a time)", f.evals.Load())
			}
			after, err := f.st.GetSet(ctx, "s")
			if err != nil || after.Version != before.Version || after.Rows != 1 {
				t.Fatalf("a forged answer changed the set: %+v %v", after, err)
			}
		})
	}
}

// TestLoadBlindServiceErrorAborts: the service refusing a batch (a rate
// limit) aborts the load with its error, parallel batches or not.
func TestLoadBlindServiceErrorAborts(t *testing.T) {
	f := newFakeService(t)
	f.fail, f.failAt = errors.New("rate limit reached"), 3
	_, err := loadBlindSchema(t, f, "s", "ref=ref,phone=phone", manyRows(1500), 128, 4)
	if err == nil || !strings.Contains(err.Error(), "rate limit reached") {
		t.Fatalf("err = %v", err)
	}
	if sets, _ := f.st.ListSets(context.Background()); len(sets) != 0 {
		t.Fatalf("a failed blind load left %d sets", len(sets))
	}
	// Row errors still name the line, and come before anything is sent
	// for rows after them.
	f = newFakeService(t)
	_, err = loadBlindString(t, f, "s", testHeader+testRows[0]+"c9,山田 花子,ヤマダ ハナコ,1985/02/30,,,,,\n", 0, 0)
	var re *RowError
	if !errors.As(err, &re) || re.Line != 3 || re.Column != "birthdate" {
		t.Fatalf("err = %v", err)
	}
	if f.evals.Load() != 0 {
		t.Fatalf("%d evaluations for a load that failed on its input", f.evals.Load())
	}
}

func TestCheckChunk(t *testing.T) {
	cols := []store.FieldSpec{{Column: "phone", Kind: "phone"}, {Column: "email", Kind: "email", Strong: true}, {Column: "name", Kind: "name"}}
	build := func(recs ...[]Field) []byte {
		var c chunkBuilder
		c.reset()
		for i, r := range recs {
			c.add(fmt.Appendf(nil, "r%d", i), r)
		}
		return c.bytes()
	}
	good := build(
		[]Field{{Col: 0, Kind: Phone}, {Col: 1, Kind: Email, Strong: true}},
		[]Field{{Col: 2, Kind: Name}, {Col: 2, Kind: Name}},
	)
	counts := make([]int64, 3)
	recs, fps, err := CheckChunk(good, cols, counts)
	if err != nil || recs != 2 || fps != 4 || counts[0] != 1 || counts[1] != 1 || counts[2] != 1 {
		t.Fatalf("good chunk: %d %d %v %v", recs, fps, counts, err)
	}
	for name, chunk := range map[string][]byte{
		"wrong kind":   build([]Field{{Col: 0, Kind: Email}}),
		"wrong column": build([]Field{{Col: 3, Kind: Phone}}),
		"not strong":   build([]Field{{Col: 1, Kind: Email}}),
		"out of order": build([]Field{{Col: 1, Kind: Email, Strong: true}, {Col: 0, Kind: Phone}}),
		"no field":     build([]Field{}),
		"truncated":    good[:len(good)-3],
		"trailing":     append(bytes.Clone(good), 0),
		"garbage":      []byte("not a chunk"),
		// Prefilter values need the local key; a blind owner's would be
		// made up, and the matcher would trust them.
		"prefilter values": func() []byte {
			c := chunkBuilder{pre: true}
			c.reset()
			c.add([]byte("r0"), []Field{{Col: 0, Kind: Phone, Pre: 1}})
			return c.bytes()
		}(),
	} {
		if _, _, err := CheckChunk(chunk, cols, make([]int64, 3)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestOPRFCache: the per-Hasher cache gives the uncached fingerprint, keeps
// the most recently used, and evicts the least recently used.
func TestOPRFCache(t *testing.T) {
	k := testOPRFKey(t)
	meta := oprfMeta(k, testSalt(t))
	fpr, err := k.ForSet(meta)
	if err != nil {
		t.Fatal(err)
	}
	h := fpr.NewHasher().(*oprfHasher)
	h.cache = newFPCache(3)
	fresh := func(kind Kind, v string) FP {
		f, _ := k.ForSet(meta)
		return f.NewHasher().Sum(kind, []byte(v))
	}
	sum := func(kind Kind, v string) {
		t.Helper()
		if got := h.Sum(kind, []byte(v)); got != fresh(kind, v) {
			t.Fatalf("%s %q: cached fingerprint differs", kind, v)
		}
	}
	sum(Email, "a@example.jp")
	sum(Email, "b@example.jp")
	sum(Phone, "a@example.jp") // same bytes, another kind: another entry
	sum(Email, "a@example.jp") // hit; a is now the most recent
	if h.hits != 1 || h.misses != 3 {
		t.Fatalf("hits %d misses %d", h.hits, h.misses)
	}
	sum(Email, "c@example.jp") // evicts b, the least recently used
	sum(Email, "a@example.jp") // still cached
	if h.hits != 2 {
		t.Fatalf("a was evicted: hits %d", h.hits)
	}
	sum(Email, "b@example.jp")
	if h.misses != 5 {
		t.Fatalf("b was not evicted: misses %d", h.misses)
	}
	if len(h.cache.idx) != 3 || len(h.cache.entries) != 3 {
		t.Fatalf("cache holds %d entries", len(h.cache.idx))
	}
}
