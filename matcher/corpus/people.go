package corpus

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/transform"
)

// Person is one synthetic person, with every field the operator's record
// set can hold. Values are written in their stored (canonical) forms; the
// renderings in render.go give the ways leaks write them.
type Person struct {
	Ref        string    // record reference, e.g. "P0000042"
	Name       string    // kanji, family then given, half-width space: "山田 太郎"
	Kana       string    // katakana reading: "ヤマダ タロウ"
	Romaji     string    // given then family: "Taro Yamada"
	Birthdate  time.Time // midnight UTC, 1930-01-01 to 2008-12-31
	Phone      string    // domestic, hyphenated: "090-1234-5678", "03-1234-5678"
	Email      string    // at an example domain: "taro.yamada85@example.jp"
	Postal     string    // "100-0005"
	Prefecture string    // "東京都"
	City       string    // "千代田区", as Address starts
	Address    string    // without the prefecture: "千代田区丸の内1-2-3"
	MyNumber   string    // 12 digits with a valid check digit
	Card       string    // 16 digits, Luhn-valid, JCB (35…) or Visa (4…)
	CustomerID string    // "C" + 8 digits: "C00012345"
}

// FullAddress returns the address with its prefecture: "東京都千代田区丸の内1-2-3".
func (p Person) FullAddress() string { return p.Prefecture + p.Address }

// Options tunes PeopleWith.
type Options struct {
	// Namesakes is the fraction of people (0..1) who are given the name of
	// an earlier person of the set on purpose. Larger sets also share
	// names by chance, since the name lists are finite.
	Namesakes float64
}

// DefaultNamesakes is the namesake fraction People uses.
const DefaultNamesakes = 0.01

// People returns n synthetic people generated from seed, with
// DefaultNamesakes of them namesakes of others.
func People(seed uint64, n int) []Person {
	return PeopleWith(seed, n, Options{Namesakes: DefaultNamesakes})
}

// Population returns nSet + nOthers people from one generation, split in
// two. Because they come from one call, no person of others shares a phone,
// e-mail, My Number, card, customer number or address with one of set, and
// no person of either half shares a name together with a birthdate or
// postal code with another person.
func Population(seed uint64, nSet, nOthers int) (set, others []Person) {
	all := People(seed, nSet+nOthers)
	return all[:nSet:nSet], all[nSet:]
}

// Generation works in a few sets of keys. Uniqueness of each unique field is
// kept by rejection: a drawn value already taken is drawn again, which is
// cheap while the space is far larger than n. Names are kept from
// coinciding with weak fields: two people of one name group never share a
// postal code or a birthdate, so that a name next to a postal code or a
// birthdate always belongs to one person.
type generator struct {
	r           *rand.Rand
	emails      map[string]struct{}
	groupDay    map[uint64]struct{}
	groupPostal bitset // by name group × town
	addrs       bitset // by town × lot
	mobile      perm   // mobile numbers, by person
	mynum       perm   // My Number bodies, by person
	jcb, visa   perm   // card bodies, by person
	landline    map[string]*areaLines
}

// areaLines hands out the landline numbers of one area code.
type areaLines struct {
	perm perm
	next uint64
}

// lotsPerTown bounds the lot index of a town (see block).
const lotsPerTown = 60000

var epoch = time.Date(1930, 1, 1, 0, 0, 0, 0, time.UTC)

// birthDays is the number of days from 1930-01-01 to 2008-12-31 inclusive.
var birthDays = int(time.Date(2009, 1, 1, 0, 0, 0, 0, time.UTC).Sub(epoch).Hours() / 24)

var emailDomains = []string{"example.jp", "example.com", "mail.example.ne.jp", "example.ne.jp", "example.co.jp", "example.net", "example.org"}

