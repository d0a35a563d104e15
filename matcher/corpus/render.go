package corpus

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

// The field kinds, named as in the loader schema and in Planted.Kinds.
const (
	KindName      = "name"
	KindPhone     = "phone"
	KindEmail     = "email"
	KindBirthdate = "birthdate"
	KindPostal    = "postal"
	KindAddress   = "address"
	KindMyNumber  = "mynumber"
	KindCard      = "card"
	KindID        = "id"
)

// AllKinds lists every field kind a Person has.
var AllKinds = []string{KindName, KindPhone, KindEmail, KindBirthdate, KindPostal, KindAddress, KindMyNumber, KindCard, KindID}

// Identifying reports whether a field of this kind identifies a person
// together with one other field; birthdates and postal codes only
// corroborate.
func Identifying(kind string) bool { return kind != KindBirthdate && kind != KindPostal }

// Form is one way of writing a field: Style names the way ("dash",
// "era", "hiragana", ...), Text is the field written that way.
type Form struct {
	Style string
	Text  string
}

// Forms returns the ways leaks write p's field of the given kind. Every
// kind has a "canonical" style, its stored form. Addresses are listed
// without building names; RenderAddress may add one.
func Forms(p Person, kind string) []Form {
	switch kind {
	case KindName:
		return NameForms(p)
	case KindPhone:
		return PhoneForms(p.Phone)
	case KindEmail:
		return EmailForms(p.Email)
	case KindBirthdate:
		return BirthdateForms(p.Birthdate)
	case KindPostal:
		return PostalForms(p.Postal)
	case KindAddress:
		return AddressForms(p)
	case KindMyNumber:
		return MyNumberForms(p.MyNumber)
	case KindCard:
		return CardForms(p.Card)
	case KindID:
		return IDForms(p.CustomerID)
	}
	panic("corpus: unknown kind " + kind)
}

// Render writes p's field of the given kind in one of its forms, chosen by
// r among those whose style is in styles (any form when styles is empty).
// It panics if no form has one of the styles.
func Render(r *rand.Rand, p Person, kind string, styles ...string) string {
	if kind == KindAddress {
		return RenderAddress(r, p, styles...)
	}
	return pick(r, Forms(p, kind), styles)
}

func pick(r *rand.Rand, forms []Form, styles []string) string {
	if len(styles) == 0 {
		return forms[r.IntN(len(forms))].Text
	}
	var ok []string
	for _, f := range forms {
		for _, s := range styles {
			if f.Style == s {
				ok = append(ok, f.Text)
			}
		}
	}
	if len(ok) == 0 {
		panic("corpus: no form with styles " + strings.Join(styles, ","))
	}
	return ok[r.IntN(len(ok))]
}

// RenderPhone writes phone (domestic, hyphenated) in a form chosen by r.
func RenderPhone(r *rand.Rand, phone string, styles ...string) string {
	return pick(r, PhoneForms(phone), styles)
}

// RenderBirthdate writes t in a form chosen by r.
func RenderBirthdate(r *rand.Rand, t time.Time, styles ...string) string {
	return pick(r, BirthdateForms(t), styles)
}

// RenderName writes p's name (kanji, kana or romaji) in a form chosen by r.
func RenderName(r *rand.Rand, p Person, styles ...string) string {
	return pick(r, NameForms(p), styles)
}

// RenderEmail writes email in a form chosen by r.
func RenderEmail(r *rand.Rand, email string, styles ...string) string {
	return pick(r, EmailForms(email), styles)
}

// RenderPostal writes postal in a form chosen by r.
func RenderPostal(r *rand.Rand, postal string, styles ...string) string {
	return pick(r, PostalForms(postal), styles)
}

// RenderMyNumber writes n in a form chosen by r.
func RenderMyNumber(r *rand.Rand, n string, styles ...string) string {
	return pick(r, MyNumberForms(n), styles)
}

// RenderCard writes card in a form chosen by r.
func RenderCard(r *rand.Rand, card string, styles ...string) string {
	return pick(r, CardForms(card), styles)
}

// RenderID writes a customer number in a form chosen by r.
func RenderID(r *rand.Rand, id string, styles ...string) string {
	return pick(r, IDForms(id), styles)
}

