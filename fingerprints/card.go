package fingerprints

// Payment card numbers.
//
// Canonical form: the digits.
//
// Accepted, after NFKC: 13 to 19 digits, with any white space, hyphens and
// look-alikes between them, that pass the Luhn check.

func init() { register(Card, appendCard) }

var (
	errCardFormat = invalid(Card, "not 13 to 19 digits")
	errCardLuhn   = invalid(Card, "Luhn check failed")
)

func appendCard(dst, src []byte) ([]byte, error) {
	start := len(dst)
	dst = appendNFKC(dst, src)
	n, ok := keepDigits(dst[start:], 19)
	if !ok || n < 13 {
		return dst[:start], errCardFormat
	}
	d := dst[start : start+n]
	if !luhnValid(d) {
		return dst[:start], errCardLuhn
	}
	return dst[:start+n], nil
}

// luhnValid reports whether the ASCII digits d pass the Luhn check.
func luhnValid(d []byte) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i] - '0')
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return sum%10 == 0
}
