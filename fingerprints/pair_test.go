package fingerprints

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestLoadPairs: a keyed load fingerprints each name form of a record with
// each of its weak fields. The pair of a record's name (written as the
// leak might write it) with its own postal code or birthdate finds that
// record, in the name's column; the pair with another record's weak value
// finds nothing, and so does the name alone looked up as a pair.
func TestLoadPairs(t *testing.T) {
	st, key := openBolt(t), testKey(t)
	res, err := loadString(t, st, key, "customers", "customers.csv", testHeader+strings.Join(testRows, ""), nil)
	if err != nil {
		t.Fatal(err)
	}
	// 3 records × (kanji name, kana reading, its romaji) × (birthdate,
	// postal code); the field fingerprints do not count them.
	if res.Meta.Pairs != 18 || res.Meta.Fingerprints != 25 {
		t.Fatalf("pairs %d fingerprints %d, want 18 and 25", res.Meta.Pairs, res.Meta.Fingerprints)
	}
	ix, err := BuildIndex(context.Background(), st, "customers")
	if err != nil {
		t.Fatal(err)
	}
	if !ix.HasPairs() || ix.Len() != 25+18 {
		t.Fatalf("HasPairs %v, %d entries", ix.HasPairs(), ix.Len())
	}
	fpr, err := key.ForSet(ix.Meta())
	if err != nil {
		t.Fatal(err)
	}
	h := fpr.NewHasher()
	pre := h.(PreHasher)
	pairHits := func(weak Kind, weakText, name string) (recs []uint32, passed bool) {
		t.Helper()
		w, err := Normalize(weak, weakText)
		if err != nil {
			t.Fatal(err)
		}
		n, err := Normalize(Name, name)
		if err != nil {
			t.Fatal(err)
		}
		v := AppendPair(nil, weak, []byte(w), []byte(n))
		passed = ix.MayHave(Pair, pre.Pre(Pair, v))
		for _, hit := range ix.Lookup(h.Sum(Pair, v).Key64()) {
			if k, _ := ix.Column(hit.Col()); k != Name {
				t.Errorf("a pair hit in column %d, of kind %s", hit.Col(), k)
			}
			recs = append(recs, hit.Record())
		}
		return recs, passed
	}
	cases := []struct {
		weak       Kind
		weakText   string
		name       string
		wantRecord int // -1: none
	}{
		{Postal, "〒100-0005", "山田太郎", 0},
		{Postal, "１０００００５", "ヤマダ　タロウ", 0},
		{Postal, "1000005", "Taro Yamada", 0},
		{Birthdate, "昭和60年1月2日", "山田 太郎", 0},
		{Birthdate, "S60.3.4", "佐藤花子", 1},
		{Postal, "060-0001", "ｽｽﾞｷ ｲﾁﾛｳ", 2},
		// Crossed: a name with another record's weak value.
		{Postal, "530-0001", "山田太郎", -1},
		{Birthdate, "1985/01/02", "鈴木一郎", -1},
	}
	for _, c := range cases {
		recs, passed := pairHits(c.weak, c.weakText, c.name)
		switch {
		case c.wantRecord < 0 && len(recs) != 0:
			t.Errorf("%s %q + %q: found records %v, want none", c.weak, c.weakText, c.name, recs)
		case c.wantRecord >= 0 && (len(recs) != 1 || recs[0] != uint32(c.wantRecord) || !passed):
			t.Errorf("%s %q + %q: found records %v (prefilter passed: %v), want [%d]", c.weak, c.weakText, c.name, recs, passed, c.wantRecord)
		}
	}
	// A pair's value is not a field's: the birthdate as a date pairs with
	// nothing, and a name's own fingerprint is not a pair's.
	if recs, _ := pairHits(Date, "1985/01/02", "山田太郎"); len(recs) != 0 {
		t.Errorf("a date (not a birthdate) paired with a name found %v", recs)
	}
	n, _ := Normalize(Name, "山田太郎")
	if hits := ix.Lookup(h.Sum(Pair, []byte(n)).Key64()); len(hits) != 0 {
		t.Errorf("a name alone looked up as a pair found %v", hits)
	}
}

// TestPairValueIsUnambiguous: the weak value's length is part of a pair's
// value, so no two (weak, name) pairs give the same bytes.
func TestPairValueIsUnambiguous(t *testing.T) {
	a := AppendPair(nil, Postal, []byte("1000005"), []byte("やまだ"))
	b := AppendPair(nil, Postal, []byte("1000005や"), []byte("まだ"))
	c := AppendPair(nil, Birthdate, []byte("1000005"), []byte("やまだ"))
	if string(a) == string(b) || string(a) == string(c) {
		t.Fatalf("pair values collide: %q %q %q", a, b, c)
	}
}

// TestPairFieldChecks: a pair field is refused in a chunk without
// prefilter values (a blind chunk or a set from before pairs), and the
// index refuses one in a column that holds no names.
func TestPairFieldChecks(t *testing.T) {
	var c chunkBuilder
	c.reset()
	c.add([]byte("r1"), []Field{{Col: 0, Kind: Pair, FP: fpOf(1, 0)}})
	if _, err := decodeChunk(c.bytes(), func([]byte, []Field) error { return nil }); !errors.Is(err, errChunk) {
		t.Errorf("a pair field in an LWR1 chunk: err %v, want a corrupt chunk", err)
	}
	c = chunkBuilder{pre: true}
	c.reset()
	c.add([]byte("r1"), []Field{{Col: 0, Kind: Phone, FP: fpOf(1, 0), Pre: 1}, {Col: 0, Kind: Pair, FP: fpOf(1, 1), Pre: 2}})
	var got []Field
	if _, err := decodeChunk(c.bytes(), func(_ []byte, fs []Field) error { got = append(got, fs...); return nil }); err != nil || len(got) != 2 || got[1].Kind != Pair {
		t.Fatalf("a pair field in an LWR2 chunk: %v, fields %+v", err, got)
	}
	// stageRecords' column 0 holds phones: a pair there is corrupt.
	st := openBolt(t)
	meta := testSetMeta("s")
	meta.Rows, meta.Fingerprints, meta.Pairs = 1, 1, 1
	commitChunks(t, st, meta, c.bytes())
	if _, err := BuildIndex(context.Background(), st, "s"); !errors.Is(err, errChunk) || !strings.Contains(err.Error(), "holds no names") {
		t.Errorf("BuildIndex with a pair field in a phone column: %v", err)
	}
}
