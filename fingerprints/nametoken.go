package fingerprints

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Name candidates by the substring.
//
// The matcher tries every substring of 2 to 16 runes of a kanji or kana
// token as a name, which is up to a hundred normalizations per token. For
// kanji and kana the Name normalization is per rune (NFKC, hiragana to
// katakana, the kanji variants of foldKanji, separators removed) except where
// runes combine: a combining or half-width sound mark, a character whose NFKC
// form is several runes. NameToken normalizes a token once, rune by rune, and
// remembers which runes are context-free, so that a substring of
// context-free runes is a slice of the token's form; the other substrings
// must go through AppendNormalized. TestNameTokenMatchesNormalize and
// FuzzNameToken check that the two ways agree.

// NameToken is the Name normalization of a token of kanji and kana, rune by
// rune. The zero value is an empty token; Reset reuses its buffers.
type NameToken struct {
	norm []byte
	// pre[k] sums what the runes before rune k contributed; pre[0] is zero.
	pre []namePrefix
}

type namePrefix struct {
	normEnd int32 // bytes of norm written
	srcEnd  int32 // bytes of src read
	bad     int32 // runes that are not context-free
	letters int32 // letters written
}

// Reset normalizes the runes of src one by one, replacing what t held.
// src is not retained.
func (t *NameToken) Reset(src []byte) {
	t.norm = t.norm[:0]
	t.pre = append(t.pre[:0], namePrefix{})
	cur := namePrefix{}
	for i := 0; i < len(src); {
		r, ok := decodeRune3(src[i:]) // kana and kanji, inline
		size := 3
		if !ok {
			r, size = utf8.DecodeRune(src[i:])
		}
		i += size
		out, ok := nameRuneForm(r, size)
		switch {
		case !ok:
			cur.bad++
		case out >= 0x3000 && out <= 0x9FFF: // kana and kanji, inline
			t.norm = append(t.norm, byte(0xE0|out>>12), byte(0x80|out>>6&0x3F), byte(0x80|out&0x3F))
			cur.letters++
		case out != 0:
			t.norm = utf8.AppendRune(t.norm, out)
			cur.letters++
		}
		cur.normEnd = int32(len(t.norm))
		cur.srcEnd = int32(i)
		t.pre = append(t.pre, cur)
	}
}

// Len returns the number of runes of the token (invalid bytes count as one
// rune each, as utf8.DecodeRune reads them).
func (t *NameToken) Len() int { return len(t.pre) - 1 }

// Sub returns the Name normalization of runes [i, j) of the token, the same
// bytes AppendNormalized(nil, Name, those runes' bytes) returns, and true.
// It returns false when the substring holds a rune that is not
// context-free, or fewer than two letters, or is out of range: the caller
// must then normalize the substring itself. The result is valid until the
// next Reset and must not be modified.
func (t *NameToken) Sub(i, j int) ([]byte, bool) {
	if i < 0 || j >= len(t.pre) || i >= j {
		return nil, false
	}
	a, b := t.pre[i], t.pre[j]
	if b.bad != a.bad || b.letters-a.letters < 2 || b.srcEnd-a.srcEnd > maxNameBytes {
		return nil, false
	}
	return t.norm[a.normEnd:b.normEnd], true
}

// nameRuneForm returns what the rune r (read as size bytes) contributes to
// a normalized name on its own: a letter, or 0 for a separator that is
// removed. ok is false unless that holds wherever r stands among other
// context-free runes, which needs r to start a normalization segment (it
// cannot combine with what precedes it) and to have a one-rune NFKC form
// appendName keeps as a letter, or a separator it drops.
func nameRuneForm(r rune, size int) (out rune, ok bool) {
	switch {
	case r >= 0x3041 && r <= 0x3096: // hiragana
		return r + 0x60, true
	case r >= 0x30A1 && r <= 0x30FA, r == 0x30FC: // katakana, ー
		return r, true
	case r >= 0x4E00 && r <= 0x9FFF: // CJK unified ideographs
		return foldKanji(r), true
	case r == ' ' || r == '\u3000':
		return 0, true
	case r == utf8.RuneError && size == 1:
		return 0, false
	}
	// The other runes of kanji and kana tokens: the iteration marks, kana
	// marks and half-width katakana, the extensions and compatibility
	// ideographs. Everything else (Hangul, whose jamo compose, Latin,
	// digits, symbols) is left to the full normalizer.
	switch {
	case r >= 0x3005 && r <= 0x3006, r >= 0x3099 && r <= 0x30FF,
		r >= 0x3400 && r <= 0x4DBF, r >= 0xF900 && r <= 0xFAFF,
		r >= 0xFF66 && r <= 0xFF9F, r >= 0x20000 && r <= 0x3FFFF:
	default:
		return 0, false
	}
	var b [utf8.UTFMax]byte
	n := utf8.EncodeRune(b[:], r)
	if !norm.NFKC.Properties(b[:n]).BoundaryBefore() {
		return 0, false
	}
	var nb [4 * utf8.UTFMax]byte
	nf := appendNFKC(nb[:0], b[:n])
	r1, n1 := utf8.DecodeRune(nf)
	if n1 != len(nf) || r1 == utf8.RuneError || !norm.NFKC.Properties(nf).BoundaryBefore() {
		return 0, false
	}
	// The cases of appendName, in its order.
	switch {
	case unicode.IsNumber(r1), r1 == '@', isMark(r1), isWesternLetter(r1):
		return 0, false
	case isNameSeparator(r1), isJoiner(r1):
		return 0, true
	case !unicode.IsLetter(r1):
		return 0, false
	}
	out = foldKanji(toKatakana(r1))
	n = utf8.EncodeRune(b[:], out)
	if p := norm.NFKC.Properties(b[:n]); !p.BoundaryBefore() || !norm.NFKC.IsNormal(b[:n]) || !unicode.IsLetter(out) {
		return 0, false
	}
	return out, true
}
