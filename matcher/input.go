package matcher

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"path/filepath"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/leakwatch/leakwatch/fingerprints"
	asmutf8 "github.com/segmentio/asm/utf8"
	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Media types the matcher extracts text from.
const (
	MediaText = "text/plain"
	MediaHTML = "text/html"
	MediaJSON = "application/json"
)

// maxTokenBytes bounds one HTML or JSON token (a text node, a string).
const maxTokenBytes = 16 << 20

// ErrBinary is returned for input that is not text (it has NUL bytes).
var ErrBinary = errors.New("binary content, not text")

// Input is one document to scan.
type Input struct {
	// Source names the document in findings and errors: a path or URL.
	Source string
	// R is the document's bytes, in any supported encoding.
	R io.Reader
	// MediaType is MediaText, MediaHTML or MediaJSON; empty means guess
	// from Source's extension and the content.
	MediaType string
	// Charset, if known (an HTTP header's charset, --encoding), overrides
	// detection.
	Charset string
	// noMail keeps the content of a mail's part from being read as a
	// mail in its turn (a bound on nesting).
	noMail bool
}

// MediaTypeOf returns the media type a Content-Type header or file name
// suggests, or "" when neither says.
func MediaTypeOf(contentType, name string) string {
	if mt, _, err := mime.ParseMediaType(contentType); err == nil {
		switch {
		case mt == "text/html" || mt == "application/xhtml+xml":
			return MediaHTML
		case mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "application/x-ndjson":
			return MediaJSON
		case mt == MediaMail || mt == "application/mbox":
			return MediaMail
		case strings.HasPrefix(mt, "text/"):
			return MediaText
		}
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".html", ".htm", ".xhtml":
		return MediaHTML
	case ".eml", ".mbox":
		return MediaMail
	case ".json", ".jsonl", ".ndjson":
		return MediaJSON
	}
	return ""
}

// textOf returns a reader of the document's text as UTF-8: decoded from its
// encoding, and extracted from HTML or JSON. Memory is bounded by the
// reader buffers and the largest token.
func textOf(in Input) (io.Reader, func() error, error) {
	br := bufio.NewReaderSize(in.R, 64<<10)
	sample, err := br.Peek(64 << 10)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, nil, fmt.Errorf("reading %s: %w", in.Source, err)
	}
	if bytes.IndexByte(sample, 0) >= 0 && !bytes.HasPrefix(sample, []byte{0xFF, 0xFE}) && !bytes.HasPrefix(sample, []byte{0xFE, 0xFF}) {
		return nil, nil, fmt.Errorf("%s: %w", in.Source, ErrBinary)
	}
	mt := in.MediaType
	if mt == "" {
		mt = MediaTypeOf("", in.Source)
	}
	if mt == "" {
		mt = sniffMedia(sample)
		if mt == MediaMail && in.noMail {
			mt = MediaText
		}
	}
	if mt == MediaMail {
		return pipe(func(w *bufio.Writer) error { return mailText(w, br, in.Source) })
	}
	var text io.Reader
	if in.Charset != "" {
		enc, err := lookupCharset(in.Charset)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", in.Source, err)
		}
		text = transform.NewReader(br, decoderOf(enc))
	} else if mt == MediaHTML {
		enc, _, certain := charset.DetermineEncoding(sample, "text/html")
		if !certain {
			if name, err := fingerprints.DetectEncoding(sample); err == nil {
				_, enc, _ = fingerprints.LookupEncoding(name)
			}
		}
		text = transform.NewReader(br, decoderOf(enc))
	} else {
		name, err := fingerprints.DetectEncoding(sample)
		if err != nil {
			// Undecidable text is read as UTF-8, invalid bytes replaced:
			// the ASCII parts (e-mail addresses, numbers) still match.
			name = "utf-8"
		}
		_, enc, _ := fingerprints.LookupEncoding(name)
		if name == "utf-8" {
			// The BOM is dropped here: x/text's BOMOverride copies what
			// follows a UTF-8 BOM unchecked, invalid bytes and all.
			if bom, _ := br.Peek(3); string(bom) == "\ufeff" {
				br.Discard(3)
			}
			text = transform.NewReader(br, fastUTF8{unicode.UTF8.NewDecoder()})
		} else {
			text = transform.NewReader(br, enc.NewDecoder())
		}
	}
	text = transform.NewReader(text, &percentUTF8{})
	switch mt {
	case MediaHTML:
		return pipe(func(w *bufio.Writer) error { return htmlText(w, text) })
	case MediaJSON:
		return pipe(func(w *bufio.Writer) error { return jsonText(w, text, in.Source) })
	}
	return text, func() error { return nil }, nil
}

