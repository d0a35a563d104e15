package matcher

import (
	"context"
	"math/rand/v2"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/leakwatch/leakwatch/fingerprints"
)

// The shortcuts taken for throughput (issue #3) must not change what is
// reported. These tests check each against the slow way.

// TestIDLiteralPrefix checks what the id prefilter relies on: every match
// of a pattern starts with its literal prefix, so a window without the
// prefix cannot hold a match; and a pattern with no literal prefix (or a
// case-insensitive one) gets no prefilter.
func TestIDLiteralPrefix(t *testing.T) {
	cases := []struct {
		pattern, lit string
		texts        []string
	}{
		{`C[0-9]{8}`, "C", []string{"C00012345", "xC00012345y", "c00012345", "00012345", "CC0001234", "C0001234"}},
		{`CUST-[0-9]{6}`, "CUST-", []string{"CUST-123456", "cust-123456", "CUST 123456", "ACUST-000001"}},
		{`(?i)c[0-9]{8}`, "", []string{"c00012345", "C00012345"}},
		{`[A-Z]{2}[0-9]{6}`, "", []string{"AB123456", "ab123456"}},
		{`C[0-9]{4}|D[0-9]{4}`, "", []string{"C1234", "D1234"}},
	}
	for _, c := range cases {
		re := regexp.MustCompile(c.pattern)
		lit, _ := re.LiteralPrefix()
		if lit != c.lit {
			t.Errorf("%s: literal prefix %q, want %q", c.pattern, lit, c.lit)
		}
		for _, text := range c.texts {
			for _, loc := range re.FindAllStringIndex(text, -1) {
				if !strings.HasPrefix(text[loc[0]:], lit) {
					t.Errorf("%s: match %q of %q does not start with %q", c.pattern, text[loc[0]:loc[1]], text, lit)
				}
			}
		}
	}
}

// TestIDsWithPrefilter: ids are still found as written (and full-width),
// and a run with no id near it finds none.
func TestIDsWithPrefilter(t *testing.T) {
	m := newTestMatcher(t)
	if got := string(m.sets[0].idLit); got != "C" {
		t.Fatalf("idLit = %q, want C", got)
	}
	checkRefs(t, m, map[string]string{
		"customer C00012346 tel 03-1234-5678": "c2:id+phone",
		"顧客番号 Ｃ０００１２３４６ 電話 03-1234-5678":      "c2:id+phone",
		"customer c00012346 tel 03-1234-5678": "",
		"customer 00012346 tel 03-1234-5678":  "",
		"customer C0001234 tel 03-1234-5678":  "",
	})
}

// TestDropLoneHitsTable: which hits dropLoneHits keeps (window 500, so 2W
// is 1000 characters).
func TestDropLoneHitsTable(t *testing.T) {
	m := newTestMatcher(t)
	const (
		name   = fingerprints.Name
		postal = fingerprints.Postal
		birth  = fingerprints.Birthdate
		phone  = fingerprints.Phone
		email  = fingerprints.Email
	)
	type h struct {
		kind   fingerprints.Kind
		rec    uint32
		pos    int64
		strong bool
	}
	cases := []struct {
		name    string
		hits    []h
		tracked []uint32
		want    string // kept, as "rec:pos" in order
	}{
		{"name and postal within 2W", []h{{name, 1, 0, false}, {postal, 1, 1000, false}}, nil, "1:0 1:1000"},
		{"name and postal beyond 2W", []h{{name, 1, 0, false}, {postal, 1, 1001, false}}, nil, ""},
		{"name and its reading", []h{{name, 1, 0, false}, {name, 1, 30, false}}, nil, ""},
		{"weak fields only", []h{{postal, 1, 0, false}, {birth, 1, 10, false}}, nil, ""},
		{"name and phone", []h{{name, 1, 0, false}, {phone, 1, 40, false}}, nil, "1:0 1:40"},
		{"crossed records", []h{{name, 1, 0, false}, {phone, 2, 40, false}}, nil, ""},
		{"strong alone", []h{{email, 3, 5, true}}, nil, "3:5"},
		{"strong keeps its record's lone hits", []h{{email, 3, 5, true}, {name, 3, 3000, false}}, nil, "3:5 3:3000"},
		{"tracked record", []h{{name, 4, 0, false}}, []uint32{4}, "4:0"},
		{"near the segment's end", []h{{name, 5, 0, false}, {name, 5, 99_000, false}}, nil, "5:99000"},
		{"chain through a same-kind hit", []h{{phone, 6, 0, false}, {name, 6, 600, false}, {name, 6, 1200, false}, {name, 6, 2300, false}}, nil, "6:0 6:600"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := m.NewScanner()
			for _, rec := range c.tracked {
				s.dec.add(hit{set: 0, kind: phone, rec: rec, start: -1, pos: -10_000})
			}
			s.hits = s.hits[:0]
			for _, x := range c.hits {
				// One byte a character; the segment ends at byte 100000.
				s.hits = append(s.hits, hit{set: 0, kind: x.kind, rec: x.rec, strong: x.strong, start: x.pos, end: x.pos + 4, pos: x.pos})
			}
			s.dropLoneHits(100_000 - 8*500)
			var got []string
			for _, x := range s.hits {
				got = append(got, strconv.Itoa(int(x.rec))+":"+strconv.FormatInt(x.pos, 10))
			}
			if g := strings.Join(got, " "); g != c.want {
				t.Errorf("kept %q, want %q", g, c.want)
			}
		})
	}
}

