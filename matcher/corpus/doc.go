// Package corpus builds the test data the matcher is measured against:
// synthetic people, leak documents that plant some of them with exact
// ground truth, benign documents that must produce no report, and a mixed
// throughput corpus. It depends only on the standard library and
// golang.org/x/text, never on fingerprints or matcher: it is the
// independent ground truth. Everything is deterministic from a seed
// (math/rand/v2, PCG).
//
// # People
//
// People and PeopleWith generate Person records: kanji names with katakana
// readings and romaji from embedded lists (kanji variants such as 髙橋,
// 齋藤, 渡邊 included), addresses in real municipalities and towns,
// birthdates 1930–2008 (so 昭和 and 平成 both occur), phones, example-domain
// e-mails, My Numbers with valid check digits, Luhn-valid JCB or Visa cards
// and customer numbers. Within one call phones, e-mails, My Numbers, cards,
// customer numbers and addresses are unique, and people who share a name
// (in any form: kanji up to variants, kana, romaji) never share a postal
// code or a birthdate, so a name next to a weak field always means one
// person. Population splits one generation into the operator's set and
// others. WriteCSV writes the operator's file (CSV, TSV or JSON Lines;
// UTF-8, UTF-8 with BOM or Shift_JIS).
//
// # Renderings
//
// Forms and the Render functions give the ways leaks write each field:
// phones with or without hyphens, in parentheses, full-width or +81;
// dates in Gregorian, era (昭和60年, S60.1.2, 元年) or full-width forms;
// names in kanji with or without (ideographic) space, katakana, hiragana,
// half-width kana or romaji in either order; obfuscated e-mails; 〒 postal
// codes; addresses with or without the prefecture and with block numbers
// as 1-2-3, 1丁目2-3, 1丁目2番3号 or 一丁目二番三号, sometimes with a
// building; My Numbers and cards grouped by spaces or dashes.
//
// # Leak documents and their ground truth
//
// Leaks writes documents of every shape in Shapes: CSV with and without a
// header, reordered TSV, JSON Lines, an HTML table, Japanese prose, full-
// width text, English romaji text, a Shift_JIS CSV, an EUC-JP file, an
// ISO-2022-JP mail, kana-only and half-width-kana lists, era dates,
// addresses without prefecture, a combo list, a forum post, a large dump,
// an SQL dump (mysqldump's INSERTs, one a row or all on one line, the
// values quoted), and three shapes at the edges of the matcher's rules: a dense table of
// names and postal codes only (one record a row), a key–value listing with
// a name and a birthdate on two lines, and prose with names followed by
// honorifics (山田太郎様, 昨日山田太郎さん, やまだ たろうさん). Each plants a few set records among rows of others. Doc.Planted
// lists each planted record with exactly the field kinds written for it:
// always two or more, at least one identifying (name, phone, email,
// address, mynumber, card, id), all within MaxSpan characters. No other
// field of a planted record appears in the document, and nothing else
// there can be confused with it: the rows of others around it share none
// of its identifiers, postal code or birthdate, nor a name that holds its
// name.
//
// # Benign documents
//
// Benign writes documents with Planted empty and Trap describing what
// might fool a matcher (see Traps): original Japanese and English prose,
// server logs, dumps of others, a set record's birthdate and postal code
// alone, one identifying field alone, the name of one set record next to
// the phone or e-mail of another (each pair CrossGap characters from any
// other field of either), strangers who bear a set record's name, and
// dumps of strangers (RowTraps) whose names extend set names (鈴木 明美 for
// 鈴木 明) beside those set records' postal codes, or where a set record's
// namesake and its postal code or birthdate sit on rows a few lines apart.
//
// # Files
//
// Mixed returns a throughput corpus of a given size. WriteTree writes
// documents as files with a truth.json (file name → shape, encoding,
// planted records and kinds, trap) for checking a scan of a directory.
package corpus

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
)

// MaxSpan is the most characters (runes of the decoded text) from the
// start of a planted record's first field to the end of its last.
const MaxSpan = 500

