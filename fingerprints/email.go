package fingerprints

import "bytes"

// E-mail addresses.
//
// Canonical form: the NFKC form, trimmed and lower-cased as a whole, with the
// usual obfuscations undone: "[at]", "(at)" and " at " (with white space on
// both sides) become "@"; "[dot]", "(dot)" and " dot " become ".". Spaces
// next to a bracketed token are dropped with it. Full-width forms (＠,
// ［ａｔ］) fold through NFKC first. The at of Japanese web pages, ★ or ☆
// (with a note to put an @ in its place) and アットマーク, bare or in
// brackets ((), <>, [], 【】, and their full-width forms), becomes "@",
// with the spaces around it. An address percent-encoded in a URL
// (taro%2Btag%40example.com, as a query string or a log holds it) is
// decoded: in a value with no "@" of its own, "%40" becomes "@" and "%2B"
// "+", the two characters of an address that URL encoders escape.
//
// The result must be ASCII with exactly one "@"; the local part is 1 to 64
// characters of letters, digits, dots and !#$%&'*+/=?^_`{|}~- (consecutive
// and trailing dots are allowed: older Japanese mobile carriers issued such
// addresses); the domain is letters, digits, hyphens and at least one dot,
// with no empty label. Quoted local parts, IP-literal domains and
// internationalized addresses are rejected.

func init() { register(Email, appendEmail) }

var (
	errEmailEmpty   = invalid(Email, "empty")
	errEmailChar    = invalid(Email, "character not allowed")
	errEmailAt      = invalid(Email, "not exactly one @")
	errEmailLocal   = invalid(Email, "bad local part length")
	errEmailDomain  = invalid(Email, "bad domain")
	errEmailTooLong = invalid(Email, "too long")
)

const maxEmailLen = 254

func appendEmail(dst, src []byte) ([]byte, error) {
	start := len(dst)
	dst = appendNFKC(dst, src)
	b := dst[start:]
	for _, c := range b {
		if c >= 0x80 {
			b = b[:japaneseAt(b)]
			dst = dst[:start+len(b)]
			break
		}
	}
	for _, c := range b {
		if c >= 0x80 {
			return dst[:start], errEmailChar
		}
	}
	// b is ASCII now (U+3000 became a space). Trim it, lower-case it and undo
	// obfuscations, writing to out, which starts where b starts: every
	// replacement is shorter than what it replaces, so the write index never
	// passes the read index.
	out := b
	b = bytes.TrimSpace(b)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	w := 0
	for r := 0; r < len(b); {
		c := b[r]
		if c == '[' || c == '(' {
			if rep, n := bracketToken(b[r:]); n > 0 {
				for w > 0 && isASCIISpace(out[w-1]) {
					w--
				}
				out[w] = rep
				w++
				r += n
				for r < len(b) && isASCIISpace(b[r]) {
					r++
				}
				continue
			}
		}
		if isASCIISpace(c) {
			if rep, n := spacedToken(b[r:]); n > 0 {
				out[w] = rep
				w++
				r += n
				continue
			}
		}
		out[w] = c
		w++
		r++
	}
	b = out[:w]
	if bytes.IndexByte(b, '@') < 0 {
		b = percentDecode(b)
		w = len(b)
	}
	if len(b) == 0 {
		return dst[:start], errEmailEmpty
	}
	if len(b) > maxEmailLen {
		return dst[:start], errEmailTooLong
	}
	at := bytes.IndexByte(b, '@')
	if at < 0 || bytes.IndexByte(b[at+1:], '@') >= 0 {
		return dst[:start], errEmailAt
	}
	local, domain := b[:at], b[at+1:]
	if len(local) == 0 || len(local) > 64 {
		return dst[:start], errEmailLocal
	}
	for _, c := range local {
		if !isAtext(c) && c != '.' {
			return dst[:start], errEmailChar
		}
	}
	if !validDomain(domain) {
		return dst[:start], errEmailDomain
	}
	return dst[:start+w], nil
}

func isASCIISpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// bracketToken matches "[at]", "(at)", "[dot]" or "(dot)" (already
// lower-cased) at the start of b and returns its replacement and length.
func bracketToken(b []byte) (byte, int) {
	if len(b) < 4 {
		return 0, 0
	}
	closer := byte(']')
	if b[0] == '(' {
		closer = ')'
	}
	switch {
	case b[1] == 'a' && b[2] == 't' && b[3] == closer:
		return '@', 4
	case len(b) >= 5 && b[1] == 'd' && b[2] == 'o' && b[3] == 't' && b[4] == closer:
		return '.', 5
	}
	return 0, 0
}

