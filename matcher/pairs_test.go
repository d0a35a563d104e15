package matcher

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// sharedWeakCSV is a set of 40 records that all share one postal code
// and one birthdate: more than maxWindowHits, so neither opens a name
// window, and a leak of a name with one of them is found through pairs.
func sharedWeakCSV() string {
	family := []string{"山田", "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "中村"}
	given := []string{"太郎", "花子", "一郎", "美咲", "健太"}
	var b strings.Builder
	b.WriteString("ref,name,kana,birthdate,phone,email,postal,address,mynumber,custno\n")
	for i := 0; i < 40; i++ {
		kana := ""
		if i == 0 {
			kana = "ヤマダ タロウ" // its romaji, Taro Yamada, is paired too
		}
		fmt.Fprintf(&b, "s%02d,%s %s,%s,1985/01/02,090-5555-%04d,,100-0005,,,\n", i, family[i%8], given[i/8], kana, i)
	}
	return b.String()
}

// TestPairsFindNameWithSharedWeakValue: a name with a postal code or a
// birthdate that 40 records share is found through the pair of the two,
// on a row, in prose, in full width and in kana; a stranger's name with
// the shared value, a set name with the shared value of another row, and
// a set name with the value of no record report nothing. The reference
// scanner (no prefilter, no batching) finds exactly the same.
func TestPairsFindNameWithSharedWeakValue(t *testing.T) {
	m := loadMatcher(t, strings.NewReader(sharedWeakCSV()), testSchema, "shared")
	if !m.sets[0].ix.HasPairs() {
		t.Fatal("the loaded set has no pairs")
	}
	fast, ref := m.NewScanner(), referenceScanner(m)
	// s00 山田 太郎, s09 佐藤 花子, s20 田中 一郎 (family i%8, given i/8).
	cases := []struct {
		name, text, want string
	}{
		{"csv row", "id,氏名,郵便番号,電話,メモ\n1,山田 太郎,100-0005,03-0000-0000,\n", "s00:name+postal"},
		{"csv row, name unspaced", "1,佐藤花子,1000005,x,y\n", "s09:name+postal"},
		{"prose honorific", "本日、田中一郎様（〒100-0005）より住所変更のご連絡がありました。", "s20:name+postal"},
		{"full width", "氏名：山田　太郎　〒１００－０００５", "s00:name+postal"},
		{"birthdate", "山田 太郎（昭和60年1月2日生まれ）から問い合わせ", "s00:birthdate+name"},
		{"both", "2,山田 太郎,1985-01-02,100-0005,z\n", "s00:birthdate+name+postal"},
		{"stranger with the shared value", "1,山田 次郎,100-0005,x,y\n2,斎藤 花子,100-0005,x,y\n", ""},
		{"set name, shared value on another row", "1,山田 太郎,,x,y\n2,斎藤 次郎,100-0005,x,y\n", ""},
		{"set name, another postal code", "1,山田 太郎,530-0001,x,y\n", ""},
		{"set name, another birthdate", "山田 太郎（昭和60年1月3日生まれ）", ""},
		{"two set names, one value", "1,山田 太郎,100-0005,佐藤 花子,y\n", "s00:name+postal s09:name+postal"},
		{"json lines", `{"id":7,"name":"山田 太郎","zip":"100-0005","note":"x"}` + "\n", "s00:name+postal"},
		{"tsv, name in two cells", "7\t佐藤\t花子\t100-0005\tx\n", "s09:name+postal"},
		{"json lines, name in two members", `{"id":7,"sei":"山田","mei":"太郎","zip":"100-0005","note":"x"}` + "\n", "s00:name+postal"},
		{"json lines, given name first", `{"id":7,"first_name":"花子","last_name":"佐藤","zip":"100-0005","note":"x"}` + "\n", "s09:name+postal"},
		{"json lines, romaji in two members", `{"id":7,"first_name":"Taro","last_name":"Yamada","dob":"1985-01-02","x":"y"}` + "\n", "s00:birthdate+name"},
		{"json lines, members of a stranger", `{"id":7,"sei":"山田","mei":"次郎","zip":"100-0005","note":"x"}` + "\n", ""},
		{"kana reading", "7,ﾔﾏﾀﾞ ﾀﾛｳ,〒100-0005,x,y\n", "s00:name+postal"},
		{"romaji of the reading", "7,YAMADA Taro,1985-01-02,x,y\n", "s00:birthdate+name"},
		{"prose, romaji", "Dear Taro Yamada, born 1985/01/02, your account", "s00:birthdate+name"},
	}
	for _, c := range cases {
		got := scanBoth(t, fast, ref, c.name, []byte(c.text))
		if refsOf(got) != c.want {
			t.Errorf("%s: got %q, want %q", c.name, refsOf(got), c.want)
		}
	}
	if fast.Stats().Filtered == 0 {
		t.Error("no pair was turned away by the prefilter: the strangers' pairs were not even tried")
	}
}

// TestRareWeakValueSearchesItsRow: a weak value that few records share
// (c1's postal code, c1's alone) is searched for the names paired with it
// like a shared one: on its row, the cells that could be a name, not every
// substring of a window over the rows around it. On a dump of strangers
// whose every row holds it, the names tried are the rows' name cells; the
// decisions are the row rule's (TestRowRule).
func TestRareWeakValueSearchesItsRow(t *testing.T) {
	m := newTestMatcher(t)
	if !m.sets[0].ix.HasPairs() {
		t.Fatal("the test set has no pairs")
	}
	var b strings.Builder
	family := []string{"斎藤", "松本", "井上", "木村", "林", "清水"}
	given := []string{"次郎", "恵子", "翔太", "由美"}
	const rows = 200
	for i := range rows {
		fmt.Fprintf(&b, "%d,%s %s,100-0005,東京都千代田区丸の内,一般会員,active\n", i, family[i%6], given[i%4])
	}
	sc := m.NewScanner()
	fs, err := sc.Scan(context.Background(), Input{Source: "dump", R: strings.NewReader(b.String())})
	if err != nil {
		t.Fatal(err)
	}
	if got := refsOf(fs); got != "" {
		t.Fatalf("strangers with c1's postal code: got %q", got)
	}
	// Three cells of letters a row: the name, the locality and the plan.
	if st := sc.Stats(); st.Refs < rows || st.Candidates > 4*rows {
		t.Errorf("%d rows: %d lookups with hits, %d candidates tried (want at most %d)", rows, st.Refs, st.Candidates, 4*rows)
	} else {
		t.Logf("%d rows: %d candidates tried", rows, st.Candidates)
	}
}

// TestRareWeakValuesDeferred: in a set with pairs, a weak value is not
// looked up on its own until a record near it needs it, rare or common:
// on rows of strangers holding the set's postal codes and birthdates,
// every one is deferred and none fingerprinted; beside an identifying
// field of its record it is looked up (resolved) and counts; beside its
// record's name it is found through the pair.
func TestRareWeakValuesDeferred(t *testing.T) {
	m := newTestMatcher(t)
	var b strings.Builder
	weak := [][2]string{{"100-0005", "1985/01/02"}, {"530-0001", "1960/03/04"}, {"060-0001", "1990/05/06"}}
	const rows = 150
	for i := range rows {
		w := weak[i%3]
		fmt.Fprintf(&b, "%d,斎藤 次郎,%s,%s,一般会員,active\n", i, w[0], w[1])
	}
	sc := m.NewScanner()
	fs, err := sc.Scan(context.Background(), Input{Source: "dump", R: strings.NewReader(b.String())})
	if err != nil {
		t.Fatal(err)
	}
	if st := sc.Stats(); len(fs) != 0 || st.Deferred < 2*rows || st.Lookups != 0 {
		t.Errorf("strangers' rows: %d reported, %d lookups deferred (want %d), %d made (want 0)", len(fs), st.Deferred, 2*rows, st.Lookups)
	}
	checkRefs(t, m, map[string]string{
		"1,斎藤 次郎,1985/01/02,090-1234-5678,x\n":                         "c1:birthdate+phone",
		"1,山田 太郎,1985/01/02,x,y\n":                                     "c1:birthdate+name",
		"氏名 山田 太郎\n生年月日 1985/01/02\n":                                  "c1:birthdate+name",
		"1,斎藤 次郎,1985/01/02,100-0005,x\n":                              "",
		"連絡先 090-1234-5678 " + strings.Repeat("。", 300) + " 〒100-0005": "c1:phone+postal",
	})
}

// TestRowNamesInCellWords: on a row, a set name inside a cell's other
// words — after a title, before honorifics, after kana — is read with the
// row's weak value, as a name window reads it; a stranger's name so
// written, or a set name cut out of a longer one, is not.
func TestRowNamesInCellWords(t *testing.T) {
	m := newTestMatcher(t)
	checkRefs(t, m, map[string]string{
		"1,山田太郎様,100-0005,一般,active\n":       "c1:name+postal",
		"1,山田 太郎 様,100-0005,一般,active\n":     "c1:name+postal",
		"1,担当山田太郎,100-0005,一般,active\n":      "c1:name+postal",
		"1,担当者 山田 太郎 殿,100-0005,一般,active\n": "c1:name+postal",
		"1,山田太郎さん宛,100-0005,一般,active\n":     "c1:name+postal",
		"1,ヤマダ タロウ サマ,100-0005,一般,active\n":  "c1:name+postal",
		"1,東京都在住の山田太郎,100-0005,x,y\n":        "c1:name+postal",
		"1,山田次郎様,100-0005,一般,active\n":       "",
		"1,担当山田次郎,100-0005,一般,active\n":      "",
		"1,都内在住の山田,100-0005,x,y\n":           "",
		"1,鈴木 一郎太様,060-0001,x,y\n":           "",
		"1,大鈴木 一郎,060-0001,x,y\n":            "",
		"1,鈴木 一郎様,060-0001,x,y\n":            "c3:name+postal",
	})
}

// TestNameInCell: the name nameInCell finds in a CJK run of a cell.
func TestNameInCell(t *testing.T) {
	for _, c := range []struct{ run, want string }{
		{"山田太郎", "山田太郎"},
		{"山田太郎様", "山田太郎"},
		{"山田 太郎 様", "山田 太郎"},
		{"故 山田太郎氏", "山田太郎"},
		{"担当者山田太郎", "山田太郎"},
		{"山田太郎さん宛", "山田太郎"},
		{"やまだ たろうさん", "やまだ たろう"},
		{"ﾔﾏﾀﾞ ﾀﾛｳｻﾝ", "ﾔﾏﾀﾞ ﾀﾛｳ"},
		{"東京都在住の山田太郎", "山田太郎"},
		{"担当の山田太郎様", "山田太郎"},
		{"ご利用の山", "ご利用の山"},
		{"様", "様"},
		{"山様", "山様"},
		{"緒方", "緒方"},
		{"の山田", "山田"},
	} {
		st, en := nameInCell([]byte(c.run), 0, len(c.run), true)
		if got := c.run[st:en]; got != c.want {
			t.Errorf("%q: %q, want %q", c.run, got, c.want)
		}
	}
}

// TestOffRowsMemo: offRows finds the same stretches off rows whether it
// remembers the rows of the earlier calls on the segment (s.rowRun) or
// not, on random texts of rows, prose lines and empty lines, for weak
// values taken in order along the text as pairWindows takes them.
func TestOffRowsMemo(t *testing.T) {
	m := newTestMatcher(t)
	r := rand.New(rand.NewPCG(7, 8))
	lines := []string{"1,山田 太郎,100-0005,一般,active", "2\t斎藤\t次郎\t530-0001\tx", "担当は山田太郎です。", "", "a,b", "| x | y | z | w |", "GET /index.html 200 1985-01-02"}
	remembered, fresh := m.NewScanner(), m.NewScanner()
	checked := 0
	for range 300 {
		var b strings.Builder
		for n := 1 + r.IntN(40); n > 0; n-- {
			b.WriteString(lines[r.IntN(len(lines))])
			b.WriteByte('\n')
		}
		buf := []byte(b.String())
		remembered.rowRun, remembered.rowBuf = [2]int{}, nil
		for _, sc := range []*Scanner{remembered, fresh} {
			sc.eof, sc.bufAtLine = true, true
		}
		for at := 0; at < len(buf); at += 1 + r.IntN(120) {
			lo, end, row := remembered.lineRow(buf, at)
			if !row {
				continue
			}
			w := 20 + r.IntN(400)
			pw := pairWin{a: lo, b: end, row: true, ref: at}
			a, bb := max(at-w, 0), min(at+w, len(buf))
			fresh.rowRun, fresh.rowBuf = [2]int{}, nil
			remembered.pwins, fresh.pwins = remembered.pwins[:0], fresh.pwins[:0]
			remembered.offRows(buf, pw, a, bb)
			fresh.offRows(buf, pw, a, bb)
			if !slices.Equal(remembered.pwins, fresh.pwins) {
				t.Fatalf("%q, row at %d, window [%d, %d): remembering %v, not %v", buf, at, a, bb, remembered.pwins, fresh.pwins)
			}
			checked++
		}
	}
	if checked < 1000 {
		t.Fatalf("only %d windows checked", checked)
	}
}

// TestScriptOf checks scriptOf, with its fast paths, against its
// definition for every character up to U+2FFFF.
func TestScriptOf(t *testing.T) {
	want := func(r rune) script {
		switch {
		case r == ' ' || r == '\u3000':
			return scSpace
		case r >= 0x3041 && r <= 0x309F:
			return scHira
		case r >= 0x30A1 && r <= 0x30FF || r >= 0xFF66 && r <= 0xFF9F:
			return scKata
		case r == '々' || r == '〆' || unicode.Is(unicode.Han, r):
			return scHan
		case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z', r >= 'Ａ' && r <= 'Ｚ', r >= 'ａ' && r <= 'ｚ',
			r >= 0xC0 && r <= 0x24F && unicode.IsLetter(r):
			return scLatin
		}
		return scOther
	}
	for r := rune(0); r <= 0x2FFFF; r++ {
		if got, w := scriptOf(r), want(r); got != w {
			t.Fatalf("scriptOf(%U) = %d, want %d", r, got, w)
		}
	}
}

// TestKanaKanjiAt: wherever kanaKanjiAt (kanaKanjiBefore) decodes,
// utf8.DecodeRune (utf8.DecodeLastRune) decodes the same rune; and they
// decode every kana and kanji (U+3000–U+9FFF).
func TestKanaKanjiAt(t *testing.T) {
	b := make([]byte, 5)
	for c := 0xD0; c <= 0xF4; c++ {
		for c1 := 0; c1 < 256; c1++ {
			for c2 := 0; c2 < 256; c2++ {
				b[0], b[1], b[2], b[3], b[4] = 0x80, byte(c), byte(c1), byte(c2), 'x'
				for _, buf := range [][]byte{b[1:], b[1:4], b[1:3]} {
					r, n := kanaKanjiAt(buf, 0)
					if n == 0 {
						continue
					}
					if wr, wn := utf8.DecodeRune(buf); wr != r || wn != n {
						t.Fatalf("kanaKanjiAt(%x) = %U, %d; utf8.DecodeRune %U, %d", buf, r, n, wr, wn)
					}
				}
				for _, buf := range [][]byte{b[:4], b[1:4], b[2:4]} {
					r, n := kanaKanjiBefore(buf, len(buf))
					if n == 0 {
						continue
					}
					if wr, wn := utf8.DecodeLastRune(buf); wr != r || wn != n {
						t.Fatalf("kanaKanjiBefore(%x) = %U, %d; utf8.DecodeLastRune %U, %d", buf, r, n, wr, wn)
					}
				}
			}
		}
	}
	for r := rune(0x3000); r <= 0x9FFF; r++ {
		buf := utf8.AppendRune([]byte("a"), r)
		if got, n := kanaKanjiAt(buf, 1); got != r || n != 3 {
			t.Fatalf("kanaKanjiAt(%U) = %U, %d", r, got, n)
		}
		if got, n := kanaKanjiBefore(buf, len(buf)); got != r || n != 3 {
			t.Fatalf("kanaKanjiBefore(%U) = %U, %d", r, got, n)
		}
	}
}

// TestNameSeparatorBytes: the byte tests of names.go read the runes the
// decoded ones did, and hasAnyPrefix gets words of three bytes or more.
func TestNameSeparatorBytes(t *testing.T) {
	for _, r := range []rune{' ', '\u3000', '・', '･', 'a', '山', '　' + 1, '・' + 1, '･' + 1, utf8.RuneError} {
		b := utf8.AppendRune(nil, r)
		b = append(b, "x"...)
		if got, want := isNameSep(b, 0), r == ' ' || r == '\u3000' || r == '・' || r == '･'; got != want {
			t.Errorf("isNameSep(%q) = %v", r, got)
		}
		if got, want := isSpaceAt(b, 0), r == ' ' || r == '\u3000'; got != want {
			t.Errorf("isSpaceAt(%q) = %v", r, got)
		}
		if got, want := isSpaceBefore(b, len(b)-1), r == ' ' || r == '\u3000'; got != want {
			t.Errorf("isSpaceBefore(%q) = %v", r, got)
		}
	}
	if isNameSep([]byte("a"), 1) || isSpaceAt([]byte("a"), 1) || isSpaceBefore(nil, 0) {
		t.Error("a separator past the text's end")
	}
}

// TestWordList: the masks of a wordList drop no word. Every word list of
// names.go answers as a plain comparison with each of its words does, at
// every rune of kana, kanji and half-width kana, alone and followed by
// each word's tail (so a rune that shares a word's last bytes is asked).
func TestWordList(t *testing.T) {
	for _, l := range []wordList{kanjiNamePrefixes, kanjiNameSuffixes, kanaNameSuffixes} {
		var tails []string
		for _, w := range l.words {
			if !l.prefixOf([]byte(w+"x")) || l.prefixOf([]byte("x"+w)) || !l.is([]byte(w)) || l.is([]byte(w+"x")) {
				t.Errorf("word list %q wrong on its own word %q", l.words, w)
			}
			_, size := utf8.DecodeRuneInString(w)
			tails = append(tails, w[size:])
		}
		tails = append(tails, "", "x")
		checked := 0
		for _, rg := range [][2]rune{{0x3000, 0x30FF}, {0x4E00, 0x9FFF}, {0xF900, 0xFAFF}, {0xFF61, 0xFF9F}} {
			for r := rg[0]; r <= rg[1]; r++ {
				for _, tail := range tails {
					b := utf8.AppendRune(nil, r)
					b = append(b, tail...)
					wantPrefix := slices.ContainsFunc(l.words, func(w string) bool { return bytes.HasPrefix(b, []byte(w)) })
					if got := l.prefixOf(b); got != wantPrefix {
						t.Fatalf("word list %q: prefixOf(%q) = %v", l.words, b, got)
					}
					if got, want := l.is(b), slices.Contains(l.words, string(b)); got != want {
						t.Fatalf("word list %q: is(%q) = %v", l.words, b, got)
					}
					checked++
				}
			}
		}
		if checked < 20000 {
			t.Fatalf("only %d texts checked", checked)
		}
	}
}

// TestTokenizeASCIIRuns: tokenize's runs of ASCII cut the tokens that
// decoding every rune cuts (refTokenize), on random texts of letters,
// digits, punctuation, quotes, dashes, spaces, kana, kanji, separators and
// broken UTF-8.
func TestTokenizeASCIIRuns(t *testing.T) {
	pieces := []string{"a", "Z", "taro", "0", "12", ",", "@", ".", "\"", "'", "-", " ", "  ", "\t", "\n",
		"山", "田", "や", "ま", "ヤ", "ﾀ", "ﾞ", "\u3000", "・", "･", "é", "Ａ", "\xe3", "\xff", "々"}
	rng := rand.New(rand.NewPCG(3, 4))
	s := &Scanner{} // tokenize uses its token buffers alone
	for n := 0; n < 20000; n++ {
		var b []byte
		for k := rng.IntN(24); k >= 0; k-- {
			b = append(b, pieces[rng.IntN(len(pieces))]...)
		}
		a := rng.IntN(len(b) + 1)
		s.tokenize(b, a)
		gotToks, gotOffs := slices.Clone(s.toks), slices.Clone(s.offs)
		wantToks, wantOffs := refTokenize(b, a)
		if !slices.Equal(gotToks, wantToks) || !slices.Equal(gotOffs, wantOffs) {
			t.Fatalf("tokenize(%q, %d):\n got %v %v\nwant %v %v", b, a, gotToks, gotOffs, wantToks, wantOffs)
		}
	}
}

// refTokenize is tokenize decoding every rune.
func refTokenize(buf []byte, a int) (toks []token, offs []int) {
	cur := token{sc: scOther}
	closeTok := func() {
		if cur.sc != scOther && cur.end > cur.start {
			cur.r1 = len(offs)
			toks = append(toks, cur)
		}
		cur = token{sc: scOther}
	}
	for i := a; i < len(buf); {
		r, size := utf8.DecodeRune(buf[i:])
		next, _ := utf8.DecodeRune(buf[i+size:])
		switch sc := scriptOf(r); {
		case sc == scLatin:
			if cur.sc != scLatin {
				closeTok()
				cur = token{sc: scLatin, start: i, r0: len(offs)}
			}
			cur.end = i + size
		case (r == '\'' || r == '-') && cur.sc == scLatin:
			if scriptOf(next) == scLatin {
				cur.end = i + size
			} else {
				closeTok()
			}
		case sc == scSpace && cur.sc != scOther && cur.sc != scLatin, r == '・' && cur.sc == scHira:
			if scriptOf(next) == cur.sc {
				offs = append(offs, i)
			} else {
				closeTok()
			}
		case sc == scHan || sc == scHira || sc == scKata:
			if cur.sc != sc {
				closeTok()
				cur = token{sc: sc, start: i, r0: len(offs)}
			}
			offs = append(offs, i)
			cur.end = i + size
		default:
			closeTok()
		}
		i += size
	}
	closeTok()
	return toks, offs
}