// TestDropLoneHitsDecisions feeds random hit streams to the decider with
// and without dropLoneHits: the findings must be the same, with hits on
// rows of a table or not.
func TestDropLoneHitsDecisions(t *testing.T) {
	m := newTestMatcher(t)
	kinds := []fingerprints.Kind{fingerprints.Name, fingerprints.Postal, fingerprints.Birthdate, fingerprints.Phone, fingerprints.Address}
	r := rand.New(rand.NewPCG(3, 4))
	var reported, dropped int
	for iter := 0; iter < 2000; iter++ {
		var hits []hit
		n := 1 + r.IntN(30)
		span := int64(200 + r.IntN(6000))
		// Half the streams are on rows of a table (lines of lineLen
		// characters), a few of their hits off rows.
		lineLen := int64(60 + r.IntN(300))
		rows := iter%2 == 1
		for i := 0; i < n; i++ {
			pos := r.Int64N(span)
			h := hit{set: 0, kind: kinds[r.IntN(len(kinds))], rec: uint32(r.IntN(4)), strong: r.IntN(40) == 0, start: pos, end: pos + 3, pos: pos}
			if rows && r.IntN(5) > 0 {
				h.row = 1 + pos/lineLen*lineLen
			}
			hits = append(hits, h)
		}
		slices.SortStableFunc(hits, func(a, b hit) int { return int(a.start - b.start) })
		all, filtered := m.NewScanner(), m.NewScanner()
		for _, h := range hits {
			all.dec.add(h)
		}
		filtered.hits = append(filtered.hits[:0], hits...)
		filtered.dropLoneHits(1 << 40)
		for _, h := range filtered.hits {
			filtered.dec.add(h)
		}
		dropped += len(hits) - len(filtered.hits)
		want, got := all.dec.findings(m, "x"), filtered.dec.findings(m, "x")
		reported += len(want)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("iteration %d: with dropLoneHits %v, without %v (hits %v)", iter, got, want, hits)
		}
	}
	if reported == 0 || dropped == 0 {
		t.Fatalf("vacuous: %d findings, %d hits dropped", reported, dropped)
	}
	t.Logf("%d findings, %d hits dropped", reported, dropped)
}

// countingFPR counts the fingerprints computed, by kind (and Pair).
type countingFPR struct {
	fingerprints.Fingerprinter
	n *[fingerprints.Pair + 1]int
}

func (c countingFPR) NewHasher() fingerprints.Hasher {
	return countingHasher{c.Fingerprinter.NewHasher(), c.n}
}

type countingHasher struct {
	h fingerprints.Hasher
	n *[fingerprints.Pair + 1]int
}

func (c countingHasher) Sum(k fingerprints.Kind, b []byte) fingerprints.FP {
	c.n[k]++
	return c.h.Sum(k, b)
}

// withCounter returns a copy of m whose only set counts its fingerprints
// and is costly or not.
func withCounter(m *Matcher, costly bool) (*Matcher, *[fingerprints.Pair + 1]int) {
	n := new([fingerprints.Pair + 1]int)
	c := *m
	c.sets = slices.Clone(m.sets)
	c.sets[0].fpr = countingFPR{m.sets[0].fpr, n}
	c.sets[0].costly = costly
	c.anyCostly = costly
	return &c, n
}

