package corpus

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// The shared corpus of the tests, built once.
var (
	fixtureOnce          sync.Once
	fixSet, fixOthers    []Person
	fixLeaks, fixBenign  []Doc
	fixLeakT, fixBenignT time.Duration
)

func fixture(t testing.TB) ([]Person, []Person, []Doc, []Doc) {
	t.Helper()
	fixtureOnce.Do(func() {
		fixSet, fixOthers = Population(20240601, 800, 7000)
		t0 := time.Now()
		fixLeaks = Leaks(5, fixSet, fixOthers)
		fixLeakT = time.Since(t0)
		t0 = time.Now()
		fixBenign = Benign(6, fixSet, fixOthers)
		fixBenignT = time.Since(t0)
	})
	return fixSet, fixOthers, fixLeaks, fixBenign
}

func TestDeterministic(t *testing.T) {
	set, others, leaks, benign := fixture(t)
	if a, b := People(99, 3000), People(99, 3000); !reflect.DeepEqual(a, b) {
		t.Fatal("People is not deterministic")
	}
	if a, b := People(99, 50), People(100, 50); reflect.DeepEqual(a, b) {
		t.Fatal("People ignores its seed")
	}
	leaks2, benign2 := Leaks(5, set, others), Benign(6, set, others)
	for _, pair := range [][2][]Doc{{leaks, leaks2}, {benign, benign2}} {
		if len(pair[0]) != len(pair[1]) {
			t.Fatal("document count differs between runs")
		}
		for i := range pair[0] {
			a, b := pair[0][i], pair[1][i]
			if a.Name != b.Name || !bytes.Equal(a.Body, b.Body) || !reflect.DeepEqual(a.Planted, b.Planted) {
				t.Fatalf("%s differs between runs", a.Name)
			}
		}
	}
	if !bytes.Equal(Mixed(3, 200000, others), Mixed(3, 200000, others)) {
		t.Fatal("Mixed is not deterministic")
	}
}

// myNumberCheck recomputes the check digit straight from the definition.
func refMyNumberCheck(body string) int {
	sum := 0
	for n := 1; n <= 11; n++ {
		p := int(body[len(body)-n] - '0') // P1 is the rightmost of the 11
		var q int
		if n <= 6 {
			q = n + 1
		} else {
			q = n - 5
		}
		sum += p * q
	}
	r := sum % 11
	if r <= 1 {
		return 0
	}
	return 11 - r
}

func TestCheckDigits(t *testing.T) {
	// Worked by hand: P = 1,0,9,8,7,6,5,4,3,2,1 from the right, Q = 2..7,2..6,
	// Σ = 212, 212 mod 11 = 3, check digit 8.
	if got := MyNumberCheckDigit("12345678901"); got != 8 {
		t.Fatalf("check digit of 12345678901 = %d, want 8", got)
	}
	if !ValidMyNumber("123456789018") || ValidMyNumber("123456789017") || ValidMyNumber("12345678901") {
		t.Fatal("ValidMyNumber wrong on the worked example")
	}
	for _, s := range []string{"4111111111111111", "79927398713", "3530111333300000"} {
		if !ValidLuhn(s) {
			t.Errorf("ValidLuhn(%s) = false", s)
		}
	}
	if ValidLuhn("4111111111111112") {
		t.Error("ValidLuhn accepts a bad number")
	}
	jcb := regexp.MustCompile(`^(35(2[89]|[3-8][0-9])[0-9]{12}|4[0-9]{15})$`)
	for _, p := range People(4, 20000) {
		if !ValidMyNumber(p.MyNumber) || refMyNumberCheck(p.MyNumber[:11]) != int(p.MyNumber[11]-'0') {
			t.Fatalf("%s: bad My Number %s", p.Ref, p.MyNumber)
		}
		if !ValidLuhn(p.Card) || !jcb.MatchString(p.Card) {
			t.Fatalf("%s: bad card %s", p.Ref, p.Card)
		}
	}
}

var (
	rePhone  = regexp.MustCompile(`^(0[789]0-[1-9][0-9]{3}-[0-9]{4}|0[1-9][0-9]*-[2-9][0-9]*-[0-9]{4})$`)
	rePostal = regexp.MustCompile(`^[0-9]{3}-[0-9]{4}$`)
	reEmail  = regexp.MustCompile(`^[a-z0-9._-]+@(mail\.)?example\.(jp|com|ne\.jp|co\.jp|net|org)$`)
	reCust   = regexp.MustCompile(`^C[0-9]{8}$`)
	reAddr   = regexp.MustCompile(`^[^0-9]+[0-9]+-[0-9]+(-[0-9]+)?$`)
)