// lookupCharset returns the encoding a declared charset names: one of
// the loader's (fingerprints.LookupEncoding), else, for an HTTP or mail
// charset we do not name ourselves, the WHATWG encoding x/net knows by
// that label. The error is the loader's, which lists what it knows.
func lookupCharset(name string) (encoding.Encoding, error) {
	_, enc, err := fingerprints.LookupEncoding(name)
	if err != nil {
		if e, _ := charset.Lookup(name); e != nil {
			return e, nil
		}
		return nil, err
	}
	return enc, nil
}

// decoderOf returns a decoder from enc to UTF-8. x/net's charset names
// UTF-8 encoding.Nop, which copies invalid bytes as they are: it gets the
// UTF-8 decoder too, so that the scanner reads nothing but valid UTF-8.
func decoderOf(enc encoding.Encoding) transform.Transformer {
	if enc == unicode.UTF8 || enc == encoding.Nop {
		return fastUTF8{unicode.UTF8.NewDecoder()}
	}
	return enc.NewDecoder()
}

// fastUTF8 is the UTF-8 decoder with a shortcut: the decoder copies valid
// input as it is and replaces what is not valid, so input that is valid
// (almost all of it) is copied at once, and only the rest goes through the
// decoder, which keeps no state between calls. Validity is checked by
// segmentio/asm's vectorized utf8.Valid: on Japanese text, ten times as
// fast as the standard library's, which cost a third of the scan of
// prose.
// TestFastUTF8 compares the two on valid, broken and cut input.
type fastUTF8 struct{ transform.Transformer }

func (f fastUTF8) Transform(dst, src []byte, atEOF bool) (int, int, error) {
	n := len(src)
	if !atEOF {
		// An incomplete rune at the end waits for the next call.
		for i := len(src) - 1; i >= 0 && i >= len(src)-utf8.UTFMax; i-- {
			if utf8.RuneStart(src[i]) {
				if !utf8.FullRune(src[i:]) {
					n = i
				}
				break
			}
		}
	}
	if len(src) > len(dst) || !asmutf8.Valid(src[:n]) {
		return f.Transformer.Transform(dst, src, atEOF)
	}
	copy(dst, src[:n])
	if n < len(src) {
		return n, n, transform.ErrShortSrc
	}
	return n, n, nil
}

// percentUTF8 decodes the percent-encoded UTF-8 of URLs in text:
// name=%E5%B1%B1%E7%94%B0 is name=山田, as web server logs and the query
// strings pasted from them hold names and addresses. Only a complete,
// valid multi-byte character is decoded; ASCII escapes (%20, %40: the
// matcher reads %40 itself) and anything else stay as they are, so the
// text stays valid UTF-8 and no markup or delimiter appears where there
// was none.
//
// Older Japanese web applications encode their forms in Shift_JIS, and
// their URL encoders leave a trail byte that is a letter as it is: 山田 is
// %8ER%93c. Others encode them in EUC-JP: 山田 is %BB%B3%C5%C4. A
// Shift_JIS lead byte (%81-%9F, %E0-%EF, %FA-%FC) with a trail byte
// (encoded, or a letter or _ as it is), and two escaped bytes of EUC-JP's
// JIS X 0208 (%A1-%FE), are decoded too, when they are a character of
// Japanese text (kana, kanji, full-width forms and CJK punctuation); where
// the encodings disagree, percentChar decides, along the run of escapes.
// Other bytes that are not UTF-8 may decode so (Latin-1 caf%E9s reads as
// caf and a kanji): a character found where there was none of that
// script, which no field of a set is made of alone.
type percentUTF8 struct {
	// prev is the encoding of the last character decoded, when the run
	// of escapes it is in goes on: the next escape follows it at once
	// (or after a form's space).
	prev pctEncoding
}

// Reset forgets the last character.
func (p *percentUTF8) Reset() { *p = percentUTF8{} }

