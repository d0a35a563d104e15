package corpus

import (
	"bytes"
	"encoding/base64"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Shapes lists the leak document shapes Leaks writes, in order.
var Shapes = []string{
	"csv-header", "csv-noheader", "tsv-reordered", "jsonl", "html-table",
	"prose-ja", "fullwidth", "romaji-en", "sjis-csv", "eucjp", "iso2022jp-mail",
	"kana-only", "halfwidth-kana", "era-dates", "address-noprefecture",
	"combo", "forum-post", "large-dump",
	"name-postal-rows", "kv-lines", "prose-honorific", "sql-insert",
	"access-log", "vertical",
}

// DocsPerShape is how many documents Leaks writes of each shape but the
// large dump, of which it writes one.
const DocsPerShape = 3

// LargeDumpRows is the number of rows of the large-dump shape.
const LargeDumpRows = 5000

// leakGen holds the state of one Leaks call.
type leakGen struct {
	r    *rand.Rand
	set  []Person
	pool []Person // others that cannot be confused with set
	idx  *nameIndex
}

// nameIndex finds the set records whose name can be read inside a text.
type nameIndex struct {
	keys           map[string][]int32
	minLen, maxLen int
	set            []Person
}

func newNameIndex(set []Person) *nameIndex {
	x := &nameIndex{keys: map[string][]int32{}, minLen: 1 << 30, set: set}
	for i := range set {
		for _, k := range nameKeys(&set[i]) {
			x.keys[k] = append(x.keys[k], int32(i))
			x.minLen, x.maxLen = min(x.minLen, len(k)), max(x.maxLen, len(k))
		}
	}
	return x
}

// shadows returns the set records other than p whose name can be read
// inside p's name or e-mail: writing p's name writes theirs too.
func (x *nameIndex) shadows(p *Person) []*Person {
	var out []*Person
	seen := map[int32]bool{}
	for _, c := range containers(p) {
		for i := 0; i < len(c); i++ {
			for j := i + x.minLen; j <= len(c) && j-i <= x.maxLen; j++ {
				for _, k := range x.keys[c[i:j]] {
					if q := &x.set[k]; q.Ref != p.Ref && !seen[k] {
						seen[k] = true
						out = append(out, q)
					}
				}
			}
		}
	}
	return out
}

// weak collects the postal codes and birthdates that must not appear in a
// document besides the planted records' own: those of the planted records
// and of every set record whose name the planted names also write.
type weak struct {
	postal map[string]bool
	birth  map[time.Time]bool
}

func (w *weak) add(p *Person) {
	w.postal[p.Postal] = true
	w.birth[p.Birthdate] = true
}

func (w *weak) has(p *Person) bool { return w.postal[p.Postal] || w.birth[p.Birthdate] }

func (x *nameIndex) weakOf(ps []*Person) *weak {
	w := &weak{postal: map[string]bool{}, birth: map[time.Time]bool{}}
	for _, p := range ps {
		w.add(p)
		for _, q := range x.shadows(p) {
			w.add(q)
		}
	}
	return w
}

// Leaks returns leak documents of every shape in Shapes, each planting
// several records of set among rows of others. others should hold people
// outside set (Population gives both); any of them that could be confused
// with a set record (same phone, e-mail, My Number, card, customer number
// or address, or a name holding a set name) are left out. set should hold
// at least 100 people and others at least a few thousand; fewer work but
// repeat rows. The same arguments always give the same documents.
func Leaks(seed uint64, set []Person, others []Person) []Doc {
	g := &leakGen{
		r:    rand.New(rand.NewPCG(seed, 0x6c65616b73)),
		set:  set,
		pool: filterOthers(set, others),
		idx:  newNameIndex(set),
	}
	if len(g.pool) == 0 {
		g.pool = filterOthers(set, People(seed^0xabcdef, 2000))
	}
	var docs []Doc
	for _, shape := range Shapes {
		n := DocsPerShape
		if shape == "large-dump" {
			n = 1
		}
		for i := 1; i <= n; i++ {
			docs = append(docs, g.doc(shape, i))
		}
	}
	return docs
}

// pick chooses k distinct set people that can share a document: no two
// have names read inside each other, none has a postal code or birthdate
// of another or of another's name shadows, and every field is
// representable in enc.
func (g *leakGen) pick(k int, enc string) []*Person {
	var out []*Person
	for tries := 0; len(out) < k && tries < 100*k; tries++ {
		p := &g.set[g.r.IntN(len(g.set))]
		if !encodable(enc, p.Name+p.Kana+HalfWidthKana(p.Kana)+p.FullAddress()) {
			continue
		}
		ok := !g.idx.weakOf(out).has(p)
		mine := g.idx.weakOf([]*Person{p})
		for _, q := range out {
			ok = ok && p != q && !nameConflict(p, q) && !mine.has(q)
		}
		if ok {
			out = append(out, p)
		}
	}
	return out
}

// others returns n people of the pool for a document planting planted:
// none shares a postal code or birthdate with a planted record or its name
// shadows, so that every field near a planted record is either its own or
// a stranger's.
func (g *leakGen) others(n int, planted []*Person, enc string) []*Person {
	// Draw without replacement, starting over only when the pool runs out.
	w := g.idx.weakOf(planted)
	out := make([]*Person, 0, n)
	for round := 0; len(out) < n && round < 50; round++ {
		for _, i := range g.r.Perm(len(g.pool)) {
			if len(out) == n {
				break
			}
			p := &g.pool[i]
			if !w.has(p) && encodable(enc, p.Name+p.Kana+HalfWidthKana(p.Kana)+p.FullAddress()) {
				out = append(out, p)
			}
		}
	}
	return out
}

func (g *leakGen) doc(shape string, i int) Doc {
	name := "leak-" + shape + "-" + strconv.Itoa(i)
	switch shape {
	case "csv-header":
		return g.table(name+".csv", shape, UTF8, "csv", true, false, 150+g.r.IntN(200), 4+g.r.IntN(5))
	case "csv-noheader":
		return g.table(name+".csv", shape, UTF8, "csv", false, false, 100+g.r.IntN(150), 4+g.r.IntN(5))
	case "tsv-reordered":
		return g.table(name+".tsv", shape, UTF8, "tsv", true, true, 100+g.r.IntN(150), 4+g.r.IntN(5))
	case "jsonl":
		return g.table(name+".jsonl", shape, UTF8, "jsonl", false, true, 100+g.r.IntN(100), 4+g.r.IntN(5))
	case "html-table":
		return g.table(name+".html", shape, UTF8, "html", true, false, 60+g.r.IntN(80), 3+g.r.IntN(4))
	case "access-log":
		return g.accessLog(name+".log", shape)
	case "sql-insert":
		return g.table(name+".sql", shape, UTF8, "sql", g.r.IntN(2) == 0, false, 100+g.r.IntN(100), 4+g.r.IntN(5))
	case "sjis-csv":
		return g.table(name+".csv", shape, ShiftJIS, "csv", true, false, 150+g.r.IntN(150), 4+g.r.IntN(5))
	case "large-dump":
		return g.table(name+".csv", shape, UTF8, "csv", true, false, LargeDumpRows, 40)
	case "combo":
		return g.combo(name+".txt", shape)
	case "name-postal-rows":
		return g.namePostalRows(name, shape)
	case "kv-lines":
		return g.kvLines(name+".txt", shape)
	case "prose-honorific":
		return g.proseHonorific(name+".txt", shape)
	}
	return g.text(name, shape, i)
}

// spread returns others with planted put at random places among them, and
// the set of planted people.
func (g *leakGen) spread(others, planted []*Person) ([]*Person, map[*Person]bool) {
	all := append([]*Person(nil), others...)
	isSet := map[*Person]bool{}
	for _, p := range planted {
		isSet[p] = true
		at := g.r.IntN(len(all) + 1)
		all = append(all, nil)
		copy(all[at+1:], all[at:])
		all[at] = p
	}
	return all, isSet
}

// namePostalRows writes a dense table of names and postal codes (and
// columns that are not personal), comma-, tab-, semicolon- or
// pipe-separated: a planted record has only its name and its postal code,
// on its row, with strangers' names and postal codes a few rows around. It
// is the edge of the row rule: a weak field corroborates the fields of its
// own row.
func (g *leakGen) namePostalRows(name, shape string) Doc {
	r := g.r
	planted := g.pick(4+r.IntN(5), UTF8)
	all, isSet := g.spread(g.others(120+r.IntN(120), planted, UTF8), planted)
	sep, ext := []string{",", "\t", ";", " | "}[r.IntN(4)], ".csv"
	if sep != "," {
		ext = ".txt"
	}
	nameStyle := []string{"canonical", "nospace", "katakana", "hiragana"}[r.IntN(4)]
	postalStyle := []string{"canonical", "mark", "plain"}[r.IntN(3)]
	b := &builder{}
	b.w(strings.Join([]string{"No", "氏名", "郵便番号", "会員区分", "ポイント", "状態"}, sep), "\n")
	for i, p := range all {
		ref := ""
		if isSet[p] {
			ref = p.Ref
		}
		b.w(strconv.Itoa(i+1), sep)
		b.f(ref, KindName, Render(r, *p, KindName, nameStyle))
		b.w(sep)
		b.f(ref, KindPostal, Render(r, *p, KindPostal, postalStyle))
		for _, c := range extraColumns[1:] {
			b.w(sep, g.cell(p, c, ""))
		}
		b.w("\n")
	}
	return finish(name+ext, shape, UTF8, b, false, "")
}

// kvLines writes a key–value listing with a field per line (氏名：… then
// 生年月日：…, or Name: … then DOB: …) and a blank line between people: a
// planted record has only its name and its birthdate, on two lines that
// are no table rows, so the window rule holds across them.
func (g *leakGen) kvLines(name, shape string) Doc {
	r := g.r
	planted := g.pick(4+r.IntN(4), UTF8)
	all, isSet := g.spread(g.others(15+r.IntN(15), planted, UTF8), planted)
	en := r.IntN(3) == 0
	colon := []string{"：", ": ", "："}[r.IntN(3)]
	if en {
		colon = ": "
	}
	b := &builder{}
	if en {
		b.w("--- member records (export) ---\n\n")
	} else {
		b.w("【会員情報 抜粋】\n\n")
	}
	nameStyles := []string{"canonical", "nospace", "katakana"}
	if en {
		nameStyles = []string{"romaji", "romaji-upper"}
	}
	for _, p := range all {
		ref := ""
		fs := []field{{KindName, Render(r, *p, KindName, nameStyles...)}, {KindBirthdate, Render(r, *p, KindBirthdate, "kanji", "era", "slash", "canonical")}}
		if isSet[p] {
			ref = p.Ref
		} else if r.IntN(2) == 0 {
			fs = append(fs, field{KindPhone, Render(r, *p, KindPhone)})
		}
		g.labeled(b, ref, fs, en, "\n", colon)
		b.w("\n\n")
	}
	return finish(name, shape, UTF8, b, false, "")
}

// proseHonorific writes news-like sentences about people, each with a
// name followed by an honorific or title (様, さん, 殿, 氏, 容疑者) and a
// postal code: a planted record has only these two. Names are written
// with a space or without one, in which case the word before may stick to
// them (昨日山田太郎様); kana names carry a kana honorific (やまだ たろうさん).
func (g *leakGen) proseHonorific(name, shape string) Doc {
	r := g.r
	planted := g.pick(4+r.IntN(4), UTF8)
	all, isSet := g.spread(g.others(10+r.IntN(10), planted, UTF8), planted)
	b := &builder{}
	b.w(proseJA[r.IntN(len(proseJA))], "\n\n")
	for i, p := range all {
		ref := ""
		if isSet[p] {
			ref = p.Ref
		}
		var before, nm, after string
		switch r.IntN(4) {
		case 0: // 山田太郎様, perhaps stuck to the word before
			fam, giv, _ := strings.Cut(p.Name, " ")
			before = []string{"", "昨日", "本日", "担当"}[r.IntN(4)]
			nm, after = fam+giv, []string{"様", "殿", "氏", "容疑者", "さん"}[r.IntN(5)]
		case 1: // 山田 太郎様, after punctuation or a title word
			before = []string{"", "故", "担当"}[r.IntN(3)]
			nm, after = Render(r, *p, KindName, "canonical", "ideographic"), []string{"様", "殿", "氏", "さん"}[r.IntN(4)]
		case 2: // やまだ たろうさん
			nm, after = Render(r, *p, KindName, "hiragana"), []string{"さん", "さま", "様"}[r.IntN(3)]
		default: // ヤマダ タロウ様
			nm, after = Render(r, *p, KindName, "katakana", "katakana-nospace"), []string{"様", "さん", "サマ"}[r.IntN(3)]
		}
		b.w([]string{"", "なお、", "また、"}[r.IntN(3)], before)
		b.f(ref, KindName, nm)
		b.w(after, []string{"から", "より", "の"}[r.IntN(3)], "郵便番号")
		b.f(ref, KindPostal, Render(r, *p, KindPostal, "mark", "canonical"))
		b.w([]string{"の住所への転居届が出された。", "宛ての書類が返送された。", "の地域で確認された。"}[r.IntN(3)], "\n")
		if i%4 == 3 {
			b.w("\n", proseJA[r.IntN(len(proseJA))], "\n\n")
		}
	}
	return finish(name, shape, UTF8, b, false, "")
}

// column is one column of a tabular dump.
type column struct {
	key, kind, ja, en string
	styles            []string // one is chosen per document
}

var piiColumns = []column{
	{"name", KindName, "氏名", "name", []string{"canonical", "nospace", "ideographic"}},
	{"kana", KindName, "フリガナ", "kana", []string{"katakana", "katakana-nospace", "hiragana"}},
	{"birthdate", KindBirthdate, "生年月日", "birthdate", []string{"canonical", "slash", "dash", "compact", "kanji", "era"}},
	{"phone", KindPhone, "電話番号", "tel", []string{"canonical", "plain", "paren", "intl-dash"}},
	{"email", KindEmail, "メールアドレス", "email", []string{"canonical"}},
	{"postal", KindPostal, "郵便番号", "zip", []string{"canonical", "mark", "plain"}},
	{"address", KindAddress, "住所", "address", []string{"pref-dash", "pref-chome", "pref-banchi", "pref-kanji", "dash"}},
	{"mynumber", KindMyNumber, "個人番号", "my_number", []string{"canonical", "space", "dash"}},
	{"card", KindCard, "カード番号", "card_no", []string{"canonical", "space", "dash"}},
	{"id", KindID, "顧客番号", "customer_id", []string{"canonical"}},
}

var extraColumns = []column{
	{key: "registered", ja: "登録日", en: "registered_at"},
	{key: "plan", ja: "会員区分", en: "plan"},
	{key: "points", ja: "ポイント", en: "points"},
	{key: "status", ja: "状態", en: "status"},
}

// chooseColumns picks a document's columns: a name or contact column, a
// few more fields and a non-personal column or two.
func (g *leakGen) chooseColumns(reorder bool) ([]column, []string) {
	r := g.r
	var cols []column
	want := map[string]bool{}
	switch r.IntN(3) {
	case 0:
		want["name"], want["kana"] = true, r.IntN(2) == 0
	case 1:
		want["name"], want["phone"] = true, true
	default:
		want["email"] = true
	}
	for _, c := range piiColumns {
		if want[c.key] || r.IntN(100) < 45 {
			cols = append(cols, c)
		}
	}
	for len(cols) < 3 {
		c := piiColumns[r.IntN(len(piiColumns))]
		dup := false
		for _, d := range cols {
			dup = dup || d.key == c.key
		}
		if !dup {
			cols = append(cols, c)
		}
	}
	for _, c := range extraColumns {
		if r.IntN(3) == 0 {
			cols = append(cols, c)
		}
	}
	if reorder {
		r.Shuffle(len(cols), func(i, j int) { cols[i], cols[j] = cols[j], cols[i] })
	}
	styles := make([]string, len(cols))
	for i, c := range cols {
		if len(c.styles) > 0 {
			styles[i] = c.styles[r.IntN(len(c.styles))]
		}
	}
	return cols, styles
}

// cell renders p's value of column c in the document's style.
func (g *leakGen) cell(p *Person, c column, style string) string {
	r := g.r
	switch c.key {
	case "registered":
		return time.Date(2012+r.IntN(13), time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60), 0, time.UTC).Format("2006-01-02 15:04:05")
	case "plan":
		return []string{"一般", "ゴールド", "プラチナ", "free", "premium"}[r.IntN(5)]
	case "points":
		return strconv.Itoa(r.IntN(50000))
	case "status":
		return []string{"active", "active", "suspended", "退会"}[r.IntN(4)]
	}
	return Render(r, *p, c.kind, style)
}

