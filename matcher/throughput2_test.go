package matcher

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"github.com/leakwatch/leakwatch/fingerprints"
	"github.com/leakwatch/leakwatch/matcher/corpus"
	asmutf8 "github.com/segmentio/asm/utf8"
	xunicode "golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Issue #3: the fast paths (batching, the prefilter, the id search by
// chunks, the records of a lookup sorted out before they become hits) must
// find exactly what the straightforward paths (Scanner.reference) find.

// scanBoth scans body with a fast scanner and a reference one and fails
// if their findings differ. The fast scanner is reused across calls, so its
// caches carry values from earlier documents, as in production.
func scanBoth(t *testing.T, fast, ref *Scanner, name string, body []byte) []Finding {
	t.Helper()
	ctx := context.Background()
	got, err := fast.Scan(ctx, Input{Source: name, R: bytes.NewReader(body)})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	want, err := ref.Scan(ctx, Input{Source: name, R: bytes.NewReader(body)})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: fast paths found\n%v\nthe reference\n%v", name, got, want)
	}
	return got
}

func referenceScanner(m *Matcher) *Scanner {
	s := m.NewScanner()
	s.reference = true
	return s
}

// TestFastPathsOnCorpus: every leak and benign document of the corpus,
// twice (the second time from the caches), and mixed corpora with and
// without people of the set.
func TestFastPathsOnCorpus(t *testing.T) {
	set, others := corpus.Population(7, 1000, 5000)
	m := corpusMatcher(t, set)
	fast, ref := m.NewScanner(), referenceScanner(m)
	var docs []corpus.Doc
	docs = append(docs, corpus.Leaks(11, set, others)...)
	docs = append(docs, corpus.Benign(12, set, others)...)
	found := 0
	for round := 0; round < 2; round++ {
		for _, d := range docs {
			found += len(scanBoth(t, fast, ref, d.Name, d.Body))
		}
	}
	// Mixed text with records of the set among the dumps: names, weak
	// values and ids around hits.
	people := append(append([]corpus.Person(nil), set[:300]...), others[:300]...)
	for seed := uint64(0); seed < 3; seed++ {
		found += len(scanBoth(t, fast, ref, "mixed", corpus.Mixed(seed, 1<<20, people)))
	}
	if found == 0 {
		t.Fatal("vacuous: nothing found")
	}
	// The prefilter spares the fingerprint and the index probe of almost
	// every candidate the set does not hold; the reference has none.
	if st, rst := fast.Stats(), ref.Stats(); st.Filtered == 0 || st.Lookups*4 > rst.Lookups {
		t.Errorf("prefilter: %d lookups spared, %d lookups against the reference's %d", st.Filtered, st.Lookups, rst.Lookups)
	}
	t.Logf("%d findings", found)
}

// TestFastPathsOnMutations scans random mutations of leak documents: pieces
// cut and spliced, full-width and kanji digits swapped in, ids planted in
// odd places (inside e-mail addresses, across separators, near the
// segment's margin), long lines.
func TestFastPathsOnMutations(t *testing.T) {
	set, others := corpus.Population(7, 300, 1000)
	m := corpusMatcher(t, set)
	fast, ref := m.NewScanner(), referenceScanner(m)
	docs := corpus.Leaks(13, set, others)
	r := rand.New(rand.NewPCG(5, 6))
	inserts := []string{"C", "Ｃ", "０", "１２", "-", "－", " ", "\n", "@", "＠", "年", "月", "日", "丁目", "番", "号", "〒", "昭和", "H", ",", "C0", "CC", "C00012345", "Ｃ０００１２３４５", "ー"}
	found := 0
	for iter := 0; iter < 400; iter++ {
		d := docs[r.IntN(len(docs))]
		text, err := corpus.Decode(d.Encoding, d.Body)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for len(text) > 0 {
			n := min(len(text), 1+r.IntN(200))
			b.WriteString(text[:n])
			text = text[n:]
			switch r.IntN(4) {
			case 0:
				b.WriteString(inserts[r.IntN(len(inserts))])
			case 1:
				p := &set[r.IntN(len(set))]
				b.WriteString([]string{p.CustomerID, p.Phone, p.Email, p.Name}[r.IntN(4)])
			}
		}
		body := strings.ToValidUTF8(b.String(), "")
		if iter%50 == 0 {
			// Past the first segment, so that runs meet the margin.
			body = strings.Repeat("x", segSize-r.IntN(2000)) + body
		}
		found += len(scanBoth(t, fast, ref, fmt.Sprint("mutation-", iter), []byte(body)))
	}
	if found == 0 {
		t.Fatal("vacuous: nothing found")
	}
}