func (p *percentUTF8) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		k := bytes.IndexByte(src[nSrc:], '%')
		if k < 0 {
			k = len(src) - nSrc
		}
		if n := copy(dst[nDst:], src[nSrc:nSrc+k]); n < k {
			p.prev = encNone
			return nDst + n, nSrc + n, transform.ErrShortDst
		}
		if k > 0 {
			p.prev = encNone
		}
		nDst, nSrc = nDst+k, nSrc+k
		if nSrc == len(src) {
			break
		}
		var rb [utf8.UTFMax + 1]byte
		rn, w, enc, short := percentChar((*[utf8.UTFMax]byte)(rb[:]), src[nSrc:], atEOF, p.prev)
		if short && !atEOF {
			return nDst, nSrc, transform.ErrShortSrc
		}
		if w == 0 {
			rb[0], rn, w = '%', 1, 1 // no character: the % as it is
		} else if sw, sshort := formSpace(src[nSrc+w:]); sshort && !atEOF {
			return nDst, nSrc, transform.ErrShortSrc // a form's space may follow
		} else if sw > 0 {
			// 山田+太郎, 山田%20太郎: a form's space between two
			// encoded characters is a space.
			var next [utf8.UTFMax]byte
			_, nw, _, nshort := percentChar(&next, src[nSrc+w+sw:], atEOF, enc)
			if nshort && !atEOF {
				return nDst, nSrc, transform.ErrShortSrc
			}
			if nw > 0 {
				rb[rn], rn, w = ' ', rn+1, w+sw
			}
		}
		if nDst+rn > len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		nDst += copy(dst[nDst:], rb[:rn])
		nSrc += w
		p.prev = enc
	}
	return nDst, nSrc, nil
}

// percentChar decodes the percent-encoded character at the start of b,
// UTF-8, Shift_JIS or EUC-JP (percentRune, percentSJIS, percentEUC), into
// rb, and returns its length in bytes, the length of its encoding in b,
// and whether b ends before it could tell.
//
// Where only one encoding reads a character, that one is taken. Several
// may: a Shift_JIS kanji of JIS level 2 (燿 is E0 A0) or of the NEC-selected
// IBM extension (﨑 is ED 95) whose trail byte is 80-BF, before a
// character whose first byte is too, is three bytes of valid UTF-8 (燿一,
// %E0%A0%88%EA, reads as U+0808 and a stray %EA), and the two bytes of
// an EUC-JP kanji are often a Shift_JIS one, or two bytes of UTF-8. So:
//
//   - UTF-8 wins at once when its character is Japanese text
//     (isJapaneseRune, inJapaneseText) and is followed by no escape, an
//     ASCII one or another UTF-8 character: percent-encoded UTF-8 text,
//     the usual case.
//   - Otherwise each encoding that reads a character here reads on along
//     the run of escapes, at most runLook characters and escapes, and the
//     one that leaves the fewest escaped bytes from 80 undecoded wins: one
//     text is in one encoding.
//   - When they leave as many, the first of: the encoding of the last
//     character, if the run goes on from it (prev); UTF-8 if its
//     character is Japanese text or a letter of Europe (isLetterOfEurope);
//     Shift_JIS; EUC-JP; UTF-8.
//
// The fast way for UTF-8 is taken only where prev is UTF-8 or none. The
// encoding used is returned.
func percentChar(rb *[utf8.UTFMax]byte, b []byte, atEOF bool, prev pctEncoding) (n, w int, enc pctEncoding, short bool) {
	var r [numEncodings]reading
	found, one := 0, encNone
	for e := encUTF8; e < numEncodings; e++ {
		r[e].n, r[e].w, short = decodeAs(e, &r[e].rb, b)
		if short && !atEOF {
			return 0, 0, encNone, true
		}
		if r[e].w > 0 {
			found, one = found+1, e
		}
	}
	switch found {
	case 0:
		return 0, 0, encNone, false
	case 1:
		*rb = r[one].rb
		return r[one].n, r[one].w, one, false
	}
	u := &r[encUTF8]
	favoured := false
	if u.w > 0 {
		ur, _ := utf8.DecodeRune(u.rb[:u.n])
		favoured = isLetterOfEurope(ur) || isJapaneseRune(ur) || inJapaneseText(ur)
		if favoured && !isLetterOfEurope(ur) && (prev == encNone || prev == encUTF8) {
			c, ok, short := percentByte(b[u.w:], 0)
			if short && !atEOF {
				return 0, 0, encNone, true
			}
			next := !ok || c < 0x80
			if !next {
				var nb [utf8.UTFMax]byte
				_, nw, short := percentRune(&nb, b[u.w:])
				if short && !atEOF {
					return 0, 0, encNone, true
				}
				next = nw > 0
			}
			if next {
				*rb = u.rb
				return u.n, u.w, encUTF8, false
			}
		}
	}
	order := [...]pctEncoding{encSJIS, encEUC, encUTF8}
	if favoured {
		order = [...]pctEncoding{encUTF8, encSJIS, encEUC}
	}
	if prev != encNone {
		// The run's last character's encoding first.
		i := 0
		for order[i] != prev {
			i++
		}
		copy(order[1:i+1], order[:i])
		order[0] = prev
	}
	best, bestLeft := encNone, -1
	for _, e := range order {
		if r[e].w == 0 {
			continue
		}
		left, short := runLeft(e, b[r[e].w:], atEOF)
		if short {
			return 0, 0, encNone, true
		}
		if bestLeft == -1 || left < bestLeft {
			best, bestLeft = e, left
		}
	}
	*rb = r[best].rb
	return r[best].n, r[best].w, best, false
}