func TestPeopleFormatsAndUniqueness(t *testing.T) {
	ppl := People(11, 200000)
	seen := map[string]string{}
	unique := func(kind, v, ref string) {
		if prev, dup := seen[kind+"\x00"+v]; dup {
			t.Fatalf("%s %q shared by %s and %s", kind, v, prev, ref)
		}
		seen[kind+"\x00"+v] = ref
	}
	lo, hi := time.Date(1930, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2008, 12, 31, 0, 0, 0, 0, time.UTC)
	eras := map[string]int{}
	for _, p := range ppl {
		if !rePhone.MatchString(p.Phone) || len(digitsOf(p.Phone)) != map[bool]int{true: 11, false: 10}[p.Phone[2] == '0' && p.Phone[0:1] == "0" && strings.Contains("789", p.Phone[1:2])] {
			t.Fatalf("%s: bad phone %s", p.Ref, p.Phone)
		}
		if !rePostal.MatchString(p.Postal) || !reEmail.MatchString(p.Email) || !reCust.MatchString(p.CustomerID) || !reAddr.MatchString(p.Address) {
			t.Fatalf("%s: bad field in %+v", p.Ref, p)
		}
		if p.Birthdate.Before(lo) || p.Birthdate.After(hi) {
			t.Fatalf("%s: birthdate %v out of range", p.Ref, p.Birthdate)
		}
		era, _, _ := Era(p.Birthdate)
		eras[era]++
		unique("phone", digitsOf(p.Phone), p.Ref)
		unique("email", p.Email, p.Ref)
		unique("mynumber", p.MyNumber, p.Ref)
		unique("card", p.Card, p.Ref)
		unique("custno", p.CustomerID, p.Ref)
		unique("address", p.FullAddress(), p.Ref)
		unique("ref", p.Ref, p.Ref)
		// A name never goes with the same postal code or birthdate twice.
		for _, k := range nameKeys(&p) {
			unique("name+postal", k+p.Postal, p.Ref)
			unique("name+birthdate", k+p.Birthdate.Format("20060102"), p.Ref)
		}
	}
	if eras["昭和"] == 0 || eras["平成"] == 0 {
		t.Fatalf("eras not all present: %v", eras)
	}
}

func TestNamesakes(t *testing.T) {
	ppl := PeopleWith(8, 4000, Options{Namesakes: 0.05})
	names := map[string]int{}
	for _, p := range ppl {
		names[p.Name]++
	}
	shared := 0
	for _, n := range names {
		if n > 1 {
			shared += n
		}
	}
	if shared < 200 {
		t.Fatalf("only %d of 4000 people share a name at 5%% namesakes", shared)
	}
	variants := 0
	for _, p := range People(9, 5000) {
		if strings.ContainsAny(p.Name, "髙﨑邊邉齋齊櫻濱澤") {
			variants++
		}
	}
	if variants == 0 {
		t.Fatal("no kanji-variant names generated")
	}
}