// TestFastPathsBigSet: in a big set a postal code or a birthdate is shared
// by dozens to hundreds of records, and segment searches the records near a
// weak value in its hits instead of walking them (keepWeak). Leak
// documents and dumps of set records and strangers, against the reference,
// which hands every record of every lookup to dropLoneHits.
func TestFastPathsBigSet(t *testing.T) {
	set, others := corpus.Population(9, 60_000, 20_000)
	m := corpusMatcher(t, set)
	fast, ref := m.NewScanner(), referenceScanner(m)
	found := 0
	for _, d := range corpus.Leaks(17, set[:2000], others) {
		found += len(scanBoth(t, fast, ref, d.Name, d.Body))
	}
	people := append(append([]corpus.Person(nil), set[:200]...), others[:2000]...)
	found += len(scanBoth(t, fast, ref, "mixed", corpus.Mixed(3, 1<<20, people)))
	if found == 0 {
		t.Fatal("vacuous: nothing found")
	}
	// The walk this test is about must have been taken.
	if fast.bigWeak == 0 {
		t.Fatal("no weak value shared by more than 64 records met: the test proves nothing")
	}
	// Common weak values were deferred; those near the leaks' records
	// were looked up after all, those among strangers never.
	if fast.deferred == 0 || fast.resolved == 0 || fast.resolved >= fast.deferred {
		t.Fatalf("%d weak lookups deferred, %d made after all: want some of each, and some never made", fast.deferred, fast.resolved)
	}
	t.Logf("%d findings, %d weak values searched, %d weak lookups deferred, %d of them made", found, fast.bigWeak, fast.deferred, fast.resolved)
	deferredAcrossSegments(t, m, set)
}

// deferredAcrossSegments: a record's common postal code and its phone,
// a few hundred bytes apart, on either side of the first segment's end
// or near it (the postal code carried to the next segment, or met near its
// start while the phone's record is tracked), in either order, on a row
// and in prose. Each must be found with both fields, as the reference
// finds it, though the postal code's lookup was deferred.
func deferredAcrossSegments(t *testing.T, m *Matcher, set []corpus.Person) {
	fast, ref := m.NewScanner(), referenceScanner(m)
	var people []corpus.Person
	for _, p := range set {
		norm, err := fingerprints.Normalize(fingerprints.Postal, p.Postal)
		if err != nil {
			t.Fatal(err)
		}
		if m.sets[0].ix.Common(fingerprints.Postal, fast.pres[0].Pre(fingerprints.Postal, []byte(norm))) {
			people = append(people, p)
			if len(people) == 4 {
				break
			}
		}
	}
	if len(people) < 4 {
		t.Fatalf("only %d people of the set have a common postal code", len(people))
	}
	filler := strings.Repeat("人の集まる場所には話が生まれる。", 12) // 480 bytes, no candidate
	shapes := []func(p corpus.Person) (string, string){
		func(p corpus.Person) (string, string) {
			return "郵便番号 " + p.Postal + "\n", "電話 " + p.Phone + "\n"
		},
		func(p corpus.Person) (string, string) { return "電話 " + p.Phone + "\n", "〒" + p.Postal + "\n" },
		func(p corpus.Person) (string, string) {
			return "no,postal,note,memo\n1," + p.Postal + ",x,", "y," + p.Phone + "\n"
		},
	}
	runs := 0
	// The first segment ends at a line break a little before segSize -
	// margin when the input comes in pieces (decoding), or segSize when
	// it comes whole: around both.
	var backs []int
	for _, end := range []int{segSize - margin, segSize} {
		for _, d := range []int{5000, 4100, 3000, 800, 300, 260, 220, 180, 140, 100, 60, 20, -20, -100, -400, -2000} {
			backs = append(backs, segSize-end+d)
		}
	}
	for _, back := range backs {
		for si, shape := range shapes {
			p := people[(runs)%len(people)]
			first, second := shape(p)
			pad := segSize - back
			var b strings.Builder
			for b.Len() < pad-64 {
				b.WriteString("nothing to see here, move along\n")
			}
			b.WriteString(first)
			if si < 2 {
				b.WriteString(filler[:120])
				b.WriteString("\n")
			}
			b.WriteString(second)
			b.WriteString("\n")
			// More text after, so that the first segment ends near pad.
			for range 2 * margin / 32 {
				b.WriteString("nothing to see here, move along\n")
			}
			name := fmt.Sprintf("deferred-%d-%d", back, si)
			fs := scanBoth(t, fast, ref, name, []byte(b.String()))
			if len(fs) != 1 || fs[0].Ref != p.Ref || !slices.Contains(fs[0].Fields, "postal") || !slices.Contains(fs[0].Fields, "phone") {
				t.Errorf("%s: found %v, want %s with phone and postal", name, fs, p.Ref)
			}
			runs++
		}
	}
	if fast.deferred == 0 || fast.resolved == 0 {
		t.Fatalf("%d lookups deferred, %d made: the test proves nothing", fast.deferred, fast.resolved)
	}
}