// PeopleWith returns n synthetic people generated from seed with opt.
// The same seed, n and opt always give the same people.
func PeopleWith(seed uint64, n int, opt Options) []Person {
	g := &generator{
		r:           rand.New(rand.NewPCG(seed, 0x6c65616b77617463)),
		emails:      make(map[string]struct{}, n),
		groupDay:    make(map[uint64]struct{}, n),
		groupPostal: newBitset(len(pairGroup) * len(towns)),
		addrs:       newBitset(len(towns) * lotsPerTown),
		mobile:      newPerm(3*9000*10000, seed^1),
		mynum:       newPerm(1e11, seed^2),
		jcb:         newPerm(62*1e11, seed^3),
		visa:        newPerm(1e14, seed^4),
		landline:    map[string]*areaLines{},
	}
	r := g.r
	out := make([]Person, n)
	pairs := make([]int32, n)
	cust := 1 + r.IntN(300000)
	buf := make([]byte, 0, 64)
	names := make([]*[3]string, len(families)*len(givens))
	townsUsed := make([]uint16, len(families)*len(givens)) // by name group
	for i := range out {
		p := &out[i]
		var pair, ti int
		var addr string
		for attempt := 0; ; attempt++ {
			if i > 0 && attempt < 4 && r.Float64() < opt.Namesakes {
				pair = int(pairs[r.IntN(i)])
			} else {
				pair = g.drawPair()
			}
			grp := uint64(pairGroup[pair])
			if int(townsUsed[grp]) >= len(towns)*3/4 {
				continue // this name is worn out: every postal code has it
			}
			ti, addr = -1, ""
			for t := 0; t < 12 && ti < 0; t++ {
				c := r.IntN(len(towns))
				if !g.groupPostal.has(int(grp)*len(towns) + c) {
					if addr = g.block(buf, c); addr != "" {
						ti = c
					}
				}
			}
			if ti < 0 {
				continue
			}
			day := 0
			for {
				day = r.IntN(birthDays)
				if _, taken := g.groupDay[grp<<20|uint64(day)]; !taken {
					break
				}
			}
			g.groupPostal.set(int(grp)*len(towns) + ti)
			townsUsed[grp]++
			g.groupDay[grp<<20|uint64(day)] = struct{}{}
			p.Birthdate = epoch.AddDate(0, 0, day)
			break
		}
		pairs[i] = int32(pair)
		f, gv := &families[pair/len(givens)], &givens[pair%len(givens)]
		nm := names[pair]
		if nm == nil {
			nm = &[3]string{f.kanji + " " + gv.kanji, f.kana + " " + gv.kana, gv.romaji + " " + f.romaji}
			names[pair] = nm
		}
		p.Ref = string(appendPad(append(buf[:0], 'P'), uint64(i+1), 7))
		p.Name, p.Kana, p.Romaji = nm[0], nm[1], nm[2]
		t := &towns[ti]
		p.Postal = t.postal
		p.Prefecture = t.pref
		p.City = t.city
		p.Address = addr
		p.Phone = g.phone(buf, t.area, uint64(i))
		p.Email = g.email(buf, f.lower, gv.lower, p.Birthdate.Year())
		p.MyNumber = g.myNumber(buf, uint64(i))
		p.Card = g.card(buf, uint64(i))
		cust += 1 + r.IntN(40)
		p.CustomerID = string(appendPad(append(buf[:0], 'C'), uint64(cust), 8))
	}
	return out
}

// drawPair draws a (family, given) pair; common names are a little more
// likely, as in a real population.
func (g *generator) drawPair() int {
	r := g.r
	fi := r.IntN(len(families))
	if r.IntN(3) == 0 {
		fi = r.IntN(len(families) / 4)
	}
	var gi int
	if r.IntN(2) == 0 {
		gi = r.IntN(nMale)
	} else {
		gi = nMale + r.IntN(len(givens)-nMale)
	}
	return fi*len(givens) + gi
}