// An encoding of percent-encoded text: see percentChar.
type pctEncoding int

const (
	encNone pctEncoding = iota // no character, or not in the same run
	encUTF8
	encSJIS
	encEUC
	numEncodings
)

// reading is one encoding's reading of the character at a position, for
// percentChar.
type reading struct {
	rb   [utf8.UTFMax]byte
	n, w int
}

// decodeAs decodes the character percent-encoded at the start of b in
// encoding e, as percentRune, percentSJIS or percentEUC.
func decodeAs(e pctEncoding, rb *[utf8.UTFMax]byte, b []byte) (n, w int, short bool) {
	switch e {
	case encUTF8:
		return percentRune(rb, b)
	case encSJIS:
		return percentSJIS(rb, b)
	}
	return percentEUC(rb, b)
}

// inJapaneseText reports whether r, of no Japanese script, is one of the
// punctuation marks and symbols Japanese text uses: dashes, quotes, ‥ and
// …, ‰, ※ (U+2010-U+203B), letterlike symbols, arrows, ①, box drawing,
// shapes and the radicals (U+2100-U+2FFF: ℃, №, →, ─, ■, ★, ⽇ from a
// PDF), and enclosed and compatibility CJK (U+3100-U+33FF: ㈱, ㍉, ㍻).
func inJapaneseText(r rune) bool {
	return r >= 0x2010 && r <= 0x203B || r >= 0x2100 && r <= 0x2FFF || r >= 0x3100 && r <= 0x33FF
}

// isLetterOfEurope reports whether r is a Latin letter of Latin-1 or
// Latin Extended (é, ü, ł), a Greek or Cyrillic one, or a sign of Latin-1
// that JIS X 0208 has too (§ ¨ ° ± ´ ¶ × ÷): letters of names, and signs
// of Japanese text, which two escapes of UTF-8 may be (José is %C3%A9 in
// UTF-8, a kanji in EUC-JP).
func isLetterOfEurope(r rune) bool {
	switch r {
	case '§', '¨', '°', '±', '´', '¶', '×', '÷':
		return true
	}
	return r >= 0xC0 && r <= 0x24F || r >= 0x370 && r <= 0x4FF
}

// runLook is how many characters and escapes percentChar reads ahead.
const runLook = 8

// runLeft returns how many escaped bytes from 80 the run of escapes at the
// start of b leaves undecoded, read in encoding e, up to the first byte
// that is no escape or for runLook characters and escapes (an ASCII
// escape, %40 or %5B, may be a Shift_JIS trail byte or an @ or [ after a
// UTF-8 character: it counts for neither); short reports that b ends
// before it could tell.
func runLeft(e pctEncoding, b []byte, atEOF bool) (left int, short bool) {
	var rb [utf8.UTFMax]byte
	for range runLook {
		c, ok, short := percentByte(b, 0)
		switch {
		case short:
			return left, !atEOF // at the end, the run ends
		case !ok:
			return left, false
		case c < 0x80:
			b = b[3:]
			continue
		}
		_, w, short := decodeAs(e, &rb, b)
		if short && !atEOF {
			return 0, true
		}
		if w == 0 {
			left, w = left+1, 3
		}
		b = b[w:]
	}
	return left, false
}