// TestIDChunks: ids found by the chunked search, including at chunk edges
// and in full-width text, and none where the reference finds none.
func TestIDChunks(t *testing.T) {
	m := newTestMatcher(t)
	long := strings.Repeat("長い行です。", 1000) // longer than a chunk, no line break
	for text, want := range map[string]string{
		"customer C00012346 tel 03-1234-5678":                                 "c2:id+phone",
		"顧客番号 Ｃ０００１２３４６ 電話 03-1234-5678":                                      "c2:id+phone",
		"tel 03-1234-5678" + long + "C00012346 tel 03-1234-5678":              "c2:id+phone",
		"C00012346" + long + " 03-1234-5678":                                  "",
		strings.Repeat("C00012347 ", 600) + "customer C00012346 03-1234-5678": "c2:id+phone",
		"customer C0001234 tel 03-1234-5678":                                  "",
		"customer xC000123466 tel 03-1234-5678":                               "c2:id+phone",
	} {
		got := refsOf(scanString(t, m, text, ""))
		ref := referenceScanner(m)
		fs, err := ref.Scan(context.Background(), Input{Source: "doc", R: strings.NewReader(text)})
		if err != nil {
			t.Fatal(err)
		}
		if got != want || refsOf(fs) != want {
			t.Errorf("%.60q…: got %q, reference %q, want %q", text, got, refsOf(fs), want)
		}
	}
}

// TestFastUTF8 compares fastUTF8 with the plain decoder call by call (the
// same counts, error and bytes) and through readers, on valid text, broken
// bytes and text cut anywhere.
func TestFastUTF8(t *testing.T) {
	plain := xunicode.UTF8.NewDecoder()
	fast := fastUTF8{xunicode.UTF8.NewDecoder()}
	r := rand.New(rand.NewPCG(9, 10))
	pieces := []string{"a", "1", " ", "\n", "山田", "ｶﾞ", "😀", "\xe3", "\xe3\x81", "\x80", "\xff", "\xf0\x9f", "\xed\xa0\x80", "\xc0\xaf", "é"}
	for i := 0; i < 20_000; i++ {
		var b []byte
		for n := r.IntN(20); n > 0; n-- {
			p := pieces[r.IntN(len(pieces))]
			if r.IntN(3) > 0 {
				p = pieces[r.IntN(5)] // mostly valid
			}
			b = append(b, p...)
		}
		atEOF := r.IntN(2) == 0
		dst1, dst2 := make([]byte, r.IntN(len(b)+8)), make([]byte, 0)
		dst2 = append(dst2, dst1...)
		n1, m1, err1 := plain.Transform(dst1, b, atEOF)
		n2, m2, err2 := fast.Transform(dst2, b, atEOF)
		if n1 != n2 || m1 != m2 || err1 != err2 || !bytes.Equal(dst1[:n1], dst2[:n2]) {
			t.Fatalf("%q atEOF %v dst %d: plain %d %d %v %q, fast %d %d %v %q", b, atEOF, len(dst1), n1, m1, err1, dst1[:n1], n2, m2, err2, dst2[:n2])
		}
		want, err := io.ReadAll(transform.NewReader(iotest.HalfReader(bytes.NewReader(b)), xunicode.UTF8.NewDecoder()))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(transform.NewReader(iotest.OneByteReader(bytes.NewReader(b)), fastUTF8{xunicode.UTF8.NewDecoder()}))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%q: read %q (%v), want %q", b, got, err, want)
		}
	}
}