func TestForms(t *testing.T) {
	d := func(y, m, day int) time.Time { return time.Date(y, time.Month(m), day, 0, 0, 0, 0, time.UTC) }
	styleText := func(forms []Form, style string) string {
		for _, f := range forms {
			if f.Style == style {
				return f.Text
			}
		}
		t.Fatalf("no style %s in %v", style, forms)
		return ""
	}
	cases := []struct{ got, want string }{
		{styleText(BirthdateForms(d(1985, 1, 2)), "era"), "昭和60年1月2日"},
		{styleText(BirthdateForms(d(1985, 1, 2)), "era-letter"), "S60.1.2"},
		{styleText(BirthdateForms(d(1985, 1, 2)), "era-letter-slash"), "S60/01/02"},
		{styleText(BirthdateForms(d(1985, 1, 2)), "era-compact"), "S600102"},
		{styleText(BirthdateForms(d(1985, 1, 2)), "era-letter-dot"), "S.60.1.2"},
		{styleText(BirthdateForms(d(1989, 1, 8)), "era-compact"), "H010108"},
		{styleText(BirthdateForms(d(1985, 1, 2)), "era-code"), "3600102"},
		{styleText(BirthdateForms(d(1912, 7, 29)), "era-code"), "1450729"},
		{styleText(BirthdateForms(d(2019, 5, 1)), "era-code"), "5010501"},
		{styleText(BirthdateForms(d(1985, 1, 2)), "era-letter-fullwidth"), "Ｓ６０．１．２"},
		{styleText(BirthdateForms(d(1985, 1, 2)), "kanji-spaced"), "1985 年 1 月 2 日"},
		{styleText(BirthdateForms(d(1989, 1, 8)), "era-spaced"), "平成 元年 1 月 8 日"},
		{styleText(BirthdateForms(d(1960, 10, 24)), "kanji-digits"), "一九六〇年十月二十四日"},
		{styleText(BirthdateForms(d(1985, 12, 2)), "era-kanji"), "昭和六十年十二月二日"},
		{styleText(BirthdateForms(d(2019, 5, 1)), "era-kanji"), "令和元年五月一日"},
		{styleText(BirthdateForms(d(1985, 12, 2)), "era-abbrev"), "昭60.12.2"},
		{styleText(BirthdateForms(d(1989, 1, 8)), "era-abbrev"), "平元.1.8"},
		{styleText(BirthdateForms(d(1985, 1, 2)), "compact"), "19850102"},
		{styleText(BirthdateForms(d(1985, 1, 2)), "dash"), "1985-1-2"},
		{styleText(BirthdateForms(d(1985, 1, 2)), "fullwidth"), "１９８５年１月２日"},
		{styleText(BirthdateForms(d(1989, 1, 7)), "era"), "昭和64年1月7日"},
		{styleText(BirthdateForms(d(1989, 1, 8)), "era"), "平成元年1月8日"},
		{styleText(BirthdateForms(d(1989, 1, 8)), "era-letter"), "H1.1.8"},
		{styleText(BirthdateForms(d(2019, 5, 1)), "era"), "令和元年5月1日"},
		{styleText(BirthdateForms(d(1926, 12, 25)), "era"), "昭和元年12月25日"},
		{styleText(BirthdateForms(d(1985, 1, 2)), "era-both"), "昭和60年（1985年）1月2日"},
		{styleText(BirthdateForms(d(1989, 1, 8)), "kanji-both"), "1989年（平成元年）1月8日"},
		{styleText(BirthdateForms(d(1985, 1, 2)), "english"), "January 2, 1985"},
		{styleText(BirthdateForms(d(1985, 9, 21)), "english-abbrev"), "Sep 21, 1985"},
		{styleText(BirthdateForms(d(1985, 1, 2)), "english-day-first"), "2 Jan 1985"},
		{styleText(PhoneForms("090-1234-5678"), "paren"), "090(1234)5678"},
		{styleText(PhoneForms("090-1234-5678"), "fullwidth"), "０９０－１２３４－５６７８"},
		{styleText(PhoneForms("090-1234-5678"), "intl-space"), "+81 90 1234 5678"},
		{styleText(PhoneForms("03-1234-5678"), "intl-dash"), "+81-3-1234-5678"},
		{styleText(PhoneForms("090-1234-5678"), "intl-noplus"), "81-90-1234-5678"},
		{styleText(PhoneForms("090-1234-5678"), "kanji"), "〇九〇－一二三四－五六七八"},
		{styleText(PhoneForms("03-1234-5678"), "kanji-bar"), "〇三―一二三四―五六七八"},
		{styleText(PhoneForms("086-291-7004"), "kanji-paren"), "〇八六（二九一）七〇〇四"},
		{styleText(PostalForms("060-0001"), "kanji-mark"), "〒〇六〇－〇〇〇一"},
		{styleText(EmailForms("taro@example.com"), "at-bracket"), "taro[at]example.com"},
		{styleText(EmailForms("taro@example.co.jp"), "spaced"), "taro [at] example [dot] co [dot] jp"},
		{styleText(PostalForms("100-0005"), "mark"), "〒100-0005"},
		{styleText(PostalForms("100-0005"), "plain"), "1000005"},
		{styleText(MyNumberForms("123456789018"), "space"), "1234 5678 9018"},
		{styleText(CardForms("3530111333300000"), "dash"), "3530-1113-3330-0000"},
		{KanjiNumber(12), "十二"}, {KanjiNumber(30), "三十"}, {KanjiNumber(305), "三百五"}, {KanjiNumber(1), "一"},
		{HalfWidthKana("ヤマダ タロウ"), "ﾔﾏﾀﾞ ﾀﾛｳ"}, {HalfWidthKana("パーク"), "ﾊﾟｰｸ"},
		{Hiragana("ヤマダ タロウ"), "やまだ たろう"},
	}
	p := Person{Name: "山田 太郎", Kana: "ヤマダ タロウ", Romaji: "Taro Yamada", Prefecture: "東京都", Address: "千代田区丸の内1-2-3"}
	cases = append(cases,
		struct{ got, want string }{styleText(AddressForms(p), "pref-kanji"), "東京都千代田区丸の内一丁目二番三号"},
		struct{ got, want string }{styleText(AddressForms(p), "chome"), "千代田区丸の内1丁目2-3"},
		struct{ got, want string }{styleText(AddressForms(p), "banchi"), "千代田区丸の内1丁目2番3号"},
		struct{ got, want string }{styleText(AddressForms(p), "pref-kanji-dash"), "東京都千代田区丸の内一―二―三"},
		struct{ got, want string }{styleText(AddressForms(p), "kanji-no"), "千代田区丸の内一の二の三"},
		struct{ got, want string }{styleText(AddressForms(Person{Prefecture: "静岡県", Address: "浜松市中央区砂山町1864-14"}), "kanji-dash"), "浜松市中央区砂山町千八百六十四―十四"},
		struct{ got, want string }{styleText(NameForms(p), "romaji-upper"), "Taro YAMADA"},
		struct{ got, want string }{styleText(NameForms(p), "romaji-family-first"), "YAMADA Taro"},
		struct{ got, want string }{styleText(NameForms(p), "ideographic"), "山田　太郎"},
		struct{ got, want string }{styleText(NameForms(p), "romaji-san"), "Taro Yamada-san"},
	)
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	// Every kind has every style listed for it by the document shapes.
	for _, p := range People(3, 300) {
		for _, styles := range styleSets {
			for kind, ss := range styles {
				for _, s := range ss {
					found := false
					for _, f := range Forms(p, kind) {
						found = found || f.Style == s
					}
					if !found {
						t.Fatalf("%s of %s has no style %s", kind, p.Ref, s)
					}
				}
			}
		}
	}
}

// normalize folds a decoded document the way the checks below compare:
// NFKC (full-width to ASCII, half-width kana to full), "[at]" to "@",
// " [dot] " to ".".
func normalize(s string) string {
	s = norm.NFKC.String(s)
	s = kanjiDigitRun.ReplaceAllStringFunc(s, func(m string) string {
		return strings.NewReplacer("〇", "0", "一", "1", "二", "2", "三", "3", "四", "4", "五", "5", "六", "6", "七", "7", "八", "8", "九", "9", "―", "-").Replace(m)
	})
	s = strings.NewReplacer(" [at] ", "@", "[at]", "@", "(at)", "@", " [dot] ", ".", "%40", "@", "%2B", "+", "★", "@", "(アットマーク)", "@", "【アットマーク】", "@", "〔アットマーク〕", "@", "アットマーク", "@").Replace(s)
	return wordsEmail.ReplaceAllStringFunc(s, func(m string) string {
		return strings.ReplaceAll(strings.Replace(m, " at ", "@", 1), " dot ", ".")
	})
}