// TestCostlySet: a costly set's names and addresses are looked up only
// around its own hits, and what is found there is found as for a cheap set.
func TestCostlySet(t *testing.T) {
	m := newTestMatcher(t)
	cheap, nc := withCounter(m, false)
	costly, nx := withCounter(m, true)

	// No hit of the set: the cheap set tries addresses at every block
	// number and nothing else; the costly one tries no name or address.
	prose := "東京都港区芝公園4-2-8に住む田中次郎さんは、大阪市北区中之島1-3-20の店に行った。"
	for _, mm := range []*Matcher{cheap, costly} {
		if got := refsOf(scanString(t, mm, prose, "")); got != "" {
			t.Fatalf("prose: got %q", got)
		}
	}
	if nc[fingerprints.Address] == 0 {
		t.Errorf("cheap set: no address looked up in %q", prose)
	}
	if nx[fingerprints.Name] != 0 || nx[fingerprints.Address] != 0 {
		t.Errorf("costly set, no hit: %d names and %d addresses fingerprinted", nx[fingerprints.Name], nx[fingerprints.Address])
	}

	// Around a hit of the set, both are looked up, and the findings of the
	// shapes are the same.
	for _, text := range []string{
		"山田 太郎,1985/01/02,090-1234-5678\n",
		"住所は千代田区丸の内1丁目2番3号です。電話 090-1234-5678",
		"大阪市北区梅田二丁目四番九号 03-1234-5678",
		"札幌市中央区北一条西二丁目3番4号 080-9876-5432",
		"〒530-0001 大阪市北区梅田2-4-9",
		"Name: YAMADA Taro, Phone: +81-70-1111-2222",
		"山田太郎 03-1234-5678",
		"山田太郎" + strings.Repeat("あ", 600) + "090-1234-5678",
	} {
		want := refsOf(scanString(t, cheap, text, ""))
		if got := refsOf(scanString(t, costly, text, "")); got != want {
			t.Errorf("%q: costly set found %q, cheap set %q", text, got, want)
		}
	}
	if nx[fingerprints.Name] == 0 || nx[fingerprints.Address] == 0 {
		t.Errorf("costly set around hits: %d names and %d addresses fingerprinted", nx[fingerprints.Name], nx[fingerprints.Address])
	}

	// The price of the gating: a name and an address alone, with no other
	// field, are found for a cheap set (the address is tried at its block
	// number, the name around the address) but not for a costly one.
	both := "東京都千代田区丸の内1-2-3に住む山田太郎さん"
	if got := refsOf(scanString(t, cheap, both, "")); got != "c1:address+name" {
		t.Errorf("cheap set, name and address: got %q", got)
	}
	if got := refsOf(scanString(t, costly, both, "")); got != "" {
		t.Errorf("costly set, name and address: got %q", got)
	}

	// The costly set's pass around its hits looks for names and addresses
	// alone: the dates it passes over again (in kanji numerals, with an
	// English month) are not looked up a second time.
	for _, text := range []string{"山田 太郎 昭和六十年一月二日生 090-1234-5678", "Name: Taro Yamada, born July 8, 1970. tel 070-1111-2222"} {
		var refs [2]int64
		for i, mm := range []*Matcher{cheap, costly} {
			sc := mm.NewScanner()
			if _, err := sc.Scan(context.Background(), Input{Source: "x", R: strings.NewReader(text)}); err != nil {
				t.Fatal(err)
			}
			refs[i] = sc.Stats().Refs
		}
		if refs[0] != 3 || refs[1] != 3 {
			t.Errorf("%q: %d lookups with hits for the cheap set, %d for the costly one; want 3 (name, date, phone)", text, refs[0], refs[1])
		}
	}

	// Mentions looks at all of a short text, costly or not.
	if !costly.NewScanner().Mentions("山田 太郎 data dump") {
		t.Error("Mentions misses a costly set's name")
	}
}

// TestFindIDs: the search from the literal prefix finds what
// FindAllIndex finds, on random texts, for patterns with a prefix; a
// pattern with an empty-width assertion or no prefix is not anchored.
func TestFindIDs(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	pieces := []string{"C", "CC", "CUST-", "0", "12", "345", "-", " ", "x", "c", "Ｃ", "\n", "C0001234", "CUST-123456"}
	anchored := 0
	for _, pattern := range []string{`C[0-9]{8}`, `C[0-9]{4,8}`, `CUST-[0-9]{6}`, `C[0-9]+?`, `C(?:[0-9]{3}|[0-9]{2}-[0-9])`, `CC?[0-9]{2}`, `C[0-9]{4}\b`, `\bC[0-9]{4}`, `(?i)c[0-9]{4}`, `[A-Z][0-9]{4}`} {
		re := regexp.MustCompile(pattern)
		lit, _ := re.LiteralPrefix()
		set := &matcherSet{idRe: re, idLit: []byte(lit), idAt: anchoredID(pattern, lit)}
		if want := lit != "" && !strings.Contains(pattern, `\b`); (set.idAt != nil) != want {
			t.Errorf("%s: anchored %v, want %v", pattern, set.idAt != nil, want)
		}
		if set.idAt != nil {
			anchored++
		}
		for range 3000 {
			var b strings.Builder
			for n := r.IntN(30); n > 0; n-- {
				b.WriteString(pieces[r.IntN(len(pieces))])
			}
			text := []byte(b.String())
			var want [][2]int
			for _, loc := range re.FindAllIndex(text, -1) {
				want = append(want, [2]int{loc[0], loc[1]})
			}
			if got := findIDs(nil, set, text); !reflect.DeepEqual(got, want) {
				t.Fatalf("%s on %q: %v, FindAllIndex %v", pattern, text, got, want)
			}
		}
	}
	if anchored < 6 {
		t.Fatalf("only %d patterns anchored", anchored)
	}
}
