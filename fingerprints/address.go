package fingerprints

import (
	"bytes"
	"errors"
	"slices"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Japanese postal addresses.
//
// Canonical form: the locality (city, ward, town, district) followed by the
// block numbers joined by "-", and nothing after them:
//
//	東京都千代田区丸の内一丁目2番3号 丸の内ビル5F  →  千代田区丸の内1-2-3
//	〒060-0001 北海道札幌市中央区北一条西二丁目3番4号  →  札幌市中央区北1条西2-3-4
//
// Steps, each on the result of the one before:
//
//  1. NFKC (full-width digits and hyphens, half-width kana).
//  2. White space is removed, except one space between two numerals (ASCII
//     digits or kanji numerals), which ends a block group: "1-2-3 405".
//     Hyphens and their look-alikes become "-"; the prolonged sound mark ー
//     (ｰ) does too when it stands between two numerals, and stays a kana
//     letter everywhere else.
//  3. A leading postal code (〒, "NNN-NNNN" or seven digits, when something
//     follows) and a leading prefecture (all 47, with their 都道府県 suffix)
//     are removed, as often as they occur: 東京都千代田区 and 千代田区 are
//     alike. A value that is only a postal code and/or a prefecture is
//     rejected.
//  4. The first block group is found and rewritten; the text before it is
//     kept. A group starts at a run of ASCII digits, or at a run of kanji
//     numerals (〇一二三四五六七八九十百千壱弐参) that is directly followed by
//     丁目, 丁 and a number (or the end), 番地, 番 (not 番町/番丁), 号, "-" and
//     a number, or の/ノ and a number. Numbers are followed by separators
//     (any sequence of "-", 丁目, 丁, 番地, 番, 号, の, ノ) and the next
//     number; inside a group, a kanji run counts as a number only when a
//     separator or the end follows it. The numbers (kanji converted, leading
//     zeros dropped) are written joined by "-", at most three of them:
//     1丁目2番3号, 1丁目2番地3, 1丁目2-3, 1の2の3, 一丁目二番三号,
//     一丁目2番地の3 and 1-2-3 are all "1-2-3", and 1-2-3-405 is too.
//  5. Everything after the group is dropped (trailing 号, buildings, floors,
//     rooms). Without a group, the whole value is kept.
//
// Numbers before 条, 線 and 地割 (Hokkaido's 北1条西, Iwate's 第2地割) are part
// of the locality: a kanji number there is converted (北一条 → 北1条) but no
// group starts. Other kanji numerals are place names and stay as they are
// (千代田, 三鷹, 八王子, 九段, 八丁堀, 二番町).
//
// For the extractor: a canonical address ends with the last number of its
// block group (an ASCII digit), or is the whole value when it has none. In
// raw text the group is the maximal stretch of numerals, dash look-alikes,
// and the separators 丁目 丁 番地 番 号 の ノ that follow the locality; it
// ends at the first other character, at white space, or after its third
// number. Since the normalizer drops whatever follows the group, a candidate
// may safely run past it (to the end of the line, say); it must not start
// before the prefecture, postal code or locality.

// Version 2 of the canonical forms (FormsVersion) adds a last step:
//
//  6. In the locality, the particles that place names write in kana
//     between two kanji are folded: ヶ, ケ and ヵ to が (霞ヶ関, 霞ケ関 and
//     霞が関 alike; 茅ヶ崎 is 茅が崎), and ノ to の (丸ノ内 is 丸の内, 虎ノ門 is
//     虎の門). Kana elsewhere stay as they are (ニセコ町字ケ).

func init() { register(Address, appendAddress) }

var (
	errAddressEmpty   = invalid(Address, "empty")
	errAddressOnly    = invalid(Address, "only a postal code or prefecture")
	errAddressControl = invalid(Address, "control character")
	errAddressUTF8    = invalid(Address, "invalid UTF-8")
	errAddressLong    = invalid(Address, "too long")
	errAddressUnnorm  = invalid(Address, "no stable form")
)

const (
	maxAddressBytes = 2048
	maxBlockParts   = 3
)

// prefectures are the 47 都道府県 of Japan, in their JIS X 0401 order.
var prefectures = [...]string{
	"北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県",
	"茨城県", "栃木県", "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県",
	"新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県", "岐阜県",
	"静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県",
	"奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県",
	"徳島県", "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県",
	"熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
}

// IsPrefecture reports whether b is one of the 47 prefectures, written
// with its 都道府県 suffix as the address normalizer strips it: an address
// that starts with one normalizes as it would without it.
func IsPrefecture(b []byte) bool {
	n := prefectureLen(b)
	return n > 0 && n == len(b)
}

// prefectureLen returns the length of the prefecture (one of prefectures)
// at the start of b, or 0. No prefecture is the start of another, so there
// is at most one. A switch on the kanji compiles to a few word comparisons,
// several times faster than trying the 47 in turn; TestPrefectureLen checks
// that it lists the same ones as prefectures.
func prefectureLen(b []byte) int {
	if len(b) < 9 || !prefectureSuffixAt(b) { // the shortest prefecture has 3 runes
		return 0
	}
	switch string(b[:9]) {
	case "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県",
		"茨城県", "栃木県", "群馬県", "埼玉県", "千葉県", "東京都",
		"新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県", "岐阜県",
		"静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県",
		"奈良県", "鳥取県", "島根県", "岡山県", "広島県", "山口県",
		"徳島県", "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県",
		"熊本県", "大分県", "宮崎県", "沖縄県":
		return 9
	}
	if len(b) >= 12 {
		switch string(b[:12]) {
		case "神奈川県", "和歌山県", "鹿児島県":
			return 12
		}
	}
	return 0
}

func appendAddress(dst, src []byte) ([]byte, error) {
	if len(src) > maxAddressBytes {
		return dst, errAddressLong
	}
	start := len(dst)
	// Most addresses are ASCII, kanji and kana, which NFKC leaves as they
	// are (nfkcStable): clean them straight from src, and only when that
	// meets another rune, take NFKC first and clean its form in place.
	dst = slices.Grow(dst, len(src))[:start+len(src)]
	n, stable, err := cleanAddress(dst[start:], src, true)
	if err == errAddressRaw {
		dst = appendNFKC(dst[:start], src)
		n, stable, err = cleanAddress(dst[start:], dst[start:], false)
	}
	if err != nil {
		return dst[:start], err
	}
	dst = dst[:start+n]
	if n == 0 {
		return dst[:start], errAddressEmpty
	}
	b := dst[start:]
	p := stripAddressHead(b)
	if p == len(b) || postalLen(b[p:]) == len(b)-p {
		return dst[:start], errAddressOnly
	}
	out := len(dst)
	dst = appendAddressBody(dst, b[p:])
	n = copy(dst[start:], dst[out:])
	dst = dst[:start+n]
	if n == 0 {
		return dst, errAddressEmpty
	}
	if postalLen(dst[start:]) == n {
		return dst[:start], errAddressOnly // a block group that looks like one
	}
	foldPlaceKana(dst[start:])
	// The result holds runes of the cleaned text and ASCII only: when those
	// runes are stable, so is the result, and nfkcStable need not read it.
	if !stable && !nfkcStable(dst[start:]) && !norm.NFKC.IsNormal(dst[start:]) {
		return dst[:start], errAddressUnnorm
	}
	return dst, nil
}

// errAddressRaw is what cleanAddress returns when it cleans a raw value
// and meets a rune that NFKC may change. appendAddress never returns it.
var errAddressRaw = errors.New("fingerprints: address not NFKC-stable")

// cleanAddress does step 2: it writes the cleaned form of in to out, which
// is in itself or as long, and returns its length and whether the runes it
// wrote are all ASCII or stable (see nfkcStable): false means nothing.
// Reads never fall behind writes, so in and out may be the same slice.
//
// in is the NFKC form of the value, or with raw the value itself: then
// cleanAddress returns errAddressRaw at the first rune that is neither
// ASCII nor stable, one NFKC may change (invalid bytes and non-ASCII
// controls included). A value without such a rune is its own NFKC form, so
// the result is the one its NFKC form gives. The only error found before
// such a rune is an ASCII control character, after ASCII and stable runes
// only: nothing composes with a control character, so the NFKC form has it
// after the same text and gives the same error. Reading ahead
// (startsWithNumeral) may meet runes NFKC would change, but then
// errAddressRaw comes before the result is used.
func cleanAddress(out, in []byte, raw bool) (n int, stable bool, err error) {
	w := 0
	stable = true
	removed := false // white space was dropped since the last rune written
	lastPos := -1    // start of the last rune written
	for r := 0; r < len(in); {
		if k, last := plainAddressRun(in[r:]); k > 0 {
			copy(out[w:], in[r:r+k])
			lastPos, removed = w+last, false
			w += k
			r += k
			continue
		}
		if c := in[r]; c < utf8.RuneSelf { // white space or a control character
			if !isASCIISpace(c) {
				return 0, false, errAddressControl
			}
			r++
			w, removed = addressSpace(out, w, in[r:]), true
			continue
		}
		ru, size := utf8.DecodeRune(in[r:])
		if raw && !stableRune(ru) {
			return 0, false, errAddressRaw
		}
		switch {
		case ru == utf8.RuneError && size == 1:
			return 0, false, errAddressUTF8
		case isSpace(ru):
			r += size
			w, removed = addressSpace(out, w, in[r:]), true
			continue
		case unicode.IsControl(ru):
			return 0, false, errAddressControl
		case isProlonged(ru) && !(w > 0 && endsWithNumeral(out[:w]) && startsWithNumeral(in[r+size:])):
			// A kana letter: copied below.
		case isDash(ru):
			r += size
			out[w] = '-'
			lastPos, removed = w, false
			w++
			continue
		case (removed || lastPos < 0) && isMark(ru):
			// A mark cut off from its letter by removed space: compose it
			// with a kana, or drop it.
			if lastPos >= 0 {
				last, _ := utf8.DecodeRune(out[lastPos:w])
				if k, ok := composeKana(last, ru); ok && isKana(last) {
					utf8.EncodeRune(out[lastPos:], k)
					stable = false // ヾ is not
				}
			}
			r += size
			continue
		}
		stable = stable && stableRune(ru)
		lastPos = w
		copy(out[w:], in[r:r+size])
		w += size
		r += size
		removed = false
	}
	if w > 0 && out[w-1] == ' ' {
		w--
	}
	return w, stable, nil
}

// plainAddressRun returns the length of the run at the start of b that
// cleanAddress copies as it is, and the start of its last rune: printable
// ASCII but the space, and stable runes (kanji and kana) but ー, which are
// no space, control, dash or mark. That is nearly all of an address, and
// copying it in one piece is faster than rune by rune.
func plainAddressRun(b []byte) (n, last int) {
	for n < len(b) {
		if c := b[n]; c < utf8.RuneSelf {
			if c <= ' ' || c == 0x7F {
				break
			}
			last = n
			n++
			continue
		}
		ru, ok := decodeRune3(b[n:])
		if !ok || ru == 0x30FC || !stableRune(ru) {
			break
		}
		last = n
		n += 3
	}
	return n, last
}

// addressSpace handles white space just read, with w bytes written to out
// and rest left to read: it writes one space when the space stands between
// two numerals and none was written yet, and returns the new w.
func addressSpace(out []byte, w int, rest []byte) int {
	if w > 0 && out[w-1] != ' ' && endsWithNumeral(out[:w]) && startsWithNumeral(rest) {
		out[w] = ' '
		return w + 1
	}
	return w
}

// endsWithNumeral reports whether b ends with an ASCII digit or a kanji
// numeral.
func endsWithNumeral(b []byte) bool {
	r, _ := utf8.DecodeLastRune(b)
	return '0' <= r && r <= '9' || isKanjiNumeral(r)
}

// startsWithNumeral reports whether b, after any white space, starts with
// an ASCII digit or a kanji numeral. (b is NFKC: full-width digits are
// ASCII.)
func startsWithNumeral(b []byte) bool {
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if !isSpace(r) {
			return '0' <= r && r <= '9' || isKanjiNumeral(r)
		}
		b = b[size:]
	}
	return false
}

