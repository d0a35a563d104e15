package fingerprints

import "testing"

// Worked by hand for 12345678901: P1..P11 (from the right) are 1 0 9 8 7 6
// 5 4 3 2 1, weights Q1..Q11 are 2 3 4 5 6 7 2 3 4 5 6; ΣPnQn = 2 + 0 + 36 +
// 40 + 42 + 42 + 10 + 12 + 12 + 10 + 6 = 212; 212 mod 11 = 3; the check
// digit is 11 - 3 = 8. So 123456789018 is valid.
//
// For 00000000001: only P1 = 1, ΣPnQn = 2, r = 2, check digit 9.
// For 00000000005: ΣPnQn = 10, r = 10, check digit 1.
// For 00000010000: P5 = 1, Q5 = 6, r = 6, check digit 5.
// For 00000000000: r = 0, check digit 0; r = 1 too gives 0: 10000000000 has
// P11 = 1, Q11 = 6, r = 6, check digit 5; 00001000000 has P7 = 1, Q7 = 2,
// r = 2, check digit 9; 06000000000 has P10 = 6, Q10 = 5, ΣPnQn = 30,
// r = 8, check digit 3; 00000000006: ΣPnQn = 12, r = 1, check digit 0.
func TestMyNumberCheckDigit(t *testing.T) {
	for first, want := range map[string]int{
		"12345678901": 8,
		"00000000001": 9,
		"00000000005": 1,
		"00000010000": 5,
		"00000000000": 0,
		"10000000000": 5,
		"00001000000": 9,
		"06000000000": 3,
		"00000000006": 0,
	} {
		got, err := MyNumberCheckDigit(first)
		if err != nil || got != want {
			t.Errorf("MyNumberCheckDigit(%q) = %d, %v; want %d", first, got, err, want)
		}
	}
	for _, bad := range []string{"", "1234567890", "123456789012", "1234567890a", "１２３４５６７８９０１"} {
		if _, err := MyNumberCheckDigit(bad); err == nil {
			t.Errorf("MyNumberCheckDigit(%q) accepted", bad)
		}
	}
}

func TestMyNumberValid(t *testing.T) {
	testValid(t, MyNumber, map[string]string{
		"123456789018":   "123456789018",
		"1234 5678 9018": "123456789018",
		"1234-5678-9018": "123456789018",
		"１２３４ ５６７８ ９０１８": "123456789018",
		"1234ー5678ー9018": "123456789018",
		"000000000019":   "000000000019",
		"000000000060":   "000000000060",
	})
}

func TestMyNumberInvalid(t *testing.T) {
	testInvalid(t, MyNumber, map[string]string{
		"123456789019":   "check digit mismatch",
		"123456789008":   "check digit mismatch",
		"213456789018":   "check digit mismatch", // swapped digits
		"12345678901":    "not twelve digits",
		"1234567890180":  "not twelve digits",
		"1234 5678 901a": "not twelve digits",
		"":               "not twelve digits",
	})
}

func TestMyNumberAlike(t *testing.T) {
	testAlike(t, MyNumber, [][]string{
		{"123456789018", "1234 5678 9018", "1234-5678-9018", "１２３４－５６７８－９０１８", "1234\u30005678\u30009018"},
		{"000000000019"},
	})
}

func TestMyNumberDiffer(t *testing.T) {
	testDiffer(t, MyNumber, [][2]string{
		{"123456789018", "000000000019"},
		{"000000000019", "000000100005"},
	})
}
