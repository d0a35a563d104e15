package fingerprints

import "unicode/utf8"

// Telephone numbers.
//
// Canonical form: E.164, "+" and the digits. Japanese numbers become
// "+81" and the national number without its leading 0.
//
// Accepted: NFKC (full-width digits), then digits separated by any of white
// space, ".", "/", parentheses, "-" and its look-alikes (isDash, ー
// included). A "+" may only come first. Then:
//   - "+81", "0081" or "01081" (010 is the Japanese international prefix) and
//     a Japanese national number, whose own leading 0 may be repeated, as in
//     "+81 (0)90-1234-5678";
//   - a domestic number starting with a single 0: 11 digits when it starts
//     with 070, 080, 090, 050, 020 or 0800, 10 digits otherwise (landlines,
//     0120, 0570, ...);
//   - "+", "00" or "010" and 8 to 15 digits of another country, kept as is.
//
// A number with neither "+" nor a leading 0 ("81 90 ...", a bare local
// number) is rejected: it cannot be placed.

func init() { register(Phone, appendPhone) }

var (
	errPhoneChar     = invalid(Phone, "character not allowed")
	errPhonePlus     = invalid(Phone, "misplaced plus sign")
	errPhoneNoDigits = invalid(Phone, "no digits")
	errPhoneLength   = invalid(Phone, "wrong number of digits")
	errPhonePrefix   = invalid(Phone, "no country code or leading 0")
)

// maxPhoneDigits bounds the digits kept: "010" + 15 digits of E.164 + a
// repeated trunk 0.
const maxPhoneDigits = 20

func appendPhone(dst, src []byte) ([]byte, error) {
	start := len(dst)
	dst = appendNFKC(dst, src)
	b := dst[start:]
	var buf [maxPhoneDigits]byte
	n, plus := 0, false
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case isASCIIDigit(c):
				if n == len(buf) {
					return dst[:start], errPhoneLength
				}
				buf[n] = c
				n++
			case c == '+':
				if plus || n > 0 {
					return dst[:start], errPhonePlus
				}
				plus = true
			case c == '.' || c == '/' || c == '(' || c == ')' || c == '-' || isASCIISpace(c):
			default:
				return dst[:start], errPhoneChar
			}
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		i += size
		if !isDash(r) && !isSpace(r) {
			return dst[:start], errPhoneChar
		}
	}
	dst = dst[:start]
	d := buf[:n]
	if n == 0 {
		return dst, errPhoneNoDigits
	}
	var intl []byte
	switch {
	case plus:
		intl = d
	case hasDigits(d, "010"):
		intl = d[3:]
	case hasDigits(d, "00"):
		intl = d[2:]
	case d[0] == '0':
		return appendJapanese(dst, d[1:])
	default:
		return dst, errPhonePrefix
	}
	if hasDigits(intl, "81") {
		nat := intl[2:]
		if len(nat) > 0 && nat[0] == '0' {
			nat = nat[1:]
		}
		return appendJapanese(dst, nat)
	}
	if len(intl) < 8 || len(intl) > 15 || intl[0] == '0' {
		return dst, errPhoneLength
	}
	dst = append(dst, '+')
	return append(dst, intl...), nil
}

// appendJapanese appends "+81" and a Japanese national number given without
// its leading 0, after checking its length.
func appendJapanese(dst, nat []byte) ([]byte, error) {
	want := 9
	switch {
	case hasDigits(nat, "70"), hasDigits(nat, "80"), hasDigits(nat, "90"),
		hasDigits(nat, "50"), hasDigits(nat, "20"), hasDigits(nat, "800"):
		want = 10
	}
	if len(nat) != want || nat[0] == '0' {
		return dst, errPhoneLength
	}
	dst = append(dst, '+', '8', '1')
	return append(dst, nat...), nil
}

// hasDigits reports whether d starts with the digits p.
func hasDigits(d []byte, p string) bool {
	return len(d) >= len(p) && string(d[:len(p)]) == p
}