// stripAddressHead returns the length of the leading postal codes,
// prefectures and spaces of b (step 3).
func stripAddressHead(b []byte) int {
	p := 0
	for {
		q := p
		if q < len(b) && b[q] == ' ' {
			q++
		}
		if bytes.HasPrefix(b[q:], []byte("〒")) {
			q += len("〒")
		}
		if k := postalLen(b[q:]); k > 0 && q+k < len(b) && !isASCIIDigit(b[q+k]) && b[q+k] != '-' {
			q += k
		}
		q += prefectureLen(b[q:])
		if q == p {
			return p
		}
		p = q
	}
}

// prefectureSuffixAt reports whether 都, 道, 府 or 県 is the third or fourth
// rune of b (all kanji, so at byte 6 or 9): else no prefecture starts b.
func prefectureSuffixAt(b []byte) bool {
	suffix := func(i int) bool {
		if len(b) < i+3 {
			return false
		}
		switch string(b[i : i+3]) {
		case "都", "道", "府", "県":
			return true
		}
		return false
	}
	return suffix(6) || suffix(9)
}

// postalLen returns the length of the postal code ("NNN-NNNN" or seven
// digits) at the start of b, or 0.
func postalLen(b []byte) int {
	digits := func(s []byte) bool {
		for _, c := range s {
			if !isASCIIDigit(c) {
				return false
			}
		}
		return true
	}
	switch {
	case len(b) >= 8 && b[3] == '-' && digits(b[:3]) && digits(b[4:8]):
		return 8
	case len(b) >= 7 && digits(b[:7]):
		return 7
	}
	return 0
}