// table writes a tabular dump: layout is "csv", "tsv", "jsonl", "html" or
// "sql". JSON Lines write a spaced name in two members (last_name,
// first_name) in two documents of three. An SQL dump is written as mysqldump writes it, the values quoted:
// with header, one INSERT a row, its columns named; without, one INSERT
// of every row on a single line (mysqldump's extended insert).
func (g *leakGen) table(name, shape, enc, layout string, header, reorder bool, rows, plant int) Doc {
	r := g.r
	cols, styles := g.chooseColumns(reorder)
	planted := g.pick(plant, enc)
	others := g.others(rows-len(planted), planted, enc)
	// Spread the planted rows through the others.
	all := make([]*Person, 0, rows)
	isSet := map[*Person]bool{}
	for _, p := range planted {
		isSet[p] = true
	}
	all = append(all, others...)
	for _, p := range planted {
		at := r.IntN(len(all) + 1)
		all = append(all, nil)
		copy(all[at+1:], all[at:])
		all[at] = p
	}
	ja := enc == ShiftJIS || r.IntN(2) == 0
	b := &builder{}
	sep, nl := ",", "\n"
	if layout == "tsv" {
		sep = "\t"
	}
	if enc == ShiftJIS {
		nl = "\r\n"
	}
	// A name in two fields, family and given, as many services store
	// it: two members of a JSON line, two values of an SQL row.
	splitNames := (layout == "jsonl" || layout == "sql") && r.IntN(3) != 0
	// An address in two columns, the city (and its prefecture) and the
	// rest, as Japanese exports often have it (市区町村, 町域・番地).
	splitAddr := (layout == "csv" || layout == "tsv" || layout == "html") && r.IntN(3) == 0
	label := func(c column) string {
		switch {
		case c.key == "address" && splitAddr && ja:
			return "市区町村" + sep + "町域・番地"
		case c.key == "address" && splitAddr:
			return "city" + sep + "street"
		case ja:
			return c.ja
		}
		return c.en
	}
	// cells writes a field's cells, split after one ends if the field is
	// an address and the document splits addresses.
	cells := func(p *Person, ref string, c column, val, between string) {
		if city, rest, ok := splitAddress(p, val); ok && c.key == "address" && splitAddr {
			b.f(refIf(ref, c.kind, city), c.kind, city)
			b.w(between)
			b.f(refIf(ref, c.kind, rest), c.kind, rest)
			return
		}
		b.f(refIf(ref, c.kind, val), c.kind, val)
	}
	if layout == "html" {
		b.w("<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\"><title>会員一覧</title></head>\n<body>\n<h1>会員一覧（抜粋）</h1>\n<table border=\"1\">\n")
	}
	sqlEach := layout == "sql" && header // an INSERT a row
	if layout == "sql" {
		b.w("-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n--\n-- Dumping data for table `customers`\n--\n\nLOCK TABLES `customers` WRITE;\n")
		if !header {
			b.w("INSERT INTO `customers` VALUES ")
		}
		header = false // the column names go in each INSERT
	}
	if header {
		switch layout {
		case "html":
			b.w("<tr>")
			for _, c := range cols {
				b.w("<th>", strings.ReplaceAll(label(c), sep, "</th><th>"), "</th>")
			}
			b.w("</tr>\n")
		default:
			for i, c := range cols {
				if i > 0 {
					b.w(sep)
				}
				b.w(label(c))
			}
			b.w(nl)
		}
	}
	for row, p := range all {
		ref := ""
		if isSet[p] {
			ref = p.Ref
		}
		vals := make([]string, len(cols))
		for i, c := range cols {
			vals[i] = g.cell(p, c, styles[i])
		}
		blankCells(r, cols, vals, ref != "")
		switch layout {
		case "html":
			b.w("<tr>")
			for i, c := range cols {
				b.w("<td>")
				cells(p, ref, c, vals[i], "</td><td>")
				b.w("</td>")
			}
			b.w("</tr>\n")
		case "sql":
			if sqlEach {
				b.w("INSERT INTO `customers` (`id`")
				for _, c := range cols {
					if c.key == "name" && splitNames {
						b.w(",`last_name`,`first_name`")
						continue
					}
					b.w(",`", c.en, "`")
				}
				b.w(") VALUES ")
			} else if row > 0 {
				b.w(",")
			}
			b.w("(", strconv.Itoa(row+1))
			for i, c := range cols {
				b.w(",'")
				if fam, giv, ok := strings.Cut(strings.Replace(vals[i], "　", " ", 1), " "); ok && c.key == "name" && splitNames {
					b.f(refIf(ref, c.kind, fam), c.kind, fam)
					b.w("','")
					b.f(refIf(ref, c.kind, giv), c.kind, giv)
				} else {
					b.f(refIf(ref, c.kind, vals[i]), c.kind, vals[i])
				}
				b.w("'")
			}
			b.w(")")
			if sqlEach {
				b.w(";\n")
			}
		case "jsonl":
			b.w("{")
			for i, c := range cols {
				if i > 0 {
					b.w(",")
				}
				// A name in two members, as many services store it.
				if fam, giv, ok := strings.Cut(strings.Replace(vals[i], "　", " ", 1), " "); ok && c.key == "name" && splitNames {
					b.w(`"last_name":"`)
					b.f(refIf(ref, c.kind, fam), c.kind, fam)
					b.w(`","first_name":"`)
					b.f(refIf(ref, c.kind, giv), c.kind, giv)
					b.w(`"`)
					continue
				}
				b.w(`"`, c.en, `":"`)
				b.f(refIf(ref, c.kind, vals[i]), c.kind, vals[i])
				b.w(`"`)
			}
			b.w("}\n")
		default:
			for i, c := range cols {
				if i > 0 {
					b.w(sep)
				}
				cells(p, ref, c, vals[i], sep)
			}
			b.w(nl)
		}
	}
	if layout == "html" {
		b.w("</table>\n<p>※ 無断転載禁止</p>\n</body></html>\n")
	}
	if layout == "sql" {
		if !sqlEach {
			b.w(";\n")
		}
		b.w("UNLOCK TABLES;\n")
	}
	return finish(name, shape, enc, b, false, "")
}