// block draws an unused lot number in town ti and returns the address
// without prefecture ending in "1-2-3" (丁目-番-号) or "1234-5" (番地-号).
// It returns "" when it finds none quickly (the town is nearly full), and
// the caller picks another town.
func (g *generator) block(buf []byte, ti int) string {
	r := g.r
	t := &towns[ti]
	for tries := 0; tries < 32; tries++ {
		var a, b, c int
		if t.chome > 0 {
			a, b, c = 1+r.IntN(t.chome), 1+r.IntN(45), 1+r.IntN(35)
		} else {
			b, c = 1+r.IntN(2400), 1+r.IntN(25)
		}
		lot := ti * lotsPerTown
		if a > 0 {
			lot += ((a-1)*45+b-1)*35 + c - 1
		} else {
			lot += (b-1)*25 + c - 1
		}
		if g.addrs.has(lot) {
			continue
		}
		g.addrs.set(lot)
		buf = append(append(buf[:0], t.city...), t.name...)
		if a > 0 {
			buf = append(strconv.AppendInt(buf, int64(a), 10), '-')
		}
		buf = append(strconv.AppendInt(buf, int64(b), 10), '-')
		return string(strconv.AppendInt(buf, int64(c), 10))
	}
	return ""
}

// phone gives person i a number no one else of the call has: three in
// four are mobile (070/080/090), the rest landlines in the town's area
// code, 10 digits in all. Numbers come from keyed permutations, so they
// are unique without being looked up.
func (g *generator) phone(buf []byte, area string, i uint64) string {
	r := g.r
	buf = buf[:0]
	if r.IntN(4) != 0 {
		v := g.mobile.at(i) // prefix × 9000 × 10000
		buf = append(buf, [...]string{"090-", "080-", "070-"}[v/9e7]...)
		v %= 9e7
		buf = appendPad(appendPad(buf, 1000+v/10000, 4), v%10000, 5)
		buf[len(buf)-5] = '-'
		return string(buf)
	}
	first := 10 - len(area) - 4 // digits of the middle group
	lines := g.landline[area]
	if lines == nil {
		lines = &areaLines{perm: newPerm(uint64(8*pow10(first-1))*10000, digitKey(area)^g.mobile.key)}
		g.landline[area] = lines
	}
	v := lines.perm.at(lines.next % lines.perm.domain)
	lines.next++
	buf = append(append(buf, area...), '-')
	buf = appendPad(buf, uint64(2*pow10(first-1))+v/10000, first)
	buf = appendPad(append(buf, '-'), v%10000, 4)
	return string(buf)
}

// email derives an unused address from the romaji name (lower case),
// often with digits.
func (g *generator) email(buf []byte, f, gv string, year int) string {
	r := g.r
	for attempt := 0; ; attempt++ {
		buf = buf[:0]
		switch r.IntN(8) {
		case 0:
			buf = append(append(append(buf, gv...), '.'), f...)
		case 1:
			buf = append(append(append(buf, f...), '.'), gv...)
		case 2:
			buf = append(append(append(buf, gv...), '_'), f...)
		case 3:
			buf = append(append(append(buf, gv[0]), '.'), f...)
		case 4:
			buf = append(append(buf, f...), gv[0])
		case 5:
			buf = append(append(buf, gv...), f...)
		case 6:
			buf = append(append(append(buf, f...), '-'), gv...)
		default:
			buf = append(buf, gv...)
		}
		switch d := r.IntN(10); {
		case attempt > 0 || d < 3:
			buf = strconv.AppendInt(buf, int64(r.IntN(pow10(2+attempt%4))), 10)
		case d < 5:
			buf = append(buf, byte('0'+year%100/10), byte('0'+year%10))
		case d < 6:
			buf = strconv.AppendInt(buf, int64(year), 10)
		}
		buf = append(append(buf, '@'), emailDomains[r.IntN(len(emailDomains))]...)
		if _, taken := g.emails[string(buf)]; taken {
			continue
		}
		s := string(buf)
		g.emails[s] = struct{}{}
		return s
	}
}

// myNumber gives person i a unique 個人番号 with a valid check digit.
func (g *generator) myNumber(buf []byte, i uint64) string {
	buf = appendPad(buf[:0], g.mynum.at(i), 11)
	return string(append(buf, byte('0'+myNumberCheck(buf))))
}