// kanjiDigitRun matches numbers in kanji digits, as text set vertically
// writes them (〇九〇―一二三四―五六七八, 一九八五): two digits or more,
// perhaps in groups.
var kanjiDigitRun = regexp.MustCompile(`[〇一二三四五六七八九]{2,}(?:[―()\-][〇一二三四五六七八九]+)*`)

// wordsEmail matches an address written in words, taro at example dot com.
var wordsEmail = regexp.MustCompile(`[A-Za-z0-9._+-]+ at [A-Za-z0-9-]+( dot [A-Za-z0-9-]+)+`)

// tokens collects the digit strings of s and its e-mail addresses. Digit
// groups separated by up to two of "-", " ", "(", ")", ".", "/", "+" form a
// run; every contiguous concatenation of a run's groups is a token.
func tokens(s string) map[string]bool {
	out := map[string]bool{}
	s = normalize(s)
	var groups []string
	flush := func() {
		for i := range groups {
			cat := ""
			for j := i; j < len(groups); j++ {
				cat += groups[j]
				out[cat] = true
			}
		}
		groups = groups[:0]
	}
	for i := 0; i < len(s); {
		if s[i] >= '0' && s[i] <= '9' {
			j := i
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			groups = append(groups, s[i:j])
			k := j
			for k < len(s) && k-j < 3 && strings.IndexByte("- ()./+", s[k]) >= 0 {
				k++
			}
			if k == j || k-j > 2 || k == len(s) || s[k] < '0' || s[k] > '9' {
				flush()
			}
			i = k
			continue
		}
		i++
	}
	flush()
	for _, e := range regexp.MustCompile(`[A-Za-z0-9._-]+@[A-Za-z0-9.-]+`).FindAllString(s, -1) {
		out[strings.ToLower(e)] = true
	}
	return out
}

// identifiersIn lists the unique identifiers of p found in a document's
// tokens and normalized text, by kind.
func identifiersIn(p *Person, toks map[string]bool, norm string) []string {
	var kinds []string
	d := digitsOf(p.Phone)
	if toks[d] || toks["81"+d[1:]] {
		kinds = append(kinds, KindPhone)
	}
	if toks[p.Email] {
		kinds = append(kinds, KindEmail)
	}
	if toks[p.MyNumber] {
		kinds = append(kinds, KindMyNumber)
	}
	if toks[p.Card] {
		kinds = append(kinds, KindCard)
	}
	if strings.Contains(norm, p.CustomerID) {
		kinds = append(kinds, KindID)
	}
	return kinds
}

// nameIn reports whether any form of p's name occurs in a document: text
// is normalized with spaces removed, hiragana made katakana, variants folded.
func nameIn(p *Person, flat, lower string) bool {
	for _, k := range nameKeys(p)[:2] {
		if strings.Contains(flat, k) {
			return true
		}
	}
	rg, rf, _ := strings.Cut(strings.ToLower(p.Romaji), " ")
	return strings.Contains(lower, rg+" "+rf) || strings.Contains(lower, rf+" "+rg)
}

func flatten(text string) (flat, lower string) {
	n := normalize(text)
	flat = strings.Map(func(r rune) rune {
		switch {
		case r == ' ' || r == '　':
			return -1
		case r >= 'ぁ' && r <= 'ゖ':
			return r + 0x60
		}
		return r
	}, n)
	return foldVariants(flat), strings.ToLower(n)
}

func checkDecoded(t *testing.T, d Doc) string {
	t.Helper()
	text, err := Decode(d.Encoding, d.Body)
	if err != nil || text != d.text {
		t.Fatalf("%s: body does not decode (%s) to the generated text: %v", d.Name, d.Encoding, err)
	}
	if d.Encoding != UTF8 && utf8.Valid(d.Body) && d.Encoding != ISO2022 {
		t.Fatalf("%s: %s body is valid UTF-8", d.Name, d.Encoding)
	}
	for _, m := range d.marks {
		if m.off+len(m.text) > len(text) || text[m.off:m.off+len(m.text)] != m.text {
			t.Fatalf("%s: %s %s not at its place", d.Name, m.ref, m.kind)
		}
	}
	return text
}

func byRef(set []Person) map[string]*Person {
	m := map[string]*Person{}
	for i := range set {
		m[set[i].Ref] = &set[i]
	}
	return m
}