// buildings are building names an address may end with.
var buildings = []string{"ハイツ若葉", "メゾン・ド・ソレイユ", "コーポ緑が丘", "グランドパレス", "サンライズマンション", "パークハウス", "レジデンス桜", "第二ビル", "アーバンコート", "ロイヤルヒルズ"}

// RenderAddress writes p's address in a form chosen by r (styles as in
// AddressForms), followed one time in three by a building name and room.
func RenderAddress(r *rand.Rand, p Person, styles ...string) string {
	s := pick(r, AddressForms(p), styles)
	if r.IntN(3) == 0 {
		room := strconv.Itoa(1+r.IntN(12)) + pad(uint64(1+r.IntN(12)), 2)
		switch r.IntN(3) {
		case 0:
			s += " " + buildings[r.IntN(len(buildings))] + room
		case 1:
			s += " " + buildings[r.IntN(len(buildings))] + " " + room + "号室"
		default:
			s += "　" + buildings[r.IntN(len(buildings))] + room + "号"
		}
	}
	return s
}

// PhoneForms lists the ways to write a domestic hyphenated phone number:
// canonical 090-1234-5678, plain 09012345678, paren 090(1234)5678,
// fullwidth ０９０－１２３４－５６７８, intl-space +81 90 1234 5678,
// intl-dash +81-90-1234-5678, intl-noplus 81-90-1234-5678 (the country
// code typed without its +), and in kanji digits, as text set vertically
// writes them, kanji 〇九〇－一二三四－五六七八, kanji-bar
// 〇九〇―一二三四―五六七八 and kanji-paren 〇九〇（一二三四）五六七八.
func PhoneForms(phone string) []Form {
	parts := strings.Split(phone, "-")
	if len(parts) != 3 {
		return []Form{{"canonical", phone}}
	}
	a, b, c := parts[0], parts[1], parts[2]
	return []Form{
		{"canonical", phone},
		{"plain", a + b + c},
		{"paren", a + "(" + b + ")" + c},
		{"fullwidth", FullWidth(phone)},
		{"intl-space", "+81 " + a[1:] + " " + b + " " + c},
		{"intl-dash", "+81-" + a[1:] + "-" + b + "-" + c},
		{"intl-noplus", "81-" + a[1:] + "-" + b + "-" + c},
		{"kanji", kanjiDigits(a) + "－" + kanjiDigits(b) + "－" + kanjiDigits(c)},
		{"kanji-bar", kanjiDigits(a) + "―" + kanjiDigits(b) + "―" + kanjiDigits(c)},
		{"kanji-paren", kanjiDigits(a) + "（" + kanjiDigits(b) + "）" + kanjiDigits(c)},
	}
}

// Era gives the Japanese era of t: its name (昭和), letter (S) and year
// within the era (1 for 元年). Dates before 明治 give the zero values.
func Era(t time.Time) (name, letter string, year int) {
	eras := []struct {
		name, letter string
		start        time.Time
	}{
		{"令和", "R", time.Date(2019, 5, 1, 0, 0, 0, 0, time.UTC)},
		{"平成", "H", time.Date(1989, 1, 8, 0, 0, 0, 0, time.UTC)},
		{"昭和", "S", time.Date(1926, 12, 25, 0, 0, 0, 0, time.UTC)},
		{"大正", "T", time.Date(1912, 7, 30, 0, 0, 0, 0, time.UTC)},
		{"明治", "M", time.Date(1868, 1, 25, 0, 0, 0, 0, time.UTC)},
	}
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	for _, e := range eras {
		if !d.Before(e.start) {
			return e.name, e.letter, t.Year() - e.start.Year() + 1
		}
	}
	return "", "", 0
}