// card gives person i a unique 16-digit card number: JCB (3528–3589) or
// Visa (4).
func (g *generator) card(buf []byte, i uint64) string {
	buf = buf[:0]
	if g.r.IntN(2) == 0 {
		v := g.jcb.at(i)
		buf = appendPad(appendPad(buf, 3528+v/1e11, 4), v%1e11, 11)
	} else {
		buf = appendPad(append(buf, '4'), g.visa.at(i), 14)
	}
	return string(append(buf, byte('0'+luhnCheck(buf))))
}

// perm is a keyed permutation of [0, domain): a four-round Feistel network
// on the smallest even power of two covering the domain, cycle-walked back
// into it.
type perm struct {
	domain, key uint64
	half        uint
}

func newPerm(domain, key uint64) perm {
	p := perm{domain: domain, key: mix(key)}
	for uint64(1)<<(2*p.half) < domain {
		p.half++
	}
	return p
}

// at returns the image of x < domain.
func (p perm) at(x uint64) uint64 {
	mask := uint64(1)<<p.half - 1
	for {
		l, r := x>>p.half, x&mask
		for round := uint64(0); round < 4; round++ {
			l, r = r, l^(mix(r^p.key^round<<56)&mask)
		}
		if x = l<<p.half | r; x < p.domain {
			return x
		}
	}
}

// mix is the SplitMix64 finalizer.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// bitset is a fixed set of small integers.
type bitset []uint64

func newBitset(n int) bitset    { return make(bitset, (n+63)/64) }
func (b bitset) has(i int) bool { return b[i/64]&(1<<(i%64)) != 0 }
func (b bitset) set(i int)      { b[i/64] |= 1 << (i % 64) }

// MyNumberCheckDigit returns the check digit of the first 11 digits of a
// My Number (個人番号). With P1..P11 the digits numbered from the right,
// Qn = n+1 for n ≤ 6 and n−5 for n ≥ 7, r = Σ Pn·Qn mod 11, the check digit
// is 0 when r ≤ 1 and 11 − r otherwise. It panics unless body holds 11 ASCII
// digits.
func MyNumberCheckDigit(body string) int {
	if len(body) != 11 || !allDigits(body) {
		panic("corpus: My Number body must have 11 digits")
	}
	return myNumberCheck([]byte(body))
}

func myNumberCheck(body []byte) int {
	sum := 0
	for n := 1; n <= 11; n++ {
		q := n + 1
		if n >= 7 {
			q = n - 5
		}
		sum += int(body[11-n]-'0') * q
	}
	if r := sum % 11; r > 1 {
		return 11 - r
	}
	return 0
}

// ValidMyNumber reports whether s is 12 ASCII digits with a valid check digit.
func ValidMyNumber(s string) bool {
	return len(s) == 12 && allDigits(s) && int(s[11]-'0') == MyNumberCheckDigit(s[:11])
}

// LuhnCheckDigit returns the digit that makes body followed by it pass the
// Luhn check. body must be ASCII digits.
func LuhnCheckDigit(body string) int { return luhnCheck([]byte(body)) }

