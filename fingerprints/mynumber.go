package fingerprints

import "unicode/utf8"

// My Number (個人番号), the Japanese individual number.
//
// Canonical form: the twelve digits.
//
// Accepted, after NFKC: twelve digits, with any white space, hyphens and
// look-alikes between them ("1234 5678 9018", "1234-5678-9018"), whose last
// digit is the check digit of the first eleven.
//
// The check digit (個人番号の指定に関する省令 第五条): number the first
// eleven digits P1..P11 from the right (P1 is the eleventh digit), weight
// them Qn = n+1 for n ≤ 6 and Qn = n-5 for n ≥ 7, let r = ΣPn·Qn mod 11;
// the check digit is 0 if r ≤ 1, else 11-r.

func init() { register(MyNumber, appendMyNumber) }

var (
	errMyNumberFormat = invalid(MyNumber, "not twelve digits")
	errMyNumberCheck  = invalid(MyNumber, "check digit mismatch")
	errMyNumberFirst  = invalid(MyNumber, "need eleven digits")
)

func appendMyNumber(dst, src []byte) ([]byte, error) {
	start := len(dst)
	dst = appendNFKC(dst, src)
	n, ok := keepDigits(dst[start:], 12)
	if !ok || n != 12 {
		return dst[:start], errMyNumberFormat
	}
	d := dst[start : start+12]
	if myNumberCheck(d[:11]) != int(d[11]-'0') {
		return dst[:start], errMyNumberCheck
	}
	return dst[:start+12], nil
}

// MyNumberCheckDigit returns the check digit of a My Number whose first
// eleven digits are first11 (exactly eleven ASCII digits). It is meant for
// generating test data; Normalize checks real values.
func MyNumberCheckDigit(first11 string) (int, error) {
	if len(first11) != 11 {
		return 0, errMyNumberFirst
	}
	for i := 0; i < len(first11); i++ {
		if !isASCIIDigit(first11[i]) {
			return 0, errMyNumberFirst
		}
	}
	return myNumberCheck([]byte(first11)), nil
}

// myNumberCheck computes the check digit of eleven ASCII digits.
func myNumberCheck(d []byte) int {
	sum := 0
	for n := 1; n <= 11; n++ {
		p := int(d[11-n] - '0')
		q := n + 1
		if n >= 7 {
			q = n - 5
		}
		sum += p * q
	}
	r := sum % 11
	if r <= 1 {
		return 0
	}
	return 11 - r
}

// keepDigits compacts the ASCII digits of b to its start, dropping white
// space and dashes (look-alikes included). It reports false when b holds
// anything else or more than max digits.
func keepDigits(b []byte, max int) (int, bool) {
	w := 0
	for r := 0; r < len(b); {
		c := b[r]
		if isASCIIDigit(c) {
			if w == max {
				return w, false
			}
			b[w] = c
			w++
			r++
			continue
		}
		ru, size := utf8.DecodeRune(b[r:])
		r += size
		if !isSpace(ru) && !isDash(ru) {
			return w, false
		}
	}
	return w, true
}