// formSpace returns the length of the space of a form's encoding at the
// start of b (+ or %20), or 0; short reports that b ends before it could
// tell.
func formSpace(b []byte) (n int, short bool) {
	switch {
	case len(b) == 0:
		return 0, true
	case b[0] == '+':
		return 1, false
	case len(b) >= 3 && string(b[:3]) == "%20":
		return 3, false
	}
	return 0, string(b) == "%" || string(b) == "%2"
}

// percentRune decodes the percent-encoded UTF-8 character at the start of
// b ("%E5%B1%B1") into rb, and returns its length in bytes and the length
// of its encoding in b; 0, 0 if there is none. short reports that b ends
// before it could tell.
func percentRune(rb *[utf8.UTFMax]byte, b []byte) (n, w int, short bool) {
	for n < utf8.UTFMax {
		c, ok, short := percentByte(b, w)
		if short {
			return 0, 0, true
		}
		if !ok {
			break
		}
		if n == 0 && c < 0xC2 || n > 0 && !(c >= 0x80 && c < 0xC0) {
			break // no lead byte first, or no continuation byte after it
		}
		rb[n] = c
		n, w = n+1, w+3
		if utf8.FullRune(rb[:n]) {
			if r, size := utf8.DecodeRune(rb[:n]); r == utf8.RuneError || size != n {
				return 0, 0, false
			}
			return n, w, false
		}
	}
	return 0, 0, false
}

// percentSJIS decodes the percent-encoded Shift_JIS character at the
// start of b (%8ER, %93c, %82%A0) into rb, as percentRune does UTF-8: its
// length in bytes, the length of its encoding in b, and whether b ends
// before it could tell. It decodes only characters of Japanese text.
func percentSJIS(rb *[utf8.UTFMax]byte, b []byte) (n, w int, short bool) {
	lead, ok, short := percentByte(b, 0)
	if !ok || !isSJISLead(lead) {
		return 0, 0, short
	}
	var trail byte
	switch {
	case len(b) < 4:
		return 0, 0, true
	case b[3] == '%':
		if trail, ok, short = percentByte(b, 3); !ok {
			return 0, 0, short
		}
		w = 6
	case isASCIILetter(b[3]) || b[3] == '_':
		trail, w = b[3], 4
	default:
		return 0, 0, false
	}
	if !(trail >= 0x40 && trail <= 0x7E || trail >= 0x80 && trail <= 0xFC) {
		return 0, 0, false
	}
	r := rune(sjisJapanese()[lead-0x80][trail])
	if r == 0 {
		return 0, 0, false
	}
	return utf8.EncodeRune(rb[:], r), w, false
}

// sjisJapanese maps the two bytes of a Shift_JIS (CP932) character, the
// lead byte less 80, to the character where it is Japanese text
// (isJapaneseRune), and to 0 elsewhere: x/text's decoder, once, for
// percentSJIS, which every percent-encoded kanji of UTF-8 may call too
// (E5 B1 of 山 is also a Shift_JIS kanji).
var sjisJapanese = sync.OnceValue(func() *[0x80][0x100]uint16 {
	var t [0x80][0x100]uint16
	dec := japanese.ShiftJIS.NewDecoder()
	for lead := 0x80; lead <= 0xFF; lead++ {
		if !isSJISLead(byte(lead)) {
			continue
		}
		for trail := 0x40; trail <= 0xFC; trail++ {
			u, err := dec.Bytes([]byte{byte(lead), byte(trail)})
			r, size := utf8.DecodeRune(u)
			if err == nil && size == len(u) && isJapaneseRune(r) {
				t[lead-0x80][trail] = uint16(r) // all in the BMP
			}
		}
	}
	return &t
})

// percentEUC decodes the percent-encoded EUC-JP character at the start of
// b (%C5%EC%B5%FE is 東京), as percentSJIS does Shift_JIS: two escaped
// bytes of JIS X 0208 (A1-FE each) that make a character of Japanese
// text. Half-width kana (8E) and JIS X 0212 (8F) are not read.
func percentEUC(rb *[utf8.UTFMax]byte, b []byte) (n, w int, short bool) {
	lead, ok, short := percentByte(b, 0)
	if !ok || lead < 0xA1 || lead == 0xFF {
		return 0, 0, short
	}
	trail, ok, short := percentByte(b, 3)
	if !ok || trail < 0xA1 || trail == 0xFF {
		return 0, 0, short
	}
	r := rune(eucJapanese()[lead-0xA1][trail-0xA1])
	if r == 0 {
		return 0, 0, false
	}
	return utf8.EncodeRune(rb[:], r), 6, false
}

