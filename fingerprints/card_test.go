package fingerprints

import "testing"

func TestCardValid(t *testing.T) {
	testValid(t, Card, map[string]string{
		"4111111111111111":    "4111111111111111",
		"4111 1111 1111 1111": "4111111111111111",
		"4111-1111-1111-1111": "4111111111111111",
		"３５３０ １１１３ ３３３０ ００００": "3530111333300000", // JCB test number
		"378282246310005":     "378282246310005", // 15 digits
		"4222222222222":       "4222222222222",   // 13 digits
		"6011000990139424":    "6011000990139424",
		"4111111111111111110": "4111111111111111110", // 19 digits
	})
}

func TestCardInvalid(t *testing.T) {
	testInvalid(t, Card, map[string]string{
		"4111111111111112":     "Luhn check failed",
		"4111111111111121":     "Luhn check failed",
		"411111111111":         "not 13 to 19 digits",
		"41111111111111111111": "not 13 to 19 digits",
		"4111 1111 1111 111x":  "not 13 to 19 digits",
		"":                     "not 13 to 19 digits",
	})
}

func TestCardAlike(t *testing.T) {
	testAlike(t, Card, [][]string{
		{"4111111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111", "４１１１－１１１１－１１１１－１１１１", "4111ー1111ー1111ー1111"},
		{"5555555555554444"},
	})
}

func TestCardDiffer(t *testing.T) {
	testDiffer(t, Card, [][2]string{{"4111111111111111", "5555555555554444"}})
}