// CrossGap is the least distance, in characters, between a benign trap's
// fields and any other field of the same set records.
const CrossGap = 600

// Planted is the ground truth of one record of the set written into a
// leak document: its Ref and exactly the field kinds written for it.
type Planted struct {
	Ref   string   `json:"ref"`
	Kinds []string `json:"kinds"`
}

// Doc is one generated document. Leak documents list in Planted every
// record of the set they hold; benign documents have Planted empty and a
// Trap saying what might fool a matcher.
type Doc struct {
	Name     string    // file name, e.g. "leak-csv-header-1.csv"
	Shape    string    // the document's shape, e.g. "csv-header"
	Encoding string    // UTF8, ShiftJIS, EUCJP or ISO2022
	Body     []byte    // the document in Encoding
	Planted  []Planted // sorted by Ref; each Kinds sorted
	Trap     string    // benign documents only: the trap they set

	text  string // the document as UTF-8
	marks []mark // every field of a set record written, with its place
}

// BenignDoc is a Doc that must produce no report: Planted is empty and
// Trap describes the trap.
type BenignDoc = Doc

// mark records one field of a set record written into a document.
type mark struct {
	ref, kind, text string
	off             int // byte offset in the UTF-8 text
	entry           int // benign traps: which trap the field belongs to
}

// builder accumulates a document's UTF-8 text and its marks.
type builder struct {
	buf   []byte
	marks []mark
	entry int
}

func (b *builder) w(ss ...string) {
	for _, s := range ss {
		b.buf = append(b.buf, s...)
	}
}

// f writes the text of a field; ref is the set record it belongs to, or
// empty for people outside the set.
func (b *builder) f(ref, kind, text string) {
	if ref != "" {
		b.marks = append(b.marks, mark{ref: ref, kind: kind, text: text, off: len(b.buf), entry: b.entry})
	}
	b.buf = append(b.buf, text...)
}

func (b *builder) runes() int { return utf8.RuneCount(b.buf) }

// encodingOf returns the x/text encoding of a name, nil for UTF-8.
func encodingOf(name string) encoding.Encoding {
	switch name {
	case ShiftJIS:
		return japanese.ShiftJIS
	case EUCJP:
		return japanese.EUCJP
	case ISO2022:
		return japanese.ISO2022JP
	}
	return nil
}

// Encode returns text in the named encoding (UTF8, ShiftJIS, EUCJP or
// ISO2022), failing if a character has no representation there.
func Encode(enc, text string) ([]byte, error) {
	e := encodingOf(enc)
	if e == nil {
		return []byte(text), nil
	}
	return e.NewEncoder().Bytes([]byte(text))
}

// Decode returns body, in the named encoding, as UTF-8 text.
func Decode(enc string, body []byte) (string, error) {
	e := encodingOf(enc)
	if e == nil {
		return string(body), nil
	}
	b, err := e.NewDecoder().Bytes(body)
	return string(b), err
}

// encodable reports whether s survives a round trip through enc.
func encodable(enc, s string) bool {
	if encodingOf(enc) == nil {
		return true
	}
	b, err := Encode(enc, s)
	if err != nil {
		return false
	}
	d, err := Decode(enc, b)
	return err == nil && d == s
}

// finish turns a builder into a Doc: it encodes the text, derives Planted
// from the marks (leak documents) and checks the span rule. A violation is
// a bug of this package, so it panics.
func finish(name, shape, enc string, b *builder, benign bool, trap string) Doc {
	text := string(b.buf)
	body, err := Encode(enc, text)
	if err != nil || !encodable(enc, text) {
		panic(fmt.Sprintf("corpus: %s does not round-trip through %s: %v", name, enc, err))
	}
	d := Doc{Name: name, Shape: shape, Encoding: enc, Body: body, Trap: trap, text: text, marks: b.marks}
	if benign {
		return d
	}
	kinds := map[string]map[string]bool{}
	for _, m := range b.marks {
		if kinds[m.ref] == nil {
			kinds[m.ref] = map[string]bool{}
		}
		kinds[m.ref][m.kind] = true
	}
	for ref, ks := range kinds {
		p := Planted{Ref: ref}
		ident := false
		for k := range ks {
			p.Kinds = append(p.Kinds, k)
			ident = ident || Identifying(k)
		}
		sort.Strings(p.Kinds)
		if len(p.Kinds) < 2 || !ident {
			panic(fmt.Sprintf("corpus: %s plants %s with kinds %v", name, ref, p.Kinds))
		}
		if s := span(text, b.marks, ref); s > MaxSpan {
			panic(fmt.Sprintf("corpus: %s plants %s over %d characters", name, ref, s))
		}
		d.Planted = append(d.Planted, p)
	}
	sort.Slice(d.Planted, func(i, j int) bool { return d.Planted[i].Ref < d.Planted[j].Ref })
	return d
}