// eucJapanese maps the two bytes of an EUC-JP character of JIS X 0208,
// each less A1, to the character where it is Japanese text
// (isJapaneseRune), and to 0 elsewhere: x/text's decoder, once.
var eucJapanese = sync.OnceValue(func() *[0x5E][0x5E]uint16 {
	var t [0x5E][0x5E]uint16
	dec := japanese.EUCJP.NewDecoder()
	for lead := 0xA1; lead <= 0xFE; lead++ {
		for trail := 0xA1; trail <= 0xFE; trail++ {
			u, err := dec.Bytes([]byte{byte(lead), byte(trail)})
			r, size := utf8.DecodeRune(u)
			if err == nil && size == len(u) && isJapaneseRune(r) {
				t[lead-0xA1][trail-0xA1] = uint16(r)
			}
		}
	}
	return &t
})

// percentByte returns the byte that b encodes at i as %XX, and whether it
// does; short reports that b ends before it could tell.
func percentByte(b []byte, i int) (c byte, ok, short bool) {
	for k := i; k < i+3; k++ {
		if k >= len(b) {
			return 0, false, true
		}
		if k == i && b[k] != '%' || k > i && unhex(b[k]) < 0 {
			return 0, false, false
		}
	}
	return byte(unhex(b[i+1])<<4 | unhex(b[i+2])), true, false
}

// isSJISLead reports whether c leads a two-byte character of Shift_JIS
// (CP932): JIS X 0208 and the NEC and IBM extensions (﨑 is ED 95 or FA B1,
// 髙 FB FC), not the user-defined area (F0-F9).
func isSJISLead(c byte) bool {
	return c >= 0x81 && c <= 0x9F || c >= 0xE0 && c <= 0xEF || c >= 0xFA && c <= 0xFC
}

// isJapaneseRune reports whether r is a character of Japanese text: CJK
// punctuation, kana, kanji (with extension A and the compatibility
// ideographs, where 﨑 is) or a full-width form.
func isJapaneseRune(r rune) bool {
	return r >= 0x3000 && r <= 0x30FF || r >= 0x3400 && r <= 0x4DBF || r >= 0x4E00 && r <= 0x9FFF ||
		r >= 0xF900 && r <= 0xFAFF || r >= 0xFF01 && r <= 0xFF9F
}

// unhex returns the value of the hexadecimal digit c, or -1.
func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c|0x20 >= 'a' && c|0x20 <= 'f':
		return int(c|0x20-'a') + 10
	}
	return -1
}

func sniffMedia(sample []byte) string {
	s := bytes.TrimSpace(bytes.TrimPrefix(sample, []byte("\ufeff")))
	lower := bytes.ToLower(s[:min(len(s), 512)])
	switch {
	case bytes.HasPrefix(lower, []byte("<!doctype html")), bytes.HasPrefix(lower, []byte("<html")),
		bytes.Contains(lower, []byte("<body")), bytes.Contains(lower, []byte("<table")):
		return MediaHTML
	case len(s) > 0 && (s[0] == '{' || s[0] == '[') && json.Valid(firstLine(s)):
		return MediaJSON
	case looksLikeMail(s):
		return MediaMail
	}
	return MediaText
}

// looksLikeMail reports whether a sample starts as a mailbox does (an
// mbox "From " line) or as a message does: a header block whose first
// line is a field, holding a From and one of Date, Message-ID,
// MIME-Version and Received.
func looksLikeMail(s []byte) bool {
	if bytes.HasPrefix(s, []byte("From ")) {
		_, rest, _ := bytes.Cut(s, []byte("\n"))
		s = rest
	}
	end := bytes.Index(s, []byte("\n\n"))
	if e := bytes.Index(s, []byte("\r\n\r\n")); e >= 0 && (end < 0 || e < end) {
		end = e
	}
	if end < 0 {
		return false
	}
	head := bytes.ToLower(s[:end])
	name, _, ok := bytes.Cut(firstLine(head), []byte(":"))
	if !ok || len(name) == 0 || bytes.ContainsAny(name, " \t") {
		return false
	}
	head = append([]byte("\n"), head...)
	if !bytes.Contains(head, []byte("\nfrom:")) {
		return false
	}
	for _, f := range []string{"\ndate:", "\nmessage-id:", "\nmime-version:", "\nreceived:"} {
		if bytes.Contains(head, []byte(f)) {
			return true
		}
	}
	return false
}