func TestLeakTruth(t *testing.T) {
	set, _, leaks, _ := fixture(t)
	refs := byRef(set)
	shapes := map[string]int{}
	for _, d := range leaks {
		shapes[d.Shape]++
		text := checkDecoded(t, d)
		if len(d.Planted) < 2 {
			t.Errorf("%s plants %d records", d.Name, len(d.Planted))
		}
		// Kinds are exactly the kinds of the fields written.
		written := map[string]map[string]bool{}
		for _, m := range d.marks {
			if written[m.ref] == nil {
				written[m.ref] = map[string]bool{}
			}
			written[m.ref][m.kind] = true
		}
		if len(written) != len(d.Planted) {
			t.Fatalf("%s: %d records written, %d planted", d.Name, len(written), len(d.Planted))
		}
		toks, nt := tokens(text), normalize(text)
		flat, lower := flatten(text)
		for _, pl := range d.Planted {
			p := refs[pl.Ref]
			if p == nil {
				t.Fatalf("%s: planted %s is not in the set", d.Name, pl.Ref)
			}
			var kinds []string
			ident := false
			for k := range written[pl.Ref] {
				kinds = append(kinds, k)
				ident = ident || Identifying(k)
			}
			sort.Strings(kinds)
			if !reflect.DeepEqual(kinds, pl.Kinds) || len(kinds) < 2 || !ident {
				t.Fatalf("%s: %s planted as %v, written %v", d.Name, pl.Ref, pl.Kinds, kinds)
			}
			if s := span(text, d.marks, pl.Ref); s > MaxSpan {
				t.Fatalf("%s: %s spans %d characters", d.Name, pl.Ref, s)
			}
			// Every identifier of the record found in the text was planted,
			// and every planted one is found.
			found := identifiersIn(p, toks, nt)
			if nameIn(p, flat, lower) {
				found = append(found, KindName)
			}
			for _, k := range found {
				if !written[pl.Ref][k] {
					t.Errorf("%s: %s's %s is in the text but not in the truth", d.Name, pl.Ref, k)
				}
			}
			for k := range written[pl.Ref] {
				if k != KindName && k != KindAddress && k != KindBirthdate && k != KindPostal && !contains(found, k) {
					t.Errorf("%s: %s's %s planted but not found by the normalized check", d.Name, pl.Ref, k)
				}
			}
			// Unplanted weak fields are absent too.
			if !written[pl.Ref][KindPostal] && toks[digitsOf(p.Postal)] {
				t.Errorf("%s: %s's postal code is in the text but not in the truth", d.Name, pl.Ref)
			}
			if !written[pl.Ref][KindBirthdate] {
				for _, f := range BirthdateForms(p.Birthdate) {
					if strings.Contains(text, f.Text) && (f.Style != "compact" || toks[f.Text]) {
						t.Errorf("%s: %s's birthdate (%s) is in the text but not in the truth", d.Name, pl.Ref, f.Text)
					}
				}
			}
		}
		// No other set record leaves an identifier in the document, and
		// one whose name is written (inside a planted name) leaves no weak
		// field either.
		for i := range set {
			p := &set[i]
			if written[p.Ref] != nil {
				continue
			}
			if ks := identifiersIn(p, toks, nt); len(ks) > 0 {
				t.Errorf("%s: unplanted %s's %v is in the text", d.Name, p.Ref, ks)
			}
			if nameIn(p, flat, lower) {
				if toks[digitsOf(p.Postal)] {
					t.Errorf("%s: unplanted %s's name and postal code are in the text", d.Name, p.Ref)
				}
				for _, f := range BirthdateForms(p.Birthdate) {
					if strings.Contains(text, f.Text) && (f.Style != "compact" || toks[f.Text]) {
						t.Errorf("%s: unplanted %s's name and birthdate (%s) are in the text", d.Name, p.Ref, f.Text)
					}
				}
			}
		}
	}
	for _, s := range Shapes {
		if shapes[s] == 0 {
			t.Errorf("no document of shape %s", s)
		}
	}
	t.Logf("%d leak documents in %v", len(leaks), fixLeakT)
}

// TestOtherSeeds builds the documents from other seeds and populations
// (generation panics on a broken rule) and checks they decode.
func TestOtherSeeds(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		set, others := Population(seed*1000, 150+int(seed)*200, 3000)
		for _, d := range append(Leaks(seed, set, others), Benign(seed, set, others)...) {
			checkDecoded(t, d)
		}
	}
	// Separate generations work too: clashing others are dropped.
	set, others := People(41, 300), People(42, 4000)
	for _, d := range append(Leaks(7, set, others), Benign(7, set, others)...) {
		checkDecoded(t, d)
	}
}

func TestLargeDumpSpread(t *testing.T) {
	_, _, leaks, _ := fixture(t)
	for _, d := range leaks {
		if d.Shape != "large-dump" {
			continue
		}
		if n := strings.Count(d.text, "\n"); n < LargeDumpRows {
			t.Fatalf("large dump has %d lines", n)
		}
		var first, last int = len(d.text), 0
		for _, m := range d.marks {
			first, last = min(first, m.off), max(last, m.off)
		}
		if first > len(d.text)/5 || last < len(d.text)*4/5 {
			t.Fatalf("planted rows not spread: %d..%d of %d", first, last, len(d.text))
		}
	}
}