func luhnCheck(body []byte) int {
	sum := 0
	for i := len(body) - 1; i >= 0; i-- {
		d := int(body[i] - '0')
		if (len(body)-1-i)%2 == 0 { // doubled: it will sit at an even place from the right
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return (10 - sum%10) % 10
}

// ValidLuhn reports whether s is ASCII digits (at least two) passing the Luhn check.
func ValidLuhn(s string) bool {
	return len(s) >= 2 && allDigits(s) && int(s[len(s)-1]-'0') == LuhnCheckDigit(s[:len(s)-1])
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// pad formats v in decimal, zero-padded to width digits.
func pad(v uint64, width int) string { return string(appendPad(nil, v, width)) }

// appendPad appends v in decimal, zero-padded to width digits.
func appendPad(dst []byte, v uint64, width int) []byte {
	var b [20]byte
	i := len(b)
	for v > 0 || i > len(b)-width {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, b[i:]...)
}

func pow10(n int) int {
	p := 1
	for ; n > 0; n-- {
		p *= 10
	}
	return p
}

// digitKey packs the digits of s, with their count, into one number.
func digitKey[S string | []byte](s S) uint64 {
	var v, n uint64
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			v = v*10 + uint64(c-'0')
			n++
		}
	}
	return n<<56 | v
}

// Format is the layout WriteCSV writes.
type Format int

// The layouts of WriteCSV.
const (
	CSV       Format = iota // comma-separated, RFC 4180 quoting
	TSV                     // tab-separated
	JSONLines               // one JSON object a line, keys as the CSV header
)

// The encodings WriteCSV and the documents use.
const (
	UTF8     = "utf-8"
	UTF8BOM  = "utf-8-bom"
	ShiftJIS = "shift_jis"
	EUCJP    = "euc-jp"
	ISO2022  = "iso-2022-jp"
)

// WriteOptions tunes WriteCSV.
type WriteOptions struct {
	Format   Format
	Encoding string // UTF8 (default when empty), UTF8BOM or ShiftJIS
}

// CSVHeader is the header WriteCSV writes, in column order.
var CSVHeader = []string{"ref", "name", "kana", "birthdate", "phone", "email", "postal", "address", "mynumber", "card", "custno"}

// Row returns p's values in CSVHeader order, as the operator's file holds
// them: birthdate as YYYY-MM-DD, address with its prefecture.
func (p Person) Row() []string {
	return []string{p.Ref, p.Name, p.Kana, p.Birthdate.Format("2006-01-02"), p.Phone, p.Email,
		p.Postal, p.FullAddress(), p.MyNumber, p.Card, p.CustomerID}
}

// WriteCSV writes people as the operator's record file: a header row
// (CSVHeader) then one row a person, in the layout and encoding of opts.
// JSON Lines has no header row.
func WriteCSV(w io.Writer, people []Person, opts WriteOptions) error {
	var tw *transform.Writer
	switch opts.Encoding {
	case "", UTF8:
	case UTF8BOM:
		if _, err := io.WriteString(w, "\uFEFF"); err != nil {
			return err
		}
	case ShiftJIS:
		tw = transform.NewWriter(w, japanese.ShiftJIS.NewEncoder())
		w = tw
	default:
		return fmt.Errorf("corpus: unsupported encoding %q", opts.Encoding)
	}
	bw := bufio.NewWriter(w)
	var err error
	switch opts.Format {
	case CSV, TSV:
		sep := ","
		if opts.Format == TSV {
			sep = "\t"
		}
		writeRow := func(vals []string) {
			for i, v := range vals {
				if i > 0 {
					bw.WriteString(sep)
				}
				bw.WriteString(csvQuote(v, sep))
			}
			bw.WriteString("\n")
		}
		writeRow(CSVHeader)
		for _, p := range people {
			writeRow(p.Row())
		}
	case JSONLines:
		for _, p := range people {
			row := p.Row()
			var sb strings.Builder
			sb.WriteByte('{')
			for i, k := range CSVHeader {
				if i > 0 {
					sb.WriteByte(',')
				}
				kb, _ := json.Marshal(k)
				sb.Write(kb)
				sb.WriteByte(':')
				sb.WriteString(jsonString(row[i]))
			}
			sb.WriteString("}\n")
			bw.WriteString(sb.String())
		}
	default:
		return fmt.Errorf("corpus: unknown format %d", opts.Format)
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if tw != nil {
		return tw.Close()
	}
	return nil
}

// csvQuote quotes v if it holds the separator, a quote or a line break.
func csvQuote(v, sep string) string {
	if strings.Contains(v, sep) || strings.ContainsAny(v, "\"\r\n") {
		return `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
	}
	return v
}

// jsonString quotes s as a JSON string, leaving non-ASCII text as it is.
func jsonString(s string) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			sb.WriteByte('\\')
			sb.WriteRune(c)
		case c < 0x20:
			fmt.Fprintf(&sb, `\u%04x`, c)
		default:
			sb.WriteRune(c)
		}
	}
	sb.WriteByte('"')
	return sb.String()
}