func firstLine(s []byte) []byte {
	if i := bytes.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// pipe runs an extractor in a goroutine writing to a pipe, and returns the
// reading end and a function returning the extractor's error.
func pipe(extract func(w *bufio.Writer) error) (io.Reader, func() error, error) {
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		bw := bufio.NewWriterSize(pw, 64<<10)
		err := extract(bw)
		if err == nil {
			err = bw.Flush()
		}
		pw.CloseWithError(err)
		done <- err
	}()
	wait := func() error {
		pr.Close() // unblock the writer if the reader stopped early
		err := <-done
		if errors.Is(err, io.ErrClosedPipe) {
			return nil
		}
		return err
	}
	return pr, wait, nil
}

// htmlText writes the text of an HTML document: text nodes, with block
// elements and <br> as line breaks and table cells as tabs (so cells stay
// apart), and the targets of mailto: and tel: links. Scripts and styles are
// left out. A table row is written as one line, its cells after tabs, the
// way a TSV dump is (the matcher's row rule reads it so): inside a row,
// the white space between cells (the indentation of a pretty-printed
// table) is dropped, and block elements and <br> become spaces.
//
// Ruby annotations (<ruby>山田<rt>やまだ</rt></ruby>, the readings
// printed over names in school rosters and forms) are written apart from
// their base text, so that neither splits the other: the base text as it
// stands, then the readings in parentheses, 山田太郎 (やまだたろう). The
// readings of rubies separated only by white space (one per name part)
// are gathered, 山田 太郎 (やまだ たろう), and written before the next
// text, cell or block. <rp> holds the parentheses a browser without ruby
// shows, and is left out.
func htmlText(w *bufio.Writer, r io.Reader) error {
	z := html.NewTokenizer(r)
	z.SetMaxBuf(maxTokenBytes)
	skip := 0
	inRow := false
	var rb rubyText
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			rb.flush(w)
			if err := z.Err(); err != io.EOF {
				return fmt.Errorf("reading HTML: %w", err)
			}
			return nil
		case html.TextToken:
			if skip == 0 {
				text := z.Text()
				blank := len(bytes.TrimSpace(text)) == 0
				if rb.text(text, blank) {
					continue
				}
				if !blank {
					rb.flush(w)
				}
				if inRow && blank {
					continue
				}
				writeNBSPAsSpace(w, text)
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, hasAttr := z.TagName()
			tag := string(name)
			switch tag {
			case "script", "style", "noscript", "template":
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
				continue
			case "ruby", "rb", "rt", "rp", "rtc":
				rb.tag(tag, tt)
				continue
			}
			if rb.annotating() {
				continue // inline markup inside a reading
			}
			switch tag {
			case "td", "th":
				rb.flush(w)
				if tt != html.EndTagToken {
					w.WriteByte('\t')
				}
			case "tr", "table", "tbody", "thead", "tfoot":
				rb.flush(w)
				inRow = tag == "tr" && tt == html.StartTagToken
				w.WriteByte('\n')
			case "br", "p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote",
				"dd", "dt", "hr", "section", "article", "header", "footer", "ul", "ol", "dl", "title", "address":
				rb.flush(w)
				if inRow {
					w.WriteByte(' ')
				} else {
					w.WriteByte('\n')
				}
			default:
				if tt != html.EndTagToken {
					w.WriteByte(' ')
				}
			}
			for hasAttr && tt != html.EndTagToken {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				if string(k) != "href" {
					continue
				}
				lv := bytes.ToLower(v)
				if bytes.HasPrefix(lv, []byte("mailto:")) || bytes.HasPrefix(lv, []byte("tel:")) {
					w.WriteByte(' ')
					w.Write(v[bytes.IndexByte(v, ':')+1:])
					w.WriteByte(' ')
				}
			}
		}
	}
}

// rubyText holds htmlText's state inside and after <ruby> elements: the
// readings not yet written.
type rubyText struct {
	depth   int    // open <ruby> elements
	in      string // the open annotation element: "rt", "rp" or ""
	reading []byte // readings gathered, not yet written
}