// spacedToken matches white space, "at" or "dot", and white space again at
// the start of b and returns its replacement and length.
func spacedToken(b []byte) (byte, int) {
	i := 0
	for i < len(b) && isASCIISpace(b[i]) {
		i++
	}
	var rep byte
	switch {
	case bytes.HasPrefix(b[i:], []byte("at")):
		rep, i = '@', i+2
	case bytes.HasPrefix(b[i:], []byte("dot")):
		rep, i = '.', i+3
	default:
		return 0, 0
	}
	j := i
	for j < len(b) && isASCIISpace(b[j]) {
		j++
	}
	if j == i || j == len(b) {
		return 0, 0 // needs white space after, and something after that
	}
	return rep, j
}

// japaneseAt rewrites, in place, the Japanese ats in b (★, ☆ and
// アットマーク, bare or bracketed) as "@", dropping the spaces around each,
// and returns the length of what is left.
func japaneseAt(b []byte) int {
	w := 0
	for r := 0; r < len(b); {
		if k := JapaneseAtLen(b[r:]); k > 0 {
			for w > 0 && isASCIISpace(b[w-1]) {
				w--
			}
			b[w] = '@'
			w++
			r += k
			for r < len(b) && isASCIISpace(b[r]) {
				r++
			}
			continue
		}
		b[w] = b[r]
		w++
		r++
	}
	return w
}

// JapaneseAtLen returns the length of the Japanese at (see Email's
// canonical form) at the start of b, in any width: ★, ☆, アットマーク or
// ｱｯﾄﾏｰｸ, bare or in brackets ((), <>, [], 【】, 〔〕 or the full-width
// （）, ＜＞, ［］); 0 if there is none. The matcher looks for addresses
// around what it finds.
func JapaneseAtLen(b []byte) int {
	if len(b) < 3 {
		return 0
	}
	switch b[0] {
	case '(', '[', '<':
		if b[1] < 0xE2 {
			return 0 // the common case, and cheap: no at after the bracket
		}
	case 0xE2:
		return jaAtBare(b)
	case 0xE3, 0xEF:
	default:
		return 0
	}
	for _, pair := range jaAtBrackets {
		if bytes.HasPrefix(b, []byte(pair[0])) {
			k := len(pair[0])
			if n := jaAtBare(b[k:]); n > 0 && bytes.HasPrefix(b[k+n:], []byte(pair[1])) {
				return k + n + len(pair[1])
			}
			return 0
		}
	}
	return jaAtBare(b)
}

// jaAtBrackets are the brackets a Japanese at may stand in.
var jaAtBrackets = [][2]string{{"(", ")"}, {"[", "]"}, {"<", ">"}, {"【", "】"}, {"〔", "〕"},
	{"（", "）"}, {"［", "］"}, {"＜", "＞"}}

// jaAtBare returns the length of ★, ☆, アットマーク or ｱｯﾄﾏｰｸ at the start
// of b, or 0.
func jaAtBare(b []byte) int {
	if len(b) < 3 {
		return 0
	}
	switch b[0] {
	case 0xE2: // ★ and ☆ are E2 98 85 and E2 98 86
		if b[1] == 0x98 && (b[2] == 0x85 || b[2] == 0x86) {
			return 3
		}
	case 0xE3:
		if bytes.HasPrefix(b, []byte("アットマーク")) {
			return len("アットマーク")
		}
	case 0xEF:
		if bytes.HasPrefix(b, []byte("ｱｯﾄﾏｰｸ")) {
			return len("ｱｯﾄﾏｰｸ")
		}
	}
	return 0
}

// percentDecode decodes, in place, the "%40" and "%2b" (lower-cased
// already) of b, and returns what is left of it.
func percentDecode(b []byte) []byte {
	w := 0
	for r := 0; r < len(b); r++ {
		c := b[r]
		if c == '%' && r+2 < len(b) {
			switch {
			case b[r+1] == '4' && b[r+2] == '0':
				c, r = '@', r+2
			case b[r+1] == '2' && b[r+2] == 'b':
				c, r = '+', r+2
			}
		}
		b[w] = c
		w++
	}
	return b[:w]
}

// isAtext reports whether c may appear in an unquoted local part (RFC 5322
// atext; letters are already lower case).
func isAtext(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '/', '=', '?', '^', '_', '`', '{', '|', '}', '~':
		return true
	}
	return false
}

// validDomain reports whether d is dot-separated non-empty labels of
// letters, digits and hyphens, at least two of them.
func validDomain(d []byte) bool {
	if len(d) == 0 || d[0] == '.' || d[len(d)-1] == '.' {
		return false
	}
	dots, prev := 0, byte(0)
	for _, c := range d {
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-':
		case c == '.':
			if prev == '.' {
				return false
			}
			dots++
		default:
			return false
		}
		prev = c
	}
	return dots > 0
}