func TestBenign(t *testing.T) {
	set, _, _, benign := fixture(t)
	refs := byRef(set)
	var ja, en int
	shapes := map[string]int{}
	for _, d := range benign {
		shapes[d.Shape]++
		text := checkDecoded(t, d)
		if len(d.Planted) != 0 || d.Trap == "" {
			t.Fatalf("%s: planted %v, trap %q", d.Name, d.Planted, d.Trap)
		}
		switch d.Shape {
		case "prose-ja":
			ja += len(d.Body)
		case "prose-en":
			en += len(d.Body)
		}
		// Per record: its fields sit in one trap and never make a match
		// (two fields with one identifying).
		entry := map[string]int{}
		kinds := map[string]map[string]bool{}
		for _, m := range d.marks {
			if e, ok := entry[m.ref]; ok && e != m.entry {
				t.Fatalf("%s: %s used in two traps", d.Name, m.ref)
			}
			entry[m.ref] = m.entry
			if kinds[m.ref] == nil {
				kinds[m.ref] = map[string]bool{}
			}
			kinds[m.ref][m.kind] = true
		}
		for ref, ks := range kinds {
			ident := 0
			for k := range ks {
				if Identifying(k) {
					ident++
				}
			}
			if (ident > 1 || ident == 1 && len(ks) > 1) && d.Shape != "cross-row" {
				t.Fatalf("%s: %s written with %v", d.Name, ref, ks)
			}
		}
		switch d.Shape {
		case "cross-row":
			checkCrossRows(t, d, text)
		case "name-inside":
			checkNamesInside(t, d, text, refs)
		}
		// Traps keep CrossGap characters from every field of another trap.
		if d.Shape != "weak-dense" && !slices.Contains(RowTraps, d.Shape) {
			pos := make([]int, len(d.marks))
			for i, m := range d.marks {
				pos[i] = utf8.RuneCountInString(text[:m.off])
			}
			for i, a := range d.marks {
				for j, b := range d.marks {
					if a.entry == b.entry {
						continue
					}
					endA := pos[i] + utf8.RuneCountInString(a.text)
					if gap := pos[j] - endA; pos[j] >= pos[i] && gap < CrossGap {
						t.Fatalf("%s: traps %d and %d only %d characters apart", d.Name, a.entry, b.entry, gap)
					}
				}
			}
		}
		if d.Shape == "crossed" {
			perEntry := map[int]map[string]bool{}
			for _, m := range d.marks {
				if perEntry[m.entry] == nil {
					perEntry[m.entry] = map[string]bool{}
				}
				perEntry[m.entry][m.ref] = true
			}
			for e, rs := range perEntry {
				if len(rs) != 2 {
					t.Fatalf("%s: crossed trap %d has records %v", d.Name, e, rs)
				}
			}
		}
		// No set identifier is in the text unless it is a trap's field, and
		// no set name unless it is the trap's.
		toks, nt := tokens(text), normalize(text)
		flat, lower := flatten(text)
		for i := range set {
			p := &set[i]
			for _, k := range identifiersIn(p, toks, nt) {
				if !kinds[p.Ref][k] {
					t.Errorf("%s: set record %s's %s is in the text", d.Name, p.Ref, k)
				}
			}
			if nameIn(p, flat, lower) && !kinds[p.Ref][KindName] && !(d.Shape == "name-inside" && kinds[p.Ref] != nil) {
				// Only as the shadow of a trap's name, and then with no
				// other field of its own.
				shadow := false
				for _, m := range d.marks {
					shadow = shadow || m.kind == KindName && nameConflict(p, refs[m.ref])
				}
				if !shadow {
					t.Errorf("%s: set record %s's name is in the text", d.Name, p.Ref)
				}
				if toks[digitsOf(p.Postal)] || toks[p.Birthdate.Format("20060102")] {
					t.Errorf("%s: set record %s's name is in the text with a weak field", d.Name, p.Ref)
				}
			}
		}
		for ref := range kinds {
			if refs[ref] == nil {
				t.Fatalf("%s: trap uses %s, not of the set", d.Name, ref)
			}
		}
	}
	if ja < 20000 || en < 20000 {
		t.Errorf("prose: %d bytes Japanese, %d English; want 20 KB each", ja, en)
	}
	for _, s := range BenignShapes {
		if shapes[s] == 0 {
			t.Errorf("no benign document of shape %s", s)
		}
	}
	t.Logf("%d benign documents in %v", len(benign), fixBenignT)
}

// checkCrossRows checks a cross-row trap: every record has exactly a name
// (two cells of one row) and one weak field, on a row one to two rows away
// from the name's, and each of those lines is a row of eleven cells.
func checkCrossRows(t *testing.T, d Doc, text string) {
	t.Helper()
	lineOf := func(off int) int { return strings.Count(text[:off], "\n") }
	lines := strings.Split(text, "\n")
	type rows struct{ name, weak []int }
	byRef := map[string]*rows{}
	for _, m := range d.marks {
		r := byRef[m.ref]
		if r == nil {
			r = &rows{}
			byRef[m.ref] = r
		}
		switch m.kind {
		case KindName:
			r.name = append(r.name, lineOf(m.off))
		case KindPostal, KindBirthdate:
			r.weak = append(r.weak, lineOf(m.off))
		default:
			t.Fatalf("%s: %s's %s written", d.Name, m.ref, m.kind)
		}
	}
	if len(byRef) < 5 {
		t.Fatalf("%s: only %d traps", d.Name, len(byRef))
	}
	for ref, r := range byRef {
		if len(r.name) != 2 || r.name[0] != r.name[1] || len(r.weak) != 1 {
			t.Fatalf("%s: %s's name on lines %v, weak field on %v", d.Name, ref, r.name, r.weak)
		}
		if gap := max(r.name[0]-r.weak[0], r.weak[0]-r.name[0]); gap < 1 || gap > 2 {
			t.Fatalf("%s: %s's name and weak field %d rows apart", d.Name, ref, gap)
		}
		for _, l := range []int{r.name[0], r.weak[0]} {
			if cells := strings.Count(lines[l], ",") + 1; cells != len(CSVHeader) && strings.Count(lines[l], "<td>") != len(CSVHeader) {
				t.Fatalf("%s: %s's line %d is no row of the dump: %q", d.Name, ref, l, lines[l])
			}
		}
	}
}

