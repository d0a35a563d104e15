package fingerprints

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/unicode"
)

// The encodings leakwatch reads, by the names --encoding accepts.
var encodings = map[string]encoding.Encoding{
	"utf-8":       unicode.UTF8,
	"shift_jis":   japanese.ShiftJIS, // x/text's ShiftJIS is CP932 (Windows-31J)
	"euc-jp":      japanese.EUCJP,
	"iso-2022-jp": japanese.ISO2022JP,
	"utf-16":      unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM),
}

var encodingAliases = map[string]string{
	"utf8": "utf-8", "sjis": "shift_jis", "shift-jis": "shift_jis", "cp932": "shift_jis",
	"windows-31j": "shift_jis", "ms932": "shift_jis", "eucjp": "euc-jp", "euc_jp": "euc-jp",
	"jis": "iso-2022-jp", "iso2022jp": "iso-2022-jp", "utf16": "utf-16",
}

// LookupEncoding returns the canonical name and the encoding for a name
// given by a user (case-insensitive; common aliases such as cp932 and sjis
// are accepted).
func LookupEncoding(name string) (string, encoding.Encoding, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	if a, ok := encodingAliases[n]; ok {
		n = a
	}
	if e, ok := encodings[n]; ok {
		return n, e, nil
	}
	return "", nil, fmt.Errorf("unknown encoding %q (known: utf-8, shift_jis (cp932), euc-jp, iso-2022-jp, utf-16)", name)
}

// DetectEncoding guesses the encoding of text from a sample of its start
// (64 KiB is plenty): a BOM decides; then ISO-2022-JP escapes; then valid
// UTF-8; then whichever of Shift_JIS and EUC-JP the bytes are well-formed
// in, preferring the one whose kana bytes are typical when both are. It
// returns an error when none fits, so the caller can ask for --encoding.
func DetectEncoding(sample []byte) (string, error) {
	switch {
	case bytes.HasPrefix(sample, []byte{0xEF, 0xBB, 0xBF}):
		return "utf-8", nil
	case bytes.HasPrefix(sample, []byte{0xFF, 0xFE}), bytes.HasPrefix(sample, []byte{0xFE, 0xFF}):
		return "utf-16", nil
	}
	if isISO2022JP(sample) {
		return "iso-2022-jp", nil
	}
	if validUTF8Prefix(sample) {
		return "utf-8", nil
	}
	sjisBad, sjisKana, sjisHalf := scanShiftJIS(sample)
	eucBad, eucKana := scanEUCJP(sample)
	switch {
	case sjisBad == 0 && eucBad == 0:
		// EUC-JP read as Shift_JIS turns many of its bytes into single
		// half-width katakana, which real Shift_JIS text rarely has more
		// of than full-width kana.
		if eucKana > sjisKana || sjisHalf > sjisKana {
			return "euc-jp", nil
		}
		return "shift_jis", nil
	case sjisBad == 0:
		return "shift_jis", nil
	case eucBad == 0:
		return "euc-jp", nil
	}
	return "", fmt.Errorf("cannot tell the encoding: the text is not valid UTF-8, Shift_JIS or EUC-JP")
}

// validUTF8Prefix reports whether s is valid UTF-8, allowing the sample to
// end in the middle of a character.
func validUTF8Prefix(s []byte) bool {
	for i := len(s) - 1; i >= 0 && i >= len(s)-utf8.UTFMax; i-- {
		if utf8.RuneStart(s[i]) {
			if !utf8.FullRune(s[i:]) {
				s = s[:i]
			}
			break
		}
	}
	return utf8.Valid(s)
}

func isISO2022JP(s []byte) bool {
	for _, b := range s {
		if b >= 0x80 {
			return false
		}
	}
	return bytes.Contains(s, []byte("\x1b$B")) || bytes.Contains(s, []byte("\x1b$@")) || bytes.Contains(s, []byte("\x1b(J"))
}

// scanShiftJIS counts byte sequences that are not well-formed Shift_JIS
// (CP932), the double-byte characters that are hiragana or katakana, and
// the single-byte half-width katakana.
func scanShiftJIS(s []byte) (bad, kana, half int) {
	for i := 0; i < len(s); i++ {
		b := s[i]
		switch {
		case b < 0x80:
		case b >= 0xA1 && b <= 0xDF:
			half++
		case (b >= 0x81 && b <= 0x9F) || (b >= 0xE0 && b <= 0xFC):
			if i+1 >= len(s) {
				return bad, kana, half // cut at the end of the sample
			}
			t := s[i+1]
			if t < 0x40 || t == 0x7F || t > 0xFC {
				bad++
			} else if b == 0x82 || b == 0x83 {
				kana++
			}
			i++
		default:
			bad++
		}
	}
	return bad, kana, half
}

// scanEUCJP does the same for EUC-JP.
func scanEUCJP(s []byte) (bad, kana int) {
	for i := 0; i < len(s); i++ {
		b := s[i]
		switch {
		case b < 0x80:
		case b == 0x8E: // half-width katakana
			if i+1 >= len(s) {
				return bad, kana
			}
			if t := s[i+1]; t < 0xA1 || t > 0xDF {
				bad++
			}
			i++
		case b == 0x8F: // JIS X 0212
			if i+2 >= len(s) {
				return bad, kana
			}
			if s[i+1] < 0xA1 || s[i+1] == 0xFF || s[i+2] < 0xA1 || s[i+2] == 0xFF {
				bad++
			}
			i += 2
		case b >= 0xA1 && b <= 0xFE:
			if i+1 >= len(s) {
				return bad, kana
			}
			if t := s[i+1]; t < 0xA1 || t == 0xFF {
				bad++
			} else if b == 0xA4 || b == 0xA5 {
				kana++
			}
			i++
		default:
			bad++
		}
	}
	return bad, kana
}