// foldPlaceKana folds, in place, the kana particles of place names that
// stand between two kanji in b (step 6): ヶ, ケ and ヵ to が, ノ to の. Each
// is three bytes in UTF-8, as its fold is.
func foldPlaceKana(b []byte) {
	for i := 0; i+3 <= len(b); i++ {
		if b[i] != 0xE3 {
			continue
		}
		var to string
		switch string(b[i : i+3]) {
		case "ヶ", "ケ", "ヵ":
			to = "が"
		case "ノ":
			to = "の"
		default:
			continue
		}
		before, _ := utf8.DecodeLastRune(b[:i])
		after, _ := utf8.DecodeRune(b[i+3:])
		if unicode.Is(unicode.Han, before) && unicode.Is(unicode.Han, after) {
			copy(b[i:], to)
		}
		i += 2
	}
}

// appendAddressBody appends the canonical form of s, a cleaned address
// without postal code or prefecture (steps 4 and 5).
func appendAddressBody(dst, s []byte) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c == ' ' {
			i++
			continue
		}
		if isASCIIDigit(c) {
			j := i
			for j < len(s) && isASCIIDigit(s[j]) {
				j++
			}
			if placeMarkerLen(s[j:]) > 0 || literalMarker(s[j:]) {
				dst = append(dst, s[i:j]...)
				i = j
				continue
			}
			return appendBlock(dst, s[i:])
		}
		if j := i + localityRun(s[i:]); j > i {
			dst = append(dst, s[i:j]...)
			i = j
			continue
		}
		j := i + kanjiRun(s[i:])
		v, ok := parseKanjiNumber(s[i:j])
		switch {
		case ok && kanjiStartsBlock(s[j:]):
			return appendBlock(dst, s[i:])
		case ok && placeMarkerLen(s[j:]) > 0:
			dst = appendUint(dst, v)
		default:
			dst = append(dst, s[i:j]...)
		}
		i = j
	}
	return dst
}