// TestVectorUTF8Valid: segmentio/asm's utf8.Valid, which fastUTF8 relies
// on, agrees with the standard library's on long texts (the vector path
// takes 32 bytes at a time) broken anywhere: bad bytes, surrogates,
// overlong forms, runes cut or past U+10FFFF, at every alignment.
func TestVectorUTF8Valid(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	good := []string{"a", "山田", "ｶﾞ", "😀", "é", " ", "\n", "〒", "\u007f", "\u0080", "\u07ff", "\u0800", "\uffff", "\U00010000", "\U0010ffff"}
	bad := []string{"\xe3", "\xe3\x81", "\x80", "\xff", "\xf0\x9f", "\xed\xa0\x80", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xf8"}
	for i := 0; i < 50_000; i++ {
		var b []byte
		for n := r.IntN(120); n > 0; n-- {
			b = append(b, good[r.IntN(len(good))]...)
		}
		if r.IntN(2) == 0 {
			at := r.IntN(len(b) + 1)
			b = append(b[:at:at], append([]byte(bad[r.IntN(len(bad))]), b[at:]...)...)
		}
		for off := 0; off < min(len(b), 4); off++ {
			if got, want := asmutf8.Valid(b[off:]), utf8.Valid(b[off:]); got != want {
				t.Fatalf("asm utf8.Valid(%q) = %v, the standard library's %v", b[off:], got, want)
			}
		}
	}
}

// BenchmarkUTF8Valid measures the check fastUTF8 runs over every byte
// scanned, on the prose of the mixed corpus: std (unicode/utf8, the
// baseline) and vector (segmentio/asm, which fastUTF8 uses).
func BenchmarkUTF8Valid(b *testing.B) {
	body := partSetup(b, corpus.Prose)
	// The reader's 4 KiB pieces, cut before a rune as fastUTF8 cuts them.
	var pieces [][]byte
	for rest := body; len(rest) > 0; {
		n := min(4<<10, len(rest))
		for n < len(rest) && !utf8.RuneStart(rest[n]) {
			n--
		}
		pieces, rest = append(pieces, rest[:n]), rest[n:]
	}
	for _, c := range []struct {
		name  string
		valid func([]byte) bool
	}{{"std", utf8.Valid}, {"vector", asmutf8.Valid}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			valid := 0
			for b.Loop() {
				valid = 0
				for _, p := range pieces {
					if c.valid(p) {
						valid++
					}
				}
			}
			if valid != len(pieces) {
				b.Fatalf("%d of %d pieces valid", valid, len(pieces))
			}
		})
	}
}

// TestRadixSortByKey: hits in order of position come out in order of key
// then position, as dropLoneHits' comparison sort orders them, at every
// length (both the short and the radix path) and spread of keys.
func TestRadixSortByKey(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	var buf []recHit
	for iter := 0; iter < 300; iter++ {
		n := r.IntN(3000)
		recs, sets := 1+r.IntN(1<<r.IntN(26)), 1+r.IntN(3)
		var a []recHit
		pos := int64(0)
		for i := 0; i < n; i++ {
			pos += int64(r.IntN(3))
			a = append(a, recHit{key: keyOf(uint16(r.IntN(sets)), uint32(r.IntN(recs))), pos: pos, i: int32(i)})
		}
		want := slices.Clone(a)
		slices.SortFunc(want, func(x, y recHit) int {
			if c := cmp.Compare(x.key, y.key); c != 0 {
				return c
			}
			return cmp.Compare(x.i, y.i)
		})
		var got []recHit
		got, buf = radixSortByKey(a, buf)
		if !slices.Equal(got, want) {
			t.Fatalf("iteration %d (%d hits): wrong order", iter, n)
		}
	}
}