// splitAddress cuts a rendered address after its city: "東京都千代田区"
// and "丸の内1-2-3".
func splitAddress(p *Person, val string) (city, rest string, ok bool) {
	head := p.City
	if strings.HasPrefix(val, p.Prefecture+p.City) {
		head = p.Prefecture + p.City
	}
	if val == "" || !strings.HasPrefix(val, head) || len(val) == len(head) {
		return "", "", false
	}
	return val[:len(head)], val[len(head):], true
}

// refIf returns ref when the cell holds a personal field, else "".
func refIf(ref, kind, val string) string {
	if kind == "" || val == "" {
		return ""
	}
	return ref
}

// blankCells empties a few personal cells of a row, as dumps often have
// gaps; a planted row keeps at least two kinds, one identifying.
func blankCells(r *rand.Rand, cols []column, vals []string, planted bool) {
	for tries := 0; tries < 2; tries++ {
		i := r.IntN(len(cols))
		if cols[i].kind == "" || r.IntN(100) >= 20 {
			continue
		}
		old := vals[i]
		vals[i] = ""
		if planted {
			kinds := map[string]bool{}
			ident := false
			for j, c := range cols {
				if c.kind != "" && vals[j] != "" {
					kinds[c.kind] = true
					ident = ident || Identifying(c.kind)
				}
			}
			if len(kinds) < 2 || !ident {
				vals[i] = old
			}
		}
	}
}