// localityRun returns the length of the runes at the start of b that
// appendAddressBody copies as they are: all but spaces, ASCII digits and
// kanji numerals. Copying them in one append is faster than rune by rune.
func localityRun(b []byte) int {
	n := 0
	for n < len(b) {
		c := b[n]
		if c < utf8.RuneSelf {
			if c == ' ' || isASCIIDigit(c) {
				break
			}
			n++
			continue
		}
		r, ok := decodeRune3(b[n:])
		size := 3
		if !ok {
			r, size = utf8.DecodeRune(b[n:])
		}
		if isKanjiNumeral(r) {
			break
		}
		n += size
	}
	return n
}

// placeMarkerLen returns the length of 条, 線 or 地割 at the start of b: the
// number before them belongs to the locality.
func placeMarkerLen(b []byte) int {
	if len(b) < 3 || b[0] != 0xE6 && b[0] != 0xE7 && b[0] != 0xE5 { // 条 線 地割
		return 0
	}
	for _, m := range [...]string{"条", "線", "地割"} {
		if bytes.HasPrefix(b, []byte(m)) {
			return len(m)
		}
	}
	return 0
}

// literalMarker reports whether b starts with what makes the number before
// it part of a place name: 番町, 番丁, or 丁 not followed by 目, a number or
// the end (八丁堀).
func literalMarker(b []byte) bool {
	if len(b) < 3 || b[0] != 0xE7 && b[0] != 0xE4 { // 番 丁
		return false
	}
	switch {
	case bytes.HasPrefix(b, []byte("番町")), bytes.HasPrefix(b, []byte("番丁")):
		return true
	case bytes.HasPrefix(b, []byte("丁目")):
		return false
	case bytes.HasPrefix(b, []byte("丁")):
		rest := b[len("丁"):]
		return len(rest) > 0 && numberLen(rest) == 0
	}
	return false
}