// checkNamesInside checks a name-inside trap: a record's postal code is on
// a row whose name and reading hold the record's name and reading cut out
// of longer ones, and its name is nowhere a whole cell.
func checkNamesInside(t *testing.T, d Doc, text string, refs map[string]*Person) {
	t.Helper()
	n := 0
	for _, m := range d.marks {
		p := refs[m.ref]
		if m.kind != KindPostal {
			t.Fatalf("%s: %s's %s written", d.Name, m.ref, m.kind)
		}
		n++
		start := strings.LastIndexByte(text[:m.off], '\n') + 1
		end := start + strings.IndexByte(text[start:], '\n')
		cells := strings.Split(text[start:end], ",")
		if len(cells) != len(CSVHeader) {
			t.Fatalf("%s: %s's postal code is on no row: %q", d.Name, m.ref, text[start:end])
		}
		for _, c := range []struct{ cell, name string }{{cells[1], p.Name}, {cells[2], p.Kana}} {
			if c.cell == c.name || !strings.Contains(c.cell, c.name) {
				t.Fatalf("%s: %s's row has %q for %q", d.Name, m.ref, c.cell, c.name)
			}
		}
		for _, line := range strings.Split(text, "\n") {
			for _, c := range strings.Split(line, ",") {
				if c == p.Name || c == p.Kana {
					t.Fatalf("%s: %s's name is a whole cell", d.Name, m.ref)
				}
			}
		}
	}
	if n < 5 {
		t.Fatalf("%s: only %d traps", d.Name, n)
	}
}

func TestNamesakeTrap(t *testing.T) {
	set, _, _, benign := fixture(t)
	refs := byRef(set)
	n := 0
	for _, d := range benign {
		if d.Shape != "namesake" {
			continue
		}
		toks := tokens(d.text)
		for _, m := range d.marks {
			p := refs[m.ref]
			n++
			if m.kind != KindName {
				t.Fatalf("%s: namesake trap writes %s", d.Name, m.kind)
			}
			if toks[digitsOf(p.Postal)] {
				t.Errorf("%s: namesake of %s shares the postal code", d.Name, p.Ref)
			}
			for _, f := range BirthdateForms(p.Birthdate) {
				if strings.Contains(d.text, f.Text) {
					t.Errorf("%s: namesake of %s shares the birthdate", d.Name, p.Ref)
				}
			}
		}
	}
	if n < 6 {
		t.Fatalf("only %d namesake traps", n)
	}
}

func TestEncodingsRoundTrip(t *testing.T) {
	_, _, leaks, benign := fixture(t)
	seen := map[string]bool{}
	for _, d := range append(append([]Doc{}, leaks...), benign...) {
		seen[d.Encoding] = true
		checkDecoded(t, d)
	}
	for _, e := range []string{UTF8, ShiftJIS, EUCJP, ISO2022} {
		if !seen[e] {
			t.Errorf("no document in %s", e)
		}
	}
	// Every name, reading and address of the lists survives each encoding.
	for _, p := range People(12, 3000) {
		s := p.Name + p.Kana + HalfWidthKana(p.Kana) + p.FullAddress() + Hiragana(p.Kana)
		for _, e := range []string{ShiftJIS, EUCJP, ISO2022} {
			if !encodable(e, s) {
				t.Errorf("%q does not round-trip through %s", s, e)
			}
		}
	}
}

func TestWriteCSV(t *testing.T) {
	ppl := People(13, 200)
	var u, bom, sj, tsv, jl bytes.Buffer
	for _, c := range []struct {
		w *bytes.Buffer
		o WriteOptions
	}{{&u, WriteOptions{}}, {&bom, WriteOptions{Encoding: UTF8BOM}}, {&sj, WriteOptions{Encoding: ShiftJIS}},
		{&tsv, WriteOptions{Format: TSV}}, {&jl, WriteOptions{Format: JSONLines}}} {
		if err := WriteCSV(c.w, ppl, c.o); err != nil {
			t.Fatal(err)
		}
	}
	lines := strings.Split(strings.TrimSuffix(u.String(), "\n"), "\n")
	if lines[0] != "ref,name,kana,birthdate,phone,email,postal,address,mynumber,card,custno" || len(lines) != 201 {
		t.Fatalf("header %q, %d lines", lines[0], len(lines))
	}
	p := ppl[0]
	want := strings.Join([]string{p.Ref, p.Name, p.Kana, p.Birthdate.Format("2006-01-02"), p.Phone, p.Email, p.Postal, p.Prefecture + p.Address, p.MyNumber, p.Card, p.CustomerID}, ",")
	if lines[1] != want {
		t.Fatalf("row %q, want %q", lines[1], want)
	}
	if !bytes.Equal(bom.Bytes(), append([]byte("\uFEFF"), u.Bytes()...)) {
		t.Fatal("BOM output differs")
	}
	if dec, err := Decode(ShiftJIS, sj.Bytes()); err != nil || dec != u.String() || bytes.Equal(sj.Bytes(), u.Bytes()) {
		t.Fatalf("Shift_JIS output does not decode to the UTF-8 output: %v", err)
	}
	if strings.ReplaceAll(tsv.String(), "\t", ",") != u.String() {
		t.Fatal("TSV differs from CSV")
	}
	for i, line := range strings.Split(strings.TrimSuffix(jl.String(), "\n"), "\n") {
		var m map[string]string
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		for j, k := range CSVHeader {
			if m[k] != ppl[i].Row()[j] {
				t.Fatalf("JSON line %d: %s = %q", i, k, m[k])
			}
		}
	}
	if err := WriteCSV(&u, ppl, WriteOptions{Encoding: "latin-1"}); err == nil {
		t.Fatal("unknown encoding accepted")
	}
}