// tag follows a ruby element's tag.
func (r *rubyText) tag(tag string, tt html.TokenType) {
	switch {
	case tt == html.SelfClosingTagToken:
	case tag == "ruby" && tt == html.StartTagToken:
		r.depth++
	case tag == "ruby":
		r.depth = max(r.depth-1, 0)
		r.in = ""
	case tag == "rt" || tag == "rp":
		if tt == html.StartTagToken {
			r.in = tag
		} else {
			r.in = ""
		}
	case tag == "rb" || tag == "rtc":
		// <rb> holds base text, written as any text is; <rtc> holds <rt>s.
		if tt == html.StartTagToken {
			r.in = ""
		}
	}
}

// maxReading bounds the readings rubyText gathers: far more than any
// name's, and a page that never closes an <rt> costs no more.
const maxReading = 1 << 10

// annotating reports whether an <rt> or <rp> is open.
func (r *rubyText) annotating() bool { return r.depth > 0 && r.in != "" }

// text takes a text token, blank when it is only white space, and
// reports whether it took it whole: the text of <rt> (kept as a reading)
// and <rp> (dropped). White space between rubies separates their
// readings as it separates their base texts.
func (r *rubyText) text(text []byte, blank bool) bool {
	if r.depth > 0 {
		switch r.in {
		case "rt":
			text = bytes.TrimSpace(text)
			if len(r.reading)+len(text) > maxReading {
				return false // no reading: written as text, memory kept bounded
			}
			r.reading = append(r.reading, text...)
			return true
		case "rp":
			return true
		}
		return false
	}
	if len(r.reading) > 0 && blank && r.reading[len(r.reading)-1] != ' ' {
		r.reading = append(r.reading, ' ')
	}
	return false
}

// flush writes the readings gathered, if any, as " (…) ", once no ruby
// is open. It is called before anything that ends a run of rubies: text
// that is not blank, a cell, a block, the end of the document.
func (r *rubyText) flush(w *bufio.Writer) {
	if r.depth > 0 {
		return
	}
	reading := bytes.TrimSpace(r.reading)
	r.reading = r.reading[:0]
	if len(reading) == 0 {
		return
	}
	w.WriteString(" (")
	writeNBSPAsSpace(w, reading)
	w.WriteString(") ")
}

// writeNBSPAsSpace writes text with each no-break space (U+00A0, which
// &nbsp; is) as a space: in HTML it spaces words as a space does, and a
// name written 山田&nbsp;太郎 is read as 山田 太郎.
func writeNBSPAsSpace(w *bufio.Writer, text []byte) {
	for {
		i := bytes.Index(text, []byte("\u00a0"))
		if i < 0 {
			w.Write(text)
			return
		}
		w.Write(text[:i])
		w.WriteByte(' ')
		text = text[i+len("\u00a0"):]
	}
}

// jsonText copies a JSON document (or JSON Lines, or something that only
// looks like JSON) with the escapes inside its strings decoded: \u5c71 is
// written as 山, \n as a line break. Punctuation and keys stay and keep
// values apart. It never fails on malformed JSON: a log whose first line
// happened to be an object is still scanned whole.
func jsonText(w *bufio.Writer, r io.Reader, source string) error {
	br := bufio.NewReaderSize(r, 64<<10)
	inString := false
	var pendingHigh rune // a high surrogate waiting for its low half
	for {
		c, err := br.ReadByte()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", source, err)
		}
		if c == '"' {
			inString = !inString
			w.WriteByte(c)
			continue
		}
		if !inString || c != '\\' {
			w.WriteByte(c)
			continue
		}
		e, err := br.ReadByte()
		if err != nil {
			w.WriteByte(c)
			continue
		}
		switch e {
		case 'n', 'r':
			w.WriteByte('\n')
		case 't':
			w.WriteByte('\t')
		case 'u':
			hex, _ := br.Peek(4)
			v, ok := parseHex4(hex)
			if !ok {
				w.WriteString("\\u")
				continue
			}
			br.Discard(4)
			r := rune(v)
			switch {
			case r >= 0xD800 && r < 0xDC00:
				pendingHigh = r
				continue
			case r >= 0xDC00 && r < 0xE000 && pendingHigh != 0:
				r = (pendingHigh-0xD800)<<10 + (r - 0xDC00) + 0x10000
			}
			pendingHigh = 0
			w.WriteRune(r)
		default:
			w.WriteByte(e) // \" \\ \/ and anything else: the character itself
		}
	}
}

func parseHex4(b []byte) (uint16, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var v uint16
	for _, c := range b[:4] {
		d := unhex(c)
		if d < 0 {
			return 0, false
		}
		v = v<<4 | uint16(d)
	}
	return v, true
}