// field is one rendered field of a text record.
type field struct{ kind, text string }

// styleSets gives, per text shape, the styles each kind is written in; a
// kind missing from a shape's map is never written in that shape.
var styleSets = map[string]map[string][]string{
	"prose-ja": {
		KindName: {"canonical", "nospace", "ideographic"}, KindBirthdate: {"kanji", "era", "slash"},
		KindPhone: {"canonical", "paren", "plain"}, KindEmail: {"canonical", "at-bracket", "star", "atmark", "atmark-bare", "atmark-lenticular"},
		KindPostal: {"mark", "canonical"}, KindAddress: {"pref-dash", "pref-banchi", "pref-chome", "pref-kanji"},
		KindMyNumber: {"canonical", "space", "dash"}, KindCard: {"space", "dash", "canonical"}, KindID: {"canonical"},
	},
	"fullwidth": {
		KindName: {"canonical", "ideographic", "katakana"}, KindBirthdate: {"fullwidth", "era-fullwidth", "era-letter-fullwidth"},
		KindPhone: {"fullwidth"}, KindEmail: {"fullwidth"}, KindPostal: {"fullwidth"},
		KindAddress: {"pref-fullwidth", "fullwidth"}, KindMyNumber: {"fullwidth"}, KindID: {"fullwidth"},
	},
	"romaji-en": {
		KindName: {"romaji", "romaji-upper", "romaji-family-first", "romaji-san"}, KindBirthdate: {"canonical", "slash", "english", "english-abbrev", "english-day-first"},
		KindPhone: {"intl-space", "intl-dash", "intl-noplus", "canonical"}, KindEmail: {"canonical", "at-bracket", "at-paren", "spaced", "words"},
		KindPostal: {"canonical"}, KindMyNumber: {"canonical", "space"}, KindCard: {"space", "dash"}, KindID: {"canonical"},
	},
	"eucjp": {
		KindName: {"canonical", "nospace"}, KindBirthdate: {"kanji", "era", "slash"}, KindPhone: {"canonical", "plain"},
		KindEmail: {"canonical"}, KindPostal: {"mark"}, KindAddress: {"pref-dash", "pref-banchi"}, KindID: {"canonical"},
	},
	"iso2022jp-mail": {
		KindName: {"canonical", "nospace"}, KindBirthdate: {"kanji", "era"}, KindPhone: {"canonical"},
		KindEmail: {"canonical"}, KindPostal: {"mark"}, KindAddress: {"pref-dash", "pref-banchi"}, KindID: {"canonical"},
	},
	"kana-only": {
		KindName: {"katakana", "katakana-nospace", "hiragana"}, KindPhone: {"canonical", "plain"},
	},
	"halfwidth-kana": {
		KindName: {"halfwidth-kana"}, KindPhone: {"plain", "canonical"}, KindBirthdate: {"compact"},
	},
	"era-dates": {
		KindName: {"canonical", "nospace"}, KindBirthdate: {"era", "era-letter", "era-letter-dot", "era-letter-slash", "era-compact", "era-code", "era-fullwidth", "era-letter-fullwidth", "era-both", "kanji-both",
			"kanji-spaced", "era-spaced", "kanji-digits", "era-kanji", "era-abbrev"},
		KindPostal: {"mark"}, KindPhone: {"canonical"},
	},
	// A roster or a letter set vertically (縦書き), typed out: numbers in
	// kanji digits.
	"vertical": {
		KindName: {"canonical", "nospace"}, KindBirthdate: {"era-kanji", "kanji-digits"},
		KindPhone: {"kanji", "kanji-bar", "kanji-paren"}, KindPostal: {"kanji-mark"},
		KindAddress: {"pref-kanji", "kanji", "pref-kanji-dash", "kanji-dash", "kanji-no"},
	},
	"address-noprefecture": {
		KindName: {"canonical", "nospace"}, KindAddress: {"dash", "chome", "banchi", "kanji"},
		KindPostal: {"mark", "canonical"}, KindPhone: {"canonical"},
	},
	"forum-post": {
		KindName: {"canonical", "nospace", "katakana", "romaji"}, KindBirthdate: {"slash", "era-letter"},
		KindPhone: {"canonical", "plain", "intl-dash"}, KindEmail: {"canonical", "at-bracket", "words", "url"},
		KindMyNumber: {"canonical", "dash"}, KindCard: {"canonical", "space"}, KindID: {"canonical"},
		KindAddress: {"pref-dash"},
	},
}