// span is the number of characters from the first field of ref to the end
// of its last.
func span(text string, marks []mark, ref string) int {
	lo, hi := -1, -1
	for _, m := range marks {
		if m.ref != ref {
			continue
		}
		if lo < 0 || m.off < lo {
			lo = m.off
		}
		if end := m.off + len(m.text); end > hi {
			hi = end
		}
	}
	if lo < 0 {
		return 0
	}
	return utf8.RuneCountInString(text[lo:hi])
}

// nameKeys are the strings p's name is matched by: kanji without space
// and with variants folded, katakana without space, romaji in either order
// in lower case without space.
func nameKeys(p *Person) []string {
	fam, giv, _ := strings.Cut(p.Name, " ")
	kf, kg, _ := strings.Cut(p.Kana, " ")
	rg, rf, _ := strings.Cut(strings.ToLower(p.Romaji), " ")
	return []string{foldVariants(fam + giv), kf + kg, rf + rg, rg + rf}
}

// containers are the strings of p a name could be found inside: its name
// keys and the letters of its e-mail's local part.
func containers(p *Person) []string {
	local, _, _ := strings.Cut(strings.ToLower(p.Email), "@")
	letters := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' {
			return r
		}
		return -1
	}, local)
	return append(nameKeys(p), letters)
}

// nameConflict reports whether a's name can be read inside b's text or the
// other way round.
func nameConflict(a, b *Person) bool {
	for _, k := range nameKeys(a) {
		for _, c := range containers(b) {
			if strings.Contains(c, k) {
				return true
			}
		}
	}
	for _, k := range nameKeys(b) {
		for _, c := range containers(a) {
			if strings.Contains(c, k) {
				return true
			}
		}
	}
	return false
}

// filterOthers drops from others every person who could be confused with
// one of set: sharing a phone, e-mail, My Number, card, customer number or
// address, or whose name or e-mail holds a set person's name.
func filterOthers(set, others []Person) []Person {
	taken := map[string]bool{}
	names := map[string]bool{}
	minLen, maxLen := 1<<30, 0
	for i := range set {
		p := &set[i]
		for _, v := range []string{"t" + digitsOf(p.Phone), "e" + strings.ToLower(p.Email), "m" + p.MyNumber, "c" + p.Card, "i" + p.CustomerID, "a" + p.FullAddress()} {
			taken[v] = true
		}
		for _, k := range nameKeys(p) {
			names[k] = true
			minLen, maxLen = min(minLen, len(k)), max(maxLen, len(k))
		}
	}
	var out []Person
next:
	for i := range others {
		p := &others[i]
		for _, v := range []string{"t" + digitsOf(p.Phone), "e" + strings.ToLower(p.Email), "m" + p.MyNumber, "c" + p.Card, "i" + p.CustomerID, "a" + p.FullAddress()} {
			if taken[v] {
				continue next
			}
		}
		for _, c := range containers(p) {
			for i := 0; i < len(c); i++ {
				for j := i + minLen; j <= len(c) && j-i <= maxLen; j++ {
					if names[c[i:j]] {
						continue next
					}
				}
			}
		}
		out = append(out, *p)
	}
	return out
}

// digitsOf keeps the ASCII digits of s.
func digitsOf(s string) string {
	var b bytes.Buffer
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