func TestMixed(t *testing.T) {
	_, others, _, _ := fixture(t)
	checkSizes(t, "Mixed", func(size int) []byte { return Mixed(21, size, others) })
	b := string(Mixed(21, 4<<20, others))
	csv := strings.Count(b, "\n"+others[0].Ref[:1]) // rows of the dumps start with the ref
	if csv < 1000 || !strings.Contains(b, "HTTP/1.1") || !strings.Contains(b, "。") || !strings.Contains(b, " the ") {
		t.Fatalf("Mixed lacks a part: %d dump rows", csv)
	}
	// make bench reads the mixed corpus as three tenths dumps.
	if share := float64(dumpBytes(b, others[0].Ref[:1])) / float64(len(b)); share < 0.27 || share > 0.33 {
		t.Errorf("Mixed: dumps are %.3f of the bytes, want about 0.3", share)
	}
}

// TestMixedParts: the parts of Mixed are its chunks of each kind, every
// line of Mixed is in one of them, and they hold the shares make bench
// reads them as.
func TestMixedParts(t *testing.T) {
	_, others, _, _ := fixture(t)
	const size = 2 << 20
	lines := map[string]int{}
	var parts [3][]byte
	total := 0
	for p := range parts {
		parts[p] = MixedPart(21, size, others, Part(p))
		total += len(parts[p])
		for line := range strings.Lines(string(parts[p])) {
			lines[line]++
		}
	}
	if total < size || total > size+64<<10 {
		t.Fatalf("the parts of a %d-byte Mixed hold %d bytes", size, total)
	}
	mixed := string(Mixed(21, size, others))
	cut := strings.LastIndexByte(mixed[:len(mixed)-1], '\n') + 1 // the last line may be cut short
	for line := range strings.Lines(mixed[:cut]) {
		if lines[line] == 0 {
			t.Fatalf("line %q of Mixed is in no part", line)
		}
		lines[line]--
	}
	for p, want := range [3]float64{0.5, 0.2, 0.3} {
		if share := float64(len(parts[p])) / float64(total); share < want-0.03 || share > want+0.03 {
			t.Errorf("part %d is %.3f of the bytes, want about %.1f", p, share, want)
		}
	}
	if n := dumpBytes(string(parts[DumpRows]), others[0].Ref[:1]); n != len(parts[DumpRows]) {
		t.Errorf("dumps part: %d of %d bytes are dump rows", n, len(parts[DumpRows]))
	}
	if logs := string(parts[Logs]); !strings.Contains(logs, "HTTP/1.1") || strings.Contains(logs, "。") {
		t.Error("the logs part is not logs alone")
	}
	if prose := string(parts[Prose]); !strings.Contains(prose, "。") || strings.Contains(prose, "HTTP/1.1") {
		t.Error("the prose part is not prose alone")
	}
}

// checkSizes checks that gen, a corpus generator named name, returns valid
// UTF-8 of exactly the size asked for.
func checkSizes(t *testing.T, name string, gen func(size int) []byte) {
	t.Helper()
	for _, size := range []int{1, 1000, 1 << 20} {
		b := gen(size)
		if len(b) != size || !utf8.Valid(b) {
			t.Fatalf("%s(%d): %d bytes, valid %v", name, size, len(b), utf8.Valid(b))
		}
	}
}

// dumpBytes counts the bytes of the lines of b that belong to CSV dumps:
// their header rows and the rows starting with refPrefix.
func dumpBytes(b, refPrefix string) int {
	header := strings.Join(CSVHeader, ",")
	n := 0
	for line := range strings.Lines(b) {
		if strings.HasPrefix(line, refPrefix) || strings.TrimSuffix(line, "\n") == header {
			n += len(line)
		}
	}
	return n
}

func TestDumps(t *testing.T) {
	_, others, _, _ := fixture(t)
	checkSizes(t, "Dumps", func(size int) []byte { return Dumps(21, size, others) })
	b := string(Dumps(21, 1<<20, others))
	if !bytes.Equal(Dumps(21, 1<<20, others), []byte(b)) {
		t.Fatal("Dumps is not deterministic")
	}
	// All dumps, but the line cut short at the end.
	if n := dumpBytes(b, others[0].Ref[:1]); n < len(b)-1000 {
		t.Fatalf("Dumps: %d of %d bytes are dump rows", n, len(b))
	}
}

func TestWriteTree(t *testing.T) {
	_, _, leaks, benign := fixture(t)
	docs := append(append([]Doc{}, leaks...), benign...)
	dir := t.TempDir()
	if err := WriteTree(dir, docs); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, TruthFile))
	if err != nil {
		t.Fatal(err)
	}
	var truth map[string]TruthEntry
	if err := json.Unmarshal(raw, &truth); err != nil {
		t.Fatal(err)
	}
	if len(truth) != len(docs) {
		t.Fatalf("truth has %d entries for %d documents", len(truth), len(docs))
	}
	for _, d := range docs {
		body, err := os.ReadFile(filepath.Join(dir, d.Name))
		if err != nil || !bytes.Equal(body, d.Body) {
			t.Fatalf("%s not written: %v", d.Name, err)
		}
		e := truth[d.Name]
		if e.Shape != d.Shape || e.Encoding != d.Encoding || e.Trap != d.Trap || len(e.Planted) != len(d.Planted) {
			t.Fatalf("%s: truth %+v", d.Name, e)
		}
	}
	if err := WriteTree(dir, append(docs, docs[0])); err == nil {
		t.Fatal("duplicate names accepted")
	}
}

func BenchmarkPeople1e6(b *testing.B) {
	for b.Loop() {
		if ppl := People(uint64(b.N), 1_000_000); len(ppl) != 1_000_000 {
			b.Fatal(len(ppl))
		}
	}
}

func ExamplePhoneForms() {
	fmt.Println(PhoneForms("090-1234-5678")[4].Text)
	// Output: +81 90 1234 5678
}