// mustKinds are the kinds a text shape always writes.
var mustKinds = map[string][]string{
	"kana-only":            {KindName, KindPhone},
	"halfwidth-kana":       {KindName, KindPhone},
	"era-dates":            {KindName, KindBirthdate},
	"vertical":             {KindName, KindPhone},
	"address-noprefecture": {KindAddress},
}

// chooseKinds picks the kinds of one text record: the shape's must-have
// kinds, then up to three more, always two or more with one identifying.
func (g *leakGen) chooseKinds(shape string) []string {
	r := g.r
	set := styleSets[shape]
	var avail []string
	for _, k := range AllKinds {
		if _, ok := set[k]; ok {
			avail = append(avail, k)
		}
	}
	for {
		kinds := append([]string(nil), mustKinds[shape]...)
		extra := 1 + r.IntN(3)
		if shape == "kana-only" || shape == "halfwidth-kana" {
			extra = r.IntN(2)
		}
		for _, i := range r.Perm(len(avail)) {
			if extra == 0 {
				break
			}
			k := avail[i]
			if contains(kinds, k) {
				continue
			}
			kinds = append(kinds, k)
			extra--
		}
		ident := false
		for _, k := range kinds {
			ident = ident || Identifying(k)
		}
		if len(kinds) >= 2 && ident {
			return kinds
		}
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// render writes the chosen kinds of p in the shape's styles, in a natural
// order (name first).
func (g *leakGen) render(p *Person, shape string, kinds []string) []field {
	var out []field
	for _, k := range AllKinds {
		if contains(kinds, k) {
			out = append(out, field{k, Render(g.r, *p, k, styleSets[shape][k]...)})
		}
	}
	return out
}

var jaLabels = map[string][]string{
	KindName: {"氏名", "お名前", "名前"}, KindBirthdate: {"生年月日", "誕生日"}, KindPhone: {"電話", "電話番号", "TEL", "連絡先"},
	KindEmail: {"メール", "E-mail", "メールアドレス"}, KindPostal: {"郵便番号", "郵便"}, KindAddress: {"住所", "ご住所"},
	KindMyNumber: {"マイナンバー", "個人番号"}, KindCard: {"カード番号", "クレジットカード"}, KindID: {"会員番号", "顧客番号", "お客様番号"},
}

var enLabels = map[string][]string{
	KindName: {"Name", "Full name"}, KindBirthdate: {"DOB", "Birthday", "Date of birth"}, KindPhone: {"Phone", "Tel", "Mobile"},
	KindEmail: {"Email", "E-mail", "Mail"}, KindPostal: {"Zip", "Postcode"}, KindAddress: {"Address"},
	KindMyNumber: {"MyNumber", "Individual No."}, KindCard: {"Card", "CC"}, KindID: {"Customer ID", "Member#"},
}

// joined writes the values of fields alone, with sep() between them.
func joined(b *builder, ref string, fs []field, sep func() string) {
	for i, f := range fs {
		if i > 0 {
			b.w(sep())
		}
		b.f(ref, f.kind, f.text)
	}
}

// labeled writes fields as "label：value" pairs.
func (g *leakGen) labeled(b *builder, ref string, fs []field, en bool, sep, colon string) {
	for i, f := range fs {
		if i > 0 {
			b.w(sep)
		}
		labels := jaLabels[f.kind]
		if en {
			labels = enLabels[f.kind]
		}
		b.w(labels[g.r.IntN(len(labels))], colon)
		b.f(ref, f.kind, f.text)
	}
}

var jaPhrases = map[string][]string{
	KindBirthdate: {"生年月日は", "誕生日は"}, KindPhone: {"電話番号は", "連絡先は", "携帯は"},
	KindEmail: {"メールアドレスは", "メールは"}, KindPostal: {"郵便番号は"}, KindAddress: {"住所は", "お住まいは"},
	KindMyNumber: {"マイナンバーは", "個人番号は"}, KindCard: {"登録カードは"}, KindID: {"会員番号は"},
}

// sentenceJA writes fields as one Japanese sentence about the person.
func (g *leakGen) sentenceJA(b *builder, ref string, fs []field) {
	r := g.r
	rest := fs
	if fs[0].kind == KindName {
		b.f(ref, KindName, fs[0].text)
		b.w([]string{"さんの", "様の", "氏の"}[r.IntN(3)])
		rest = fs[1:]
	} else {
		b.w([]string{"この方の", "該当者の", "問い合わせ者の"}[r.IntN(3)])
	}
	for i, f := range rest {
		if i > 0 {
			b.w("、")
		}
		ph := jaPhrases[f.kind]
		b.w(ph[r.IntN(len(ph))])
		b.f(ref, f.kind, f.text)
	}
	b.w([]string{"です。", "となっています。", "でした。"}[r.IntN(3)])
}

// record writes one text record of p (a set record when ref is set) in
// the shape's layout.
func (g *leakGen) record(b *builder, p *Person, ref, shape string) {
	r := g.r
	fs := g.render(p, shape, g.chooseKinds(shape))
	switch shape {
	case "prose-ja", "eucjp", "iso2022jp-mail":
		if r.IntN(2) == 0 {
			g.labeled(b, ref, fs, false, []string{"　", " ", "\n"}[r.IntN(3)], []string{"：", ":", " "}[r.IntN(3)])
			b.w("\n")
		} else {
			g.sentenceJA(b, ref, fs)
			b.w("\n")
		}
	case "fullwidth":
		g.labeled(b, ref, fs, false, "　", "：")
		b.w("\n")
	case "vertical":
		if r.IntN(2) == 0 {
			g.labeled(b, ref, fs, false, "　", []string{"　", "："}[r.IntN(2)])
		} else {
			joined(b, ref, fs, func() string { return "　" })
		}
		b.w("\n")
	case "romaji-en":
		g.labeled(b, ref, fs, true, ", ", ": ")
		b.w("\n")
	case "kana-only", "era-dates", "address-noprefecture":
		joined(b, ref, fs, func() string { return []string{" ", "　", "\t", " / "}[r.IntN(4)] })
		b.w("\n")
	case "halfwidth-kana":
		// A fixed-width record of a legacy system.
		for _, f := range fs {
			t := f.text
			b.f(ref, f.kind, t)
			if n := 16 - runeLen(t); n > 0 {
				b.w(strings.Repeat(" ", n))
			} else {
				b.w(" ")
			}
		}
		b.w("\n")
	case "forum-post":
		if r.IntN(2) == 0 {
			g.labeled(b, ref, fs, r.IntN(2) == 0, " / ", ": ")
		} else {
			joined(b, ref, fs, func() string { return " " })
		}
		b.w("\n")
	default:
		panic("corpus: no record layout for " + shape)
	}
}

var forumChatter = []string{
	"これ本物？誰か確認できる人いる？",
	"前に出回ってたやつと同じ形式っぽい。",
	"拡散希望とか言ってるけど通報した方がいいと思う。",
	"サンプルだけ貼っとく。全部で数万件あるらしい。",
	"anyone know where this came from? looks like a shop's member db",
	"mirror is down again, reupload pls",
	"ソースはいつものところ。詳細は控える。",
	"fake lol half of these numbers are dead",
	"パスワードも平文で入ってるって話だけどほんとかな",
	"I checked a few rows and the formats look legit.",
	"運営さんここ消した方がいいんじゃない？",
	"more in the full file, dm for link",
}

// text writes a document of one of the text shapes.
func (g *leakGen) text(name, shape string, idx int) Doc {
	r := g.r
	enc, ext := UTF8, ".txt"
	switch shape {
	case "eucjp":
		enc = EUCJP
	case "iso2022jp-mail":
		enc, ext = ISO2022, ".eml"
	}
	planted := g.pick(3+r.IntN(4), enc)
	others := g.others(8+r.IntN(20), planted, enc)
	var people []*Person
	isSet := map[*Person]bool{}
	for _, p := range planted {
		isSet[p] = true
	}
	people = append(people, others...)
	for _, p := range planted {
		at := r.IntN(len(people) + 1)
		people = append(people, nil)
		copy(people[at+1:], people[at:])
		people[at] = p
	}
	b := &builder{}
	switch shape {
	case "iso2022jp-mail":
		day := time.Date(2024, time.Month(1+r.IntN(12)), 1+r.IntN(28), 9+r.IntN(9), r.IntN(60), 0, 0, time.FixedZone("JST", 9*3600))
		b.w("From: support-desk@example.co.jp\nTo: staff-list@example.co.jp\n",
			"Subject: ", mimeSubject("要折り返し お問い合わせ共有"), " #", strconv.Itoa(1000+r.IntN(9000)), "\n",
			"Date: ", day.Format(time.RFC1123Z), "\n",
			"MIME-Version: 1.0\nContent-Type: text/plain; charset=ISO-2022-JP\nContent-Transfer-Encoding: 7bit\n\n",
			"各位\n\nお疲れさまです。本日受け付けたお問い合わせのうち、折り返しが必要なお客様の情報を共有します。\n\n")
	case "eucjp":
		b.w("# 会員名簿 (旧システムより出力)\n# 出力日: ", strconv.Itoa(2003+r.IntN(10)), "/", strconv.Itoa(1+r.IntN(12)), "/", strconv.Itoa(1+r.IntN(28)), "\n\n")
	case "forum-post":
		b.w("[", strconv.Itoa(100+r.IntN(900)), "] 名無しさん ", time.Date(2024, time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60), 0, time.UTC).Format("2006/01/02 15:04:05"), "\n")
		b.w(forumChatter[r.IntN(len(forumChatter))], "\n\n")
	case "romaji-en":
		b.w("=== customer export (partial) ===\n\n")
	case "prose-ja":
		b.w(proseJA[r.IntN(len(proseJA))], "\n\n以下、流出したとされるデータの一部。\n\n")
	case "halfwidth-kana":
		b.w("ｶｲｲﾝﾒｲﾎﾞ  ﾚｺｰﾄﾞ ﾁｮｳ 128\n")
	case "vertical":
		b.w("令和", KanjiNumber(1+r.IntN(7)), "年度　緊急連絡網\n（縦書きの原本から書き起こし）\n\n")
	}
	for i, p := range people {
		ref := ""
		if isSet[p] {
			ref = p.Ref
		}
		if shape == "vertical" {
			b.w(KanjiNumber(i+1), "、")
		}
		g.record(b, p, ref, shape)
		switch {
		case shape == "forum-post" && r.IntN(3) == 0:
			b.w("\n", forumChatter[r.IntN(len(forumChatter))], "\n\n")
		case shape == "prose-ja" && i%6 == 5:
			b.w("\n", proseJA[r.IntN(len(proseJA))], "\n\n")
		case shape == "romaji-en" && i%8 == 7:
			b.w("\n", proseEN[r.IntN(len(proseEN))], "\n\n")
		}
	}
	switch shape {
	case "iso2022jp-mail":
		b.w("\n以上、よろしくお願いいたします。\n--\nサポートデスク\n")
	case "forum-post":
		b.w("\n", forumChatter[r.IntN(len(forumChatter))], "\n")
	}
	return finish(name+ext, shape, enc, b, false, "")
}

// combo writes a combo list: e-mail:password lines, the set records' with
// one more field (phone or name) on the line.
func (g *leakGen) combo(name, shape string) Doc {
	r := g.r
	planted := g.pick(5+r.IntN(6), UTF8)
	others := g.others(150+r.IntN(150), planted, UTF8)
	isSet := map[*Person]bool{}
	all := append([]*Person(nil), others...)
	for _, p := range planted {
		isSet[p] = true
		at := r.IntN(len(all) + 1)
		all = append(all, nil)
		copy(all[at+1:], all[at:])
		all[at] = p
	}
	b := &builder{}
	b.w("# combo ", strconv.Itoa(len(all)), " lines - fresh\n")
	for _, p := range all {
		ref := ""
		if isSet[p] {
			ref = p.Ref
		}
		b.f(ref, KindEmail, Render(r, *p, KindEmail, "canonical"))
		b.w(":", password(r))
		if ref != "" || r.IntN(2) == 0 {
			b.w(":")
			if r.IntN(3) == 0 {
				b.f(ref, KindName, Render(r, *p, KindName, "romaji", "nospace"))
			} else {
				b.f(ref, KindPhone, Render(r, *p, KindPhone, "plain", "canonical"))
			}
		}
		b.w("\n")
	}
	return finish(name, shape, UTF8, b, false, "")
}

// mimeSubject encodes a header text as an RFC 2047 ISO-2022-JP word.
func mimeSubject(s string) string {
	b, err := Encode(ISO2022, s)
	if err != nil {
		panic(err)
	}
	return "=?ISO-2022-JP?B?" + base64.StdEncoding.EncodeToString(b) + "?="
}

// password draws a password-like string with no long digit runs.
func password(r *rand.Rand) string {
	words := []string{"sakura", "dragon", "Passw0rd", "tokyo", "qwerty", "hello", "monkey", "neko", "Summer", "letmein", "abc"}
	s := words[r.IntN(len(words))]
	switch r.IntN(4) {
	case 0:
		s += strconv.Itoa(r.IntN(100))
	case 1:
		s += "!" + words[r.IntN(len(words))]
	case 2:
		s = strings.ToUpper(s[:1]) + s[1:] + "#" + strconv.Itoa(r.IntN(10))
	}
	return s
}

// accessLog writes a web server's access log (Apache's combined format)
// of form submissions among requests for pages and assets: each person's
// name (kanji or its katakana reading) percent-encoded in the query string,
// in UTF-8 or, as older Japanese sites send it, in Shift_JIS with letters
// left as they are or in EUC-JP, its space a + or %20 or none; with a phone, and a
// postal code or e-mail address now and then. A planted record has its
// name and phone, and sometimes a third field.
func (g *leakGen) accessLog(name, shape string) Doc {
	r := g.r
	planted := g.pick(4+r.IntN(4), ShiftJIS)
	all, isSet := g.spread(g.others(20+r.IntN(20), planted, ShiftJIS), planted)
	enc := []string{UTF8, ShiftJIS, EUCJP}[r.IntN(3)]
	path := map[string]string{UTF8: "/member/entry.php", ShiftJIS: "/cgi-bin/entry.cgi", EUCJP: "/cgi-bin/form.cgi"}[enc]
	b := &builder{}
	when := time.Date(2026, 11, 3, 9, 0, 0, 0, time.FixedZone("JST", 9*3600))
	line := func(ip, req string, status, size int) {
		when = when.Add(time.Duration(1+r.IntN(90)) * time.Second)
		b.w(ip, " - - [", when.Format("02/Jan/2006:15:04:05 -0700"), "] \"", req, "\" ", strconv.Itoa(status), " ", strconv.Itoa(size),
			" \"https://example.jp/member/\" \"Mozilla/5.0 (Windows NT 10.0; Win64; x64)\"\n")
	}
	ip := func() string { return "203.0.113." + strconv.Itoa(1+r.IntN(250)) }
	for _, p := range all {
		for n := r.IntN(3); n > 0; n-- {
			line(ip(), "GET /static/"+[]string{"site.css", "logo.png", "form.js"}[r.IntN(3)]+" HTTP/1.1", 200, 1000+r.IntN(50000))
		}
		ref := ""
		if isSet[p] {
			ref = p.Ref
		}
		style := []string{"canonical", "nospace", "katakana"}[r.IntN(3)]
		b.w(ip(), " - - [", when.Format("02/Jan/2006:15:04:05 -0700"), "] \"GET ", path, "?mode=confirm&name=")
		b.f(ref, KindName, formEncode(Render(r, *p, KindName, style), enc, []string{"+", "%20"}[r.IntN(2)]))
		b.w("&tel=")
		b.f(ref, KindPhone, Render(r, *p, KindPhone, "canonical", "plain"))
		switch r.IntN(3) {
		case 0:
			b.w("&zip=")
			b.f(ref, KindPostal, Render(r, *p, KindPostal, "canonical", "plain"))
		case 1:
			b.w("&mail=")
			b.f(ref, KindEmail, Render(r, *p, KindEmail, "url"))
		}
		b.w(" HTTP/1.1\" 200 ", strconv.Itoa(2000+r.IntN(3000)), " \"https://example.jp", path, "\" \"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)\"\n")
		when = when.Add(time.Duration(1+r.IntN(600)) * time.Second)
	}
	return finish(name, shape, UTF8, b, false, "")
}

// formEncode writes s as a web form sends it in a query string, in the
// encoding enc (UTF8, ShiftJIS or EUCJP), with the bytes that are letters
// left as they are, as PHP's urlencode and Java's URLEncoder do; a space
// as space. A name that EUC-JP writes with JIS X 0212 or half-width kana
// (three bytes, or two from 8E), which the matcher does not read
// percent-encoded, is sent in UTF-8.
func formEncode(s, enc, space string) string {
	raw, err := Encode(enc, s)
	if err != nil {
		panic("corpus: " + s + " has no " + enc + " form")
	}
	if enc == EUCJP && (bytes.IndexByte(raw, 0x8E) >= 0 || bytes.IndexByte(raw, 0x8F) >= 0) {
		raw = []byte(s)
	}
	var out strings.Builder
	for _, c := range raw {
		switch {
		case c == ' ':
			out.WriteString(space)
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.':
			out.WriteByte(c)
		default:
			out.WriteString("%" + strings.ToUpper(strconv.FormatUint(uint64(c)|0x100, 16)[1:]))
		}
	}
	return out.String()
}