// BirthdateForms lists the ways to write a date: canonical 1985-01-02,
// slash 1985/01/02, dash 1985-1-2, dot 1985.1.2, compact 19850102, kanji
// 1985年1月2日, era 昭和60年1月2日 (元年 for the first year), era-letter
// S60.1.2, era-letter-dot S.60.1.2, era-letter-slash S60/01/02,
// era-compact S600102, era-code 3600102 (the era's code, 1 明治 to 5
// 令和, then YYMMDD), fullwidth １９８５年１月２日, era-fullwidth
// 昭和６０年１月２日, era-letter-fullwidth Ｓ６０．１．２, with the year
// in both calendars era-both 昭和60年（1985年）1月2日 and kanji-both
// 1985年（昭和60年）1月2日, and with an
// English month english January 2, 1985, english-abbrev Jan 2, 1985 and
// english-day-first 2 Jan 1985, and era-abbrev 昭60.1.2 (the era's
// first kanji alone).
func BirthdateForms(t time.Time) []Form {
	y, m, d := t.Year(), int(t.Month()), t.Day()
	ys, ms, ds := strconv.Itoa(y), strconv.Itoa(m), strconv.Itoa(d)
	m2, d2 := pad(uint64(m), 2), pad(uint64(d), 2)
	era, letter, ey := Era(t)
	eys := strconv.Itoa(ey)
	eraYear := eys
	if ey == 1 {
		eraYear = "元"
	}
	kanji := ys + "年" + ms + "月" + ds + "日"
	spacedYear := eys + " 年"
	if ey == 1 {
		spacedYear = "元年"
	}
	eraText := era + eraYear + "年" + ms + "月" + ds + "日"
	return []Form{
		{"canonical", ys + "-" + m2 + "-" + d2},
		{"slash", ys + "/" + m2 + "/" + d2},
		{"dash", ys + "-" + ms + "-" + ds},
		{"dot", ys + "." + ms + "." + ds},
		{"compact", ys + m2 + d2},
		{"kanji", kanji},
		{"era", eraText},
		{"era-letter", letter + eys + "." + ms + "." + ds},
		{"era-letter-dot", letter + "." + eys + "." + ms + "." + ds},
		{"era-letter-slash", letter + pad(uint64(ey), 2) + "/" + m2 + "/" + d2},
		{"era-compact", letter + pad(uint64(ey), 2) + m2 + d2},
		{"era-code", strconv.Itoa(strings.Index("MTSHR", letter)+1) + pad(uint64(ey), 2) + m2 + d2},
		{"fullwidth", FullWidth(kanji)},
		{"era-fullwidth", FullWidth(eraText)},
		{"era-letter-fullwidth", FullWidth(letter + eys + "." + ms + "." + ds)},
		{"era-both", era + eraYear + "年（" + ys + "年）" + ms + "月" + ds + "日"},
		{"kanji-both", ys + "年（" + era + eraYear + "年）" + ms + "月" + ds + "日"},
		{"english", t.Month().String() + " " + ds + ", " + ys},
		{"english-abbrev", t.Month().String()[:3] + " " + ds + ", " + ys},
		{"english-day-first", ds + " " + t.Month().String()[:3] + " " + ys},
		{"kanji-spaced", ys + " 年 " + ms + " 月 " + ds + " 日"},
		{"era-spaced", era + " " + spacedYear + " " + ms + " 月 " + ds + " 日"},
		{"kanji-digits", kanjiDigits(ys) + "年" + KanjiNumber(m) + "月" + KanjiNumber(d) + "日"},
		{"era-kanji", era + kanjiEraYear(ey) + "年" + KanjiNumber(m) + "月" + KanjiNumber(d) + "日"},
		{"era-abbrev", era[:len("昭")] + eraYear + "." + ms + "." + ds},
	}
}