// kanjiStartsBlock reports whether a run of kanji numerals followed by b
// starts a block group.
func kanjiStartsBlock(b []byte) bool {
	if literalMarker(b) {
		return false
	}
	n := separatorLen(b)
	if n == 0 {
		return false
	}
	switch b[0] {
	case '-':
		return numberLen(b[n:]) > 0
	}
	if bytes.HasPrefix(b, []byte("の")) || bytes.HasPrefix(b, []byte("ノ")) {
		return numberLen(b[n:]) > 0
	}
	return true
}

// separatorLen returns the length of one block separator at the start of
// b: "-", 丁目, 丁, 番地, 番, 号, の or ノ.
func separatorLen(b []byte) int {
	if len(b) > 0 && b[0] == '-' {
		return 1
	}
	if len(b) < 3 || b[0] != 0xE4 && b[0] != 0xE7 && b[0] != 0xE5 && b[0] != 0xE3 { // 丁 番 地号 のノ
		return 0
	}
	for _, m := range [...]string{"丁目", "丁", "番地", "番", "号", "の", "ノ"} {
		if bytes.HasPrefix(b, []byte(m)) {
			return len(m)
		}
	}
	return 0
}

// numberLen returns the length of the ASCII digits, or of the kanji numerals
// making a valid number, at the start of b; or 0.
func numberLen(b []byte) int {
	j := 0
	for j < len(b) && isASCIIDigit(b[j]) {
		j++
	}
	if j > 0 {
		return j
	}
	k := kanjiRun(b)
	if k == 0 {
		return 0
	}
	if _, ok := parseKanjiNumber(b[:k]); !ok {
		return 0
	}
	return k
}

// appendBlock appends the block group at the start of s as numbers joined
// by "-".
func appendBlock(dst, s []byte) []byte {
	i := 0
	for parts := 1; ; parts++ {
		k := numberLen(s[i:])
		num := s[i : i+k]
		if isASCIIDigit(num[0]) {
			for len(num) > 1 && num[0] == '0' {
				num = num[1:]
			}
			dst = append(dst, num...)
		} else {
			v, _ := parseKanjiNumber(num)
			dst = appendUint(dst, v)
		}
		i += k
		if parts == maxBlockParts {
			return dst
		}
		j := i
		for {
			n := separatorLen(s[j:])
			if n == 0 {
				break
			}
			j += n
		}
		if j == i {
			return dst
		}
		k = numberLen(s[j:])
		if k == 0 {
			return dst
		}
		if !isASCIIDigit(s[j]) && j+k < len(s) && separatorLen(s[j+k:]) == 0 {
			return dst // a kanji numeral starting a name (三井ビル)
		}
		dst = append(dst, '-')
		i = j
	}
}
