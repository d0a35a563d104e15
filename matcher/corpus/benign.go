package corpus

import (
	_ "embed"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

//go:embed prose_ja.txt
var proseJAText string

//go:embed prose_en.txt
var proseENText string

// proseJA and proseEN are the paragraphs of original prose (news-like,
// blog-like and technical) used as filler and as benign documents. They
// name no person and hold no phone number, e-mail address or postal code.
var proseJA, proseEN = paragraphs(proseJAText), paragraphs(proseENText)

func paragraphs(s string) []string {
	var out []string
	for _, p := range strings.Split(s, "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Traps describes, per benign shape, the trap its documents set.
var Traps = map[string]string{
	"prose-ja":    "Japanese prose (news, blog, technical) with dates, amounts and place names but no personal record",
	"prose-en":    "English prose (news, blog, technical) with dates and numbers but no personal record",
	"server-log":  "server logs: timestamps, IP addresses, request ids, user ids, sizes and latencies",
	"others-csv":  "a full dump of people outside the set (UTF-8 or Shift_JIS)",
	"weak-pair":   "a set record's birthdate and postal code side by side, with no identifying field of it",
	"single":      "one identifying, not strong, field of a set record (phone, customer number, address or name) alone in a sentence",
	"crossed":     "the name of one set record next to the phone of another, each pair far from any other field of either",
	"namesake":    "a stranger bearing a set record's name, with the stranger's own phone, e-mail, birthdate and address",
	"mixed-sjis":  "prose and logs around a Shift_JIS dump of people outside the set",
	"weak-dense":  "many set records' birthdates and postal codes in one table, without identifying fields",
	"name-inside": "a dump of strangers whose names extend set names (鈴木 明美 holds 鈴木 明, オオクボ ユウコ holds クボ ユウコ), each with that set record's postal code on the same row",
	"cross-row":   "a dump of strangers (CSV or HTML table) where a set record's namesake and another stranger bearing its postal code or birthdate are on rows a few lines apart",
}

// StrongKinds are the kinds the reference schema (corpusSchema in the
// matcher's tests, and the README's example) marks :strong. A lone field of
// one of them reports its record by the schema's own rule, so the traps
// never use them alone.
var StrongKinds = []string{KindEmail, KindMyNumber, KindCard}

// BenignShapes lists the shapes Benign writes, in order.
var BenignShapes = []string{"prose-ja", "prose-en", "server-log", "others-csv", "weak-pair", "single", "crossed", "namesake", "weak-dense", "name-inside", "cross-row"}

// RowTraps are the benign shapes whose traps put a set record's name and
// its weak fields in one document, but not as one record's: inside a
// longer name (name-inside), or on other rows of a table (cross-row).
var RowTraps = []string{"name-inside", "cross-row"}

// benignGen holds the state of one Benign call.
type benignGen struct {
	r    *rand.Rand
	set  []Person
	pool []Person
	used map[*Person]bool // set records already written in the current document
	lg   *leakGen
}

// Benign returns documents that must produce no report against set: prose
// in both languages, logs, dumps of others, and traps built from set
// records that fall short of a match (see Traps). Every document's Trap
// names its trap; Planted is empty. others is filtered as in Leaks.
func Benign(seed uint64, set []Person, others []Person) []BenignDoc {
	r := rand.New(rand.NewPCG(seed, 0x62656e69676e))
	g := &benignGen{r: r, set: set, pool: filterOthers(set, others)}
	if len(g.pool) == 0 {
		g.pool = filterOthers(set, People(seed^0xfedcba, 2000))
	}
	if len(g.pool) == 0 {
		// With a set of about a million, every generated stranger bears
		// a set name or value: there is no one left to be benign with.
		panic(fmt.Sprintf("corpus.Benign: no stranger shares nothing with the %d-record set; use a smaller set", len(set)))
	}
	g.lg = &leakGen{r: r, set: set, pool: g.pool, idx: newNameIndex(set)}
	var docs []BenignDoc
	for _, shape := range BenignShapes {
		switch shape {
		case "prose-ja", "prose-en":
			paras := proseJA
			if shape == "prose-en" {
				paras = proseEN
			}
			order := r.Perm(len(paras))
			for i := 0; i < 3; i++ {
				b := &builder{}
				for j := i; j < len(order); j += 3 {
					b.w(paras[order[j]], "\n\n")
				}
				docs = append(docs, finish("benign-"+shape+"-"+strconv.Itoa(i+1)+".txt", shape, UTF8, b, true, Traps[shape]))
			}
		case "server-log":
			for i := 1; i <= 2; i++ {
				b := &builder{}
				b.w(logLines(r, 600+r.IntN(400)))
				docs = append(docs, finish("benign-server-log-"+strconv.Itoa(i)+".log", shape, UTF8, b, true, Traps[shape]))
			}
		case "others-csv":
			for i, enc := range []string{UTF8, ShiftJIS} {
				b := &builder{}
				nl := "\n"
				if enc == ShiftJIS {
					nl = "\r\n"
				}
				b.w(strings.Join(CSVHeader, ","), nl)
				for _, p := range g.lg.others(800, nil, enc) {
					b.w(strings.Join(p.Row(), ","), nl)
				}
				docs = append(docs, finish("benign-others-csv-"+strconv.Itoa(i+1)+".csv", shape, enc, b, true, Traps[shape]))
			}
		case "weak-dense":
			docs = append(docs, g.weakDense())
		case "name-inside":
			docs = append(docs, g.nameInside())
		case "cross-row":
			docs = append(docs, g.crossRow("csv"), g.crossRow("html"))
		default:
			for i := 1; i <= 2; i++ {
				docs = append(docs, g.traps(shape, i))
			}
		}
	}
	return docs
}

// person picks a set record not yet used in the current document whose
// name cannot be read inside any used one's.
func (g *benignGen) person() *Person {
	for tries := 0; ; tries++ {
		p := &g.set[g.r.IntN(len(g.set))]
		if g.used[p] && tries < 1000 {
			continue
		}
		ok := true
		for q := range g.used {
			if nameConflict(p, q) {
				ok = false
				break
			}
		}
		if ok || tries >= 1000 {
			g.used[p] = true
			return p
		}
	}
}

// filler writes prose until at least CrossGap characters follow the
// previous trap.
func (g *benignGen) filler(b *builder, en bool) {
	start := b.runes()
	for b.runes()-start < CrossGap {
		if en {
			b.w("\n", proseEN[g.r.IntN(len(proseEN))], "\n")
		} else {
			b.w("\n", proseJA[g.r.IntN(len(proseJA))], "\n")
		}
	}
	b.w("\n")
}

// traps writes a document of 6 to 9 traps of one kind, each from set
// records used nowhere else in it and separated by prose.
func (g *benignGen) traps(shape string, idx int) BenignDoc {
	r := g.r
	g.used = map[*Person]bool{}
	b := &builder{}
	en := idx == 2
	n := 6 + r.IntN(4)
	for i := 0; i < n; i++ {
		g.filler(b, en)
		b.entry = i
		switch shape {
		case "weak-pair":
			p := g.person()
			bd := Render(r, *p, KindBirthdate)
			pc := Render(r, *p, KindPostal)
			switch r.IntN(3) {
			case 0:
				b.w("抽選の結果、")
				b.f(p.Ref, KindBirthdate, bd)
				b.w("生まれで郵便番号")
				b.f(p.Ref, KindPostal, pc)
				b.w("の地域にお住まいの方が当選しました。\n")
			case 1:
				b.w("Survey respondent (born ")
				b.f(p.Ref, KindBirthdate, bd)
				b.w(", zip ")
				b.f(p.Ref, KindPostal, pc)
				b.w(") rated the service 4 out of 5.\n")
			default:
				b.w("生年月日,郵便番号\n")
				b.f(p.Ref, KindBirthdate, bd)
				b.w(",")
				b.f(p.Ref, KindPostal, pc)
				b.w("\n")
			}
		case "single":
			p := g.person()
			// Strong kinds identify a record alone, by the schema's own
			// rule, so a lone one is a true finding, not a trap.
			kind := []string{KindPhone, KindID, KindAddress, KindName}[r.IntN(4)]
			v := Render(r, *p, kind)
			before, after := singleSentence(r, kind, en)
			b.w(before)
			b.f(p.Ref, kind, v)
			b.w(after, "\n")
		case "crossed":
			a, c := g.person(), g.person()
			kind := KindPhone // not e-mail: it is strong, so it reports alone
			if en {
				b.w("Re: the complaint from ")
				b.f(a.Ref, KindName, Render(r, *a, KindName, "romaji", "romaji-upper", "romaji-family-first"))
				if kind == KindPhone {
					b.w(" - please call back on ")
					b.f(c.Ref, kind, Render(r, *c, kind))
					b.w(" (the number on file).\n")
				} else {
					b.w(" - please reply to ")
					b.f(c.Ref, kind, Render(r, *c, kind))
					b.w(" (the address on file).\n")
				}
			} else {
				b.f(a.Ref, KindName, Render(r, *a, KindName, "canonical", "nospace", "katakana"))
				b.w([]string{"さんの件は、", "様のご依頼は、"}[r.IntN(2)])
				b.f(c.Ref, kind, Render(r, *c, kind))
				b.w("まで折り返してください。\n")
			}
		case "namesake":
			// The stranger shares no postal code or birthdate with a, nor
			// with any set record whose name a's name also writes.
			a := g.person()
			w := g.lg.idx.weakOf([]*Person{a})
			var o *Person
			for tries := 0; o == nil || tries < 50 && w.has(o); tries++ {
				o = &g.pool[r.IntN(len(g.pool))]
			}
			if w.has(o) {
				continue
			}
			n := *o
			n.Name, n.Kana, n.Romaji = a.Name, a.Kana, a.Romaji
			style := []string{"canonical", "nospace", "katakana"}
			if en {
				style = []string{"romaji", "romaji-upper"}
			}
			if en {
				b.w("Name: ")
			} else {
				b.w("氏名：")
			}
			b.f(a.Ref, KindName, Render(r, n, KindName, style...))
			fs := []field{{KindPhone, Render(r, n, KindPhone)}, {KindEmail, Render(r, n, KindEmail, "canonical")},
				{KindBirthdate, Render(r, n, KindBirthdate)}, {KindAddress, Render(r, n, KindAddress, "pref-dash", "pref-banchi")}}
			b.w(" ")
			g.lg.labeled(b, "", fs, en, " ", ": ")
			b.w("\n")
		}
	}
	g.filler(b, en)
	return finish("benign-"+shape+"-"+strconv.Itoa(idx)+".txt", shape, UTF8, b, true, Traps[shape])
}

// singleSentence returns text to put before and after a lone field.
func singleSentence(r *rand.Rand, kind string, en bool) (string, string) {
	if en {
		switch kind {
		case KindPhone:
			return "For questions about the event, call ", " on weekdays."
		case KindEmail:
			return "Send your feedback to ", " by the end of the month."
		case KindCard:
			return "A payment with card ", " was declined by the issuer."
		case KindMyNumber:
			return "Reference number ", " was recorded in the application."
		case KindID:
			return "Account ", " has been migrated to the new plan."
		case KindAddress:
			return "The parcel was returned from ", " as undeliverable."
		}
		return "The award went to ", " this year."
	}
	switch kind {
	case KindPhone:
		return []string{"イベントに関するお問い合わせは", "折り返しは"}[r.IntN(2)], "までお願いします。"
	case KindEmail:
		return "ご意見は", "までお寄せください。"
	case KindCard:
		return "カード番号", "の決済が承認されませんでした。"
	case KindMyNumber:
		return "受付番号", "で申請を受理しました。"
	case KindID:
		return "会員番号", "のポイントが失効しました。"
	case KindAddress:
		return "荷物は", "から返送されました。"
	}
	return "今年の表彰は", "さんに決まりました。"
}

// weakDense writes a table of birthdates and postal codes of many set
// records (each row one record), with no identifying column.
func (g *benignGen) weakDense() BenignDoc {
	r := g.r
	g.used = map[*Person]bool{}
	b := &builder{}
	b.w("No,生年月日,郵便番号,回答1,回答2,回答3\n")
	for i := 0; i < 300; i++ {
		p := g.person()
		b.entry = i
		b.w(strconv.Itoa(i+1), ",")
		b.f(p.Ref, KindBirthdate, Render(r, *p, KindBirthdate, "canonical", "slash", "kanji", "era"))
		b.w(",")
		b.f(p.Ref, KindPostal, Render(r, *p, KindPostal, "canonical", "plain"))
		b.w(",", strconv.Itoa(1+r.IntN(5)), ",", strconv.Itoa(1+r.IntN(5)), ",", []string{"はい", "いいえ", "どちらでもない"}[r.IntN(3)], "\n")
	}
	return finish("benign-weak-dense-1.csv", "weak-dense", UTF8, b, true, Traps["weak-dense"])
}

// stranger returns a person of the pool who shares no postal code or
// birthdate with p or with a set record whose name p's name writes, or nil.
func (g *benignGen) stranger(p *Person) *Person {
	w := g.lg.idx.weakOf([]*Person{p})
	for tries := 0; tries < 100; tries++ {
		if o := &g.pool[g.r.IntN(len(g.pool))]; !w.has(o) {
			return o
		}
	}
	return nil
}

// nameExtensions lengthen a name at one end, in kanji and in kana alike:
// a family name behind a prefix (久保 → 大久保), a given name before a
// suffix (明 → 明美).
var nameExtensions = []struct {
	family      bool
	kanji, kana string
}{
	{true, "大", "オオ"}, {true, "小", "コ"}, {true, "長", "ナガ"},
	{false, "美", "ミ"}, {false, "子", "コ"}, {false, "香", "カ"},
}

// extended returns a stranger whose name and reading extend p's (see
// nameExtensions) and hold no other set name, with p's postal code; or nil.
func (g *benignGen) extended(p *Person) *Person {
	fam, giv, _ := strings.Cut(p.Name, " ")
	kf, kg, _ := strings.Cut(p.Kana, " ")
	for tries := 0; tries < 20; tries++ {
		o := g.stranger(p)
		if o == nil {
			return nil
		}
		n := *o
		e := nameExtensions[g.r.IntN(len(nameExtensions))]
		if e.family {
			n.Name, n.Kana = e.kanji+fam+" "+giv, e.kana+kf+" "+kg
		} else {
			n.Name, n.Kana = fam+" "+giv+e.kanji, kf+" "+kg+e.kana
		}
		n.Postal = p.Postal
		if sh := g.lg.idx.shadows(&n); len(sh) == 1 && sh[0] == p {
			return &n
		}
	}
	return nil
}

// dumpRow writes a person's row (Person.Row), comma-separated or as an
// HTML table row, with the cells of the given kinds marked as ref's.
func dumpRow(b *builder, p *Person, html bool, ref string, marked map[string]bool) {
	kinds := []string{"", KindName, KindName, KindBirthdate, KindPhone, KindEmail, KindPostal, KindAddress, KindMyNumber, KindCard, KindID}
	if html {
		b.w("<tr>")
	}
	for i, v := range p.Row() {
		switch {
		case html:
			b.w("<td>")
		case i > 0:
			b.w(",")
		}
		if marked[kinds[i]] {
			b.f(ref, kinds[i], v)
		} else {
			b.w(v)
		}
		if html {
			b.w("</td>")
		}
	}
	if html {
		b.w("</tr>")
	}
	b.w("\n")
}

// trapRows is a trap's rows of a dump: who each row shows, and which of
// its cells are the set record ref's fields.
type trapRows struct {
	ref    string
	people []*Person
	marked []map[string]bool
}

// dumpWithTraps writes a dump of strangers (avoiding the traps' records'
// weak values) with the traps' rows put at random places in it, each
// trap's rows kept together.
func (g *benignGen) dumpWithTraps(b *builder, traps []trapRows, avoid []*Person, rows int, html bool) {
	strangers := g.lg.others(rows, avoid, UTF8)
	at := map[int][]int{} // stranger index → traps written before it
	for i := range traps {
		k := g.r.IntN(len(strangers) + 1)
		at[k] = append(at[k], i)
	}
	if html {
		b.w("<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\"><title>顧客一覧</title></head>\n<body>\n<table>\n<tr>")
		for _, h := range CSVHeader {
			b.w("<th>", h, "</th>")
		}
		b.w("</tr>\n")
	} else {
		b.w(strings.Join(CSVHeader, ","), "\n")
	}
	for k := 0; k <= len(strangers); k++ {
		for _, i := range at[k] {
			t := traps[i]
			b.entry = i
			for j, p := range t.people {
				dumpRow(b, p, html, t.ref, t.marked[j])
			}
		}
		if k < len(strangers) {
			dumpRow(b, strangers[k], html, "", nil)
		}
	}
	if html {
		b.w("</table>\n</body></html>\n")
	}
}

// nameInside writes a dump of strangers where some rows hold a name that
// extends a set record's (鈴木 明美 for 鈴木 明, オオクボ ユウコ for クボ
// ユウコ, in the name and the reading columns) and that set record's
// postal code. The set name is read there only cut out of a longer one.
func (g *benignGen) nameInside() BenignDoc {
	g.used = map[*Person]bool{}
	b := &builder{}
	var traps []trapRows
	var xs []*Person
	for len(traps) < 10 {
		x := g.person()
		n := g.extended(x)
		if n == nil {
			continue
		}
		xs = append(xs, x)
		traps = append(traps, trapRows{ref: x.Ref, people: []*Person{n}, marked: []map[string]bool{{KindPostal: true}}})
	}
	g.dumpWithTraps(b, traps, xs, 200, false)
	return finish("benign-name-inside-1.csv", "name-inside", UTF8, b, true, Traps["name-inside"])
}

// crossRow writes a dump of strangers where a set record's namesake (its
// name and reading, with the namesake's own other fields) and another
// stranger who has the set record's postal code or birthdate are one to
// two rows apart: well within the window, never on one row. layout is
// "csv" or "html".
func (g *benignGen) crossRow(layout string) BenignDoc {
	r := g.r
	g.used = map[*Person]bool{}
	b := &builder{}
	var traps []trapRows
	var xs []*Person
	for len(traps) < 10 {
		x := g.person()
		o, c := g.stranger(x), g.stranger(x)
		if o == nil || c == nil {
			continue
		}
		namesake, carrier := *o, *c
		namesake.Name, namesake.Kana = x.Name, x.Kana
		weak := []string{KindPostal, KindBirthdate}[r.IntN(2)]
		if weak == KindPostal {
			carrier.Postal = x.Postal
		} else {
			carrier.Birthdate = x.Birthdate
		}
		t := trapRows{ref: x.Ref}
		add := func(p *Person, m map[string]bool) {
			t.people = append(t.people, p)
			t.marked = append(t.marked, m)
		}
		// The carrier, a stranger or none, then the namesake; or the other
		// way round.
		gap := r.IntN(2)
		first, second := &carrier, &namesake
		fm, sm := map[string]bool{weak: true}, map[string]bool{KindName: true}
		if r.IntN(2) == 0 {
			first, second, fm, sm = second, first, sm, fm
		}
		add(first, fm)
		for range gap {
			add(g.lg.others(1, []*Person{x}, UTF8)[0], nil)
		}
		add(second, sm)
		xs = append(xs, x)
		traps = append(traps, t)
	}
	ext := ".csv"
	if layout == "html" {
		ext = ".html"
	}
	g.dumpWithTraps(b, traps, xs, 200, layout == "html")
	return finish("benign-cross-row-"+layout+ext, "cross-row", UTF8, b, true, Traps["cross-row"])
}

var logPaths = []string{"/", "/index.html", "/api/v1/items", "/api/v1/orders", "/api/v1/cart", "/login", "/static/app.js", "/static/style.css", "/healthz", "/search", "/images/banner.png", "/api/v2/recommendations"}
var userAgents = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
	"curl/8.5.0", "Go-http-client/1.1", "kube-probe/1.29",
}

// logLines writes n server log lines in three common formats.
func logLines(r *rand.Rand, n int) string {
	var sb strings.Builder
	t := time.Date(2024, time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		t = t.Add(time.Duration(r.IntN(4000)) * time.Millisecond)
		ip := strconv.Itoa(1+r.IntN(223)) + "." + strconv.Itoa(r.IntN(256)) + "." + strconv.Itoa(r.IntN(256)) + "." + strconv.Itoa(1+r.IntN(254))
		path := logPaths[r.IntN(len(logPaths))]
		if r.IntN(3) == 0 {
			path += "?page=" + strconv.Itoa(1+r.IntN(40)) + "&limit=" + strconv.Itoa(10*(1+r.IntN(10)))
		}
		status := []int{200, 200, 200, 200, 201, 204, 301, 304, 400, 404, 500, 503}[r.IntN(12)]
		reqID := strconv.FormatUint(r.Uint64(), 16)
		switch r.IntN(3) {
		case 0:
			sb.WriteString(ip + " - - [" + t.Format("02/Jan/2006:15:04:05 -0700") + "] \"GET " + path + " HTTP/1.1\" " +
				strconv.Itoa(status) + " " + strconv.Itoa(r.IntN(90000)) + " \"-\" \"" + userAgents[r.IntN(len(userAgents))] + "\"\n")
		case 1:
			sb.WriteString(`{"ts":"` + t.Format("2006-01-02T15:04:05.000Z07:00") + `","level":"info","msg":"request","method":"POST","path":"` + path +
				`","status":` + strconv.Itoa(status) + `,"duration_ms":` + strconv.Itoa(r.IntN(2500)) + `,"request_id":"` + reqID +
				`","user_id":` + strconv.Itoa(r.IntN(900000)) + `,"remote":"` + ip + `"}` + "\n")
		default:
			lvl := []string{"INFO", "INFO", "WARN", "ERROR", "DEBUG"}[r.IntN(5)]
			sb.WriteString(t.Format("2006-01-02 15:04:05.000") + " " + lvl + " [worker-" + strconv.Itoa(r.IntN(16)) + "] req=" + reqID[:8] +
				" job " + strconv.Itoa(r.IntN(100000)) + " processed " + strconv.Itoa(r.IntN(5000)) + " rows in " + strconv.Itoa(r.IntN(9000)) + "ms (queue depth " + strconv.Itoa(r.IntN(300)) + ")\n")
		}
	}
	return sb.String()
}