// kanjiDigits writes each ASCII digit of s as its kanji, 1960 → 一九六〇,
// and keeps the rest.
func kanjiDigits(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c >= '0' && c <= '9' {
			b.WriteString([]string{"〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"}[c-'0'])
		} else {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// kanjiEraYear writes an era's year in kanji numerals, its first as 元.
func kanjiEraYear(y int) string {
	if y == 1 {
		return "元"
	}
	return KanjiNumber(y)
}

// NameForms lists the ways to write p's name: canonical 山田 太郎,
// nospace 山田太郎, ideographic 山田　太郎, katakana ヤマダ タロウ,
// katakana-nospace ヤマダタロウ, hiragana やまだ たろう, halfwidth-kana
// ﾔﾏﾀﾞ ﾀﾛｳ, romaji Taro Yamada, romaji-upper Taro YAMADA,
// romaji-family-first YAMADA Taro and romaji-san Taro Yamada-san.
func NameForms(p Person) []Form {
	fam, giv, _ := strings.Cut(p.Name, " ")
	kf, kg, _ := strings.Cut(p.Kana, " ")
	rg, rf, _ := strings.Cut(p.Romaji, " ")
	return []Form{
		{"canonical", p.Name},
		{"nospace", fam + giv},
		{"ideographic", fam + "　" + giv},
		{"katakana", p.Kana},
		{"katakana-nospace", kf + kg},
		{"hiragana", Hiragana(p.Kana)},
		{"halfwidth-kana", HalfWidthKana(p.Kana)},
		{"romaji", p.Romaji},
		{"romaji-upper", rg + " " + strings.ToUpper(rf)},
		{"romaji-family-first", strings.ToUpper(rf) + " " + rg},
		{"romaji-san", p.Romaji + "-san"},
	}
}

// EmailForms lists the ways to write an e-mail address: canonical,
// fullwidth, at-bracket taro[at]example.com, at-paren taro(at)example.com,
// spaced taro [at] example [dot] com, words taro at example dot com,
// url taro%40example.com (percent-encoded, as a query string holds it),
// and the Japanese web page's star taro★example.com, atmark
// taro（アットマーク）example.com, atmark-bare taroアットマークexample.com
// and atmark-lenticular taro【アットマーク】example.com.
func EmailForms(email string) []Form {
	local, domain, _ := strings.Cut(email, "@")
	return []Form{
		{"canonical", email},
		{"fullwidth", FullWidth(email)},
		{"at-bracket", strings.Replace(email, "@", "[at]", 1)},
		{"at-paren", strings.Replace(email, "@", "(at)", 1)},
		{"spaced", local + " [at] " + strings.ReplaceAll(domain, ".", " [dot] ")},
		{"words", local + " at " + strings.ReplaceAll(domain, ".", " dot ")},
		{"url", strings.ReplaceAll(local, "+", "%2B") + "%40" + domain},
		{"star", local + "★" + domain},
		{"atmark", local + "（アットマーク）" + domain},
		{"atmark-bare", local + "アットマーク" + domain},
		{"atmark-lenticular", local + "【アットマーク】" + domain},
	}
}

// PostalForms lists the ways to write a postal code: canonical 100-0005,
// mark 〒100-0005, plain 1000005, fullwidth 〒１００－０００５ and
// kanji-mark 〒一〇〇－〇〇〇五.
func PostalForms(postal string) []Form {
	return []Form{
		{"canonical", postal},
		{"mark", "〒" + postal},
		{"plain", strings.ReplaceAll(postal, "-", "")},
		{"fullwidth", "〒" + FullWidth(postal)},
		{"kanji-mark", "〒" + kanjiDigits(strings.ReplaceAll(postal, "-", "－"))},
	}
}

// AddressForms lists the ways to write p's address. Styles with the
// prefix "pref-" include the prefecture; the rest are without it. The
// block numbers 1-2-3 are written dash 1-2-3, chome 1丁目2-3, banchi
// 1丁目2番3号, kanji 一丁目二番三号, fullwidth １－２－３, and as text
// set vertically writes them kanji-dash 一―二―三 and kanji-no 一の二の三;
// lots without 丁目 (1234-5) are written dash, banchi 1234番地5,
// fullwidth, kanji-dash 千二百三十四―五 or kanji-no (and, so that every
// style exists, chome as dash and kanji as banchi).
func AddressForms(p Person) []Form {
	base, nums := splitBlock(p.Address)
	var blocks []Form
	if len(nums) == 3 {
		a, b, c := nums[0], nums[1], nums[2]
		blocks = []Form{
			{"dash", itoa(a) + "-" + itoa(b) + "-" + itoa(c)},
			{"chome", itoa(a) + "丁目" + itoa(b) + "-" + itoa(c)},
			{"banchi", itoa(a) + "丁目" + itoa(b) + "番" + itoa(c) + "号"},
			{"kanji", KanjiNumber(a) + "丁目" + KanjiNumber(b) + "番" + KanjiNumber(c) + "号"},
			{"fullwidth", FullWidth(itoa(a) + "-" + itoa(b) + "-" + itoa(c))},
			{"kanji-dash", KanjiNumber(a) + "―" + KanjiNumber(b) + "―" + KanjiNumber(c)},
			{"kanji-no", KanjiNumber(a) + "の" + KanjiNumber(b) + "の" + KanjiNumber(c)},
		}
	} else if len(nums) == 2 {
		a, b := nums[0], nums[1]
		blocks = []Form{
			{"dash", itoa(a) + "-" + itoa(b)},
			{"banchi", itoa(a) + "番地" + itoa(b)},
			{"fullwidth", FullWidth(itoa(a) + "-" + itoa(b))},
			// Lots have no 丁目: these styles fall back to the forms above.
			{"chome", itoa(a) + "-" + itoa(b)},
			{"kanji", itoa(a) + "番地" + itoa(b)},
			{"kanji-dash", KanjiNumber(a) + "―" + KanjiNumber(b)},
			{"kanji-no", KanjiNumber(a) + "の" + KanjiNumber(b)},
		}
	} else {
		blocks = []Form{{"dash", ""}}
	}
	out := make([]Form, 0, 2*len(blocks))
	for _, b := range blocks {
		out = append(out, Form{b.Style, base + b.Text}, Form{"pref-" + b.Style, p.Prefecture + base + b.Text})
	}
	return out
}

// splitBlock splits an address into the part before its block numbers and
// the numbers ("千代田区丸の内1-2-3" → "千代田区丸の内", [1 2 3]).
func splitBlock(addr string) (string, []int) {
	i := len(addr)
	for i > 0 && (addr[i-1] >= '0' && addr[i-1] <= '9' || addr[i-1] == '-') {
		i--
	}
	var nums []int
	for _, s := range strings.Split(addr[i:], "-") {
		n, err := strconv.Atoi(s)
		if err != nil {
			return addr, nil
		}
		nums = append(nums, n)
	}
	return addr[:i], nums
}

// MyNumberForms lists the ways to write a My Number: canonical
// 123456789012, space 1234 5678 9012, dash 1234-5678-9012 and fullwidth.
func MyNumberForms(n string) []Form {
	if len(n) != 12 {
		return []Form{{"canonical", n}}
	}
	sp := n[:4] + " " + n[4:8] + " " + n[8:]
	return []Form{
		{"canonical", n},
		{"space", sp},
		{"dash", n[:4] + "-" + n[4:8] + "-" + n[8:]},
		{"fullwidth", FullWidth(n)},
	}
}

// CardForms lists the ways to write a 16-digit card number: canonical,
// space 3528 1234 5678 9012 and dash 3528-1234-5678-9012.
func CardForms(card string) []Form {
	if len(card) != 16 {
		return []Form{{"canonical", card}}
	}
	g := []string{card[:4], card[4:8], card[8:12], card[12:]}
	return []Form{
		{"canonical", card},
		{"space", strings.Join(g, " ")},
		{"dash", strings.Join(g, "-")},
	}
}

// IDForms lists the ways to write a customer number: canonical C00012345,
// and fullwidth Ｃ０００１２３４５.
func IDForms(id string) []Form {
	return []Form{{"canonical", id}, {"fullwidth", FullWidth(id)}}
}

// FullWidth turns printable ASCII into its full-width forms (U+FF01..FF5E)
// and the space into the ideographic space.
func FullWidth(s string) string {
	return width.Widen.String(s)
}

// Hiragana turns katakana into hiragana; other runes are kept.
func Hiragana(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'ァ' && r <= 'ヶ' {
			return r - 0x60
		}
		return r
	}, s)
}

// HalfWidthKana turns katakana into half-width katakana, splitting voiced
// kana into base and mark (ガ → ｶﾞ), and the ideographic space into a space.
func HalfWidthKana(s string) string {
	var sb strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch r {
		case 0x3099:
			sb.WriteString("ﾞ")
		case 0x309A:
			sb.WriteString("ﾟ")
		case '　':
			sb.WriteByte(' ')
		default:
			sb.WriteString(width.Narrow.String(string(r)))
		}
	}
	return sb.String()
}

// KanjiNumber writes n (0 < n < 10000) in kanji numerals: 12 → 十二, 305 → 三百五.
func KanjiNumber(n int) string {
	digits := []string{"", "一", "二", "三", "四", "五", "六", "七", "八", "九"}
	units := []string{"千", "百", "十", ""}
	var sb strings.Builder
	for i, p := range []int{1000, 100, 10, 1} {
		d := n / p % 10
		if d == 0 {
			continue
		}
		if d > 1 || p == 1 {
			sb.WriteString(digits[d])
		}
		sb.WriteString(units[i])
	}
	return sb.String()
}

func itoa(n int) string { return strconv.Itoa(n) }

// runeLen is the number of characters in s.
func runeLen(s string) int { return utf8.RuneCountInString(s) }