// TestCommonWeakValuesNotDeferred: a weak field marked strong reports its
// records alone, so its lookups are never deferred, however common the
// value; the same set with the field not strong defers them and reports
// nothing for the value alone.
func TestCommonWeakValuesNotDeferred(t *testing.T) {
	csv := func() io.Reader {
		var b strings.Builder
		b.WriteString("ref,phone,birthdate\n")
		for i := range 2 * maxWindowHits {
			fmt.Fprintf(&b, "r%02d,090-1111-%04d,1977-07-07\n", i, i)
		}
		return strings.NewReader(b.String())
	}
	const text = "生年月日 1977/07/07 のみ。"
	strong := loadMatcher(t, csv(), "ref=ref,phone=phone,birthdate=birthdate:strong", "strong")
	sc := strong.NewScanner()
	fs, err := sc.Scan(context.Background(), Input{Source: "t", R: strings.NewReader(text)})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 2*maxWindowHits || sc.deferred != 0 {
		t.Errorf("strong birthdate: %d records reported, %d lookups deferred; want %d and 0", len(fs), sc.deferred, 2*maxWindowHits)
	}
	weak := loadMatcher(t, csv(), "ref=ref,phone=phone,birthdate=birthdate", "weak")
	sc = weak.NewScanner()
	fs, err = sc.Scan(context.Background(), Input{Source: "t", R: strings.NewReader(text)})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 0 || sc.deferred != 1 || sc.resolved != 0 || sc.Stats().Deferred != 1 {
		t.Errorf("weak birthdate: %d records reported, %d lookups deferred, %d made, Stats.Deferred %d; want 0, 1, 0, 1", len(fs), sc.deferred, sc.resolved, sc.Stats().Deferred)
	}
	// With a record's phone near it, the value is looked up after all
	// and corroborates that record alone.
	fs, err = sc.Scan(context.Background(), Input{Source: "t", R: strings.NewReader(text + " 電話 090-1111-0003")})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 || fs[0].Ref != "r03" || strings.Join(fs[0].Fields, ",") != "birthdate,phone" || sc.resolved == 0 {
		t.Errorf("weak birthdate near a phone: %v (%d made), want r03 with birthdate and phone", fs, sc.resolved)
	}
}

// FuzzFastPathsCommonWeak compares the fast paths with the reference on
// arbitrary text, with a set whose postal codes and birthdates are
// common (each shared by more than maxWindowHits records), so that their
// lookups are deferred (see needed), and whose records have pairs.
func FuzzFastPathsCommonWeak(f *testing.F) {
	var b strings.Builder
	b.WriteString("ref,name,birthdate,phone,postal\n")
	names := []string{"山田 太郎", "佐藤 花子", "鈴木 一郎", "高橋 美咲"}
	for i := range 6 * (maxWindowHits + 2) { // 6 postal codes, 6 birthdates
		fmt.Fprintf(&b, "r%02d,%s,19%02d-0%d-1%d,090-2222-%04d,10%d-000%d\n", i, names[i%4], 80+i%2, 1+i%3, i%2, i, i%3, i%2)
	}
	m := loadMatcher(f, strings.NewReader(b.String()), "ref=ref,name=name,birthdate=birthdate,phone=phone,postal=postal", "common")
	for _, s := range []string{
		"山田 太郎,1980-01-10,090-2222-0000,100-0000",
		"〒101-0001 佐藤花子様 電話 090-2222-0001",
		"no,name,postal,note\n1,鈴木 一郎,102-0000,x\n2,高橋 美咲,100-0001,y\n",
		"生年月日 1981-02-11 のみ。電話 090-2222-0013\n",
		"100-0000 101-0001 1980/01/10 昭和56年2月11日",
	} {
		f.Add(s)
	}
	fast, ref := m.NewScanner(), referenceScanner(m)
	if _, err := fast.Scan(context.Background(), Input{Source: "f", R: strings.NewReader("100-0000 1980-01-10")}); err != nil || fast.deferred != 2 {
		f.Fatalf("the set's postal codes and birthdates are not common: %d lookups deferred (%v)", fast.deferred, err)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > 1<<16 {
			return
		}
		ctx := context.Background()
		got, err1 := fast.Scan(ctx, Input{Source: "f", R: strings.NewReader(text)})
		want, err2 := ref.Scan(ctx, Input{Source: "f", R: strings.NewReader(text)})
		if fmt.Sprint(err1) != fmt.Sprint(err2) || !reflect.DeepEqual(got, want) {
			t.Fatalf("fast paths found\n%v (%v)\nthe reference\n%v (%v)", got, err1, want, err2)
		}
	})
}
