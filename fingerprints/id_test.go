package fingerprints

import (
	"strings"
	"testing"
)

func TestIDValid(t *testing.T) {
	testValid(t, ID, map[string]string{
		"ab-123 45":             "AB12345",
		"ＡＢ１２３４５":               "AB12345",
		" AB12345\t":            "AB12345",
		"cust_001":              "CUST_001",
		"会員ｰ001":                "会員001",
		"ﾔﾏﾀﾞ":                  "ヤマダ",
		"é-1":                   "É1",
		strings.Repeat("x", 64): strings.Repeat("X", 64),
	})
}

func TestIDInvalid(t *testing.T) {
	testInvalid(t, ID, map[string]string{
		"":                      "empty",
		" - ":                   "empty",
		strings.Repeat("x", 65): "longer than 64 characters",
		"ab\x00cd":              "control character",
		"ab\u0085cd":            "control character",
		"ab\xffcd":              "invalid UTF-8",
	})
}

func TestIDAlike(t *testing.T) {
	testAlike(t, ID, [][]string{
		{"AB-12345", "ab12345", "ＡＢ－１２３４５", "AB 123 45", "ab—12345", "ab−12345"},
		{"AB-12346"},
		{"AB_12345"},
	})
}

func TestIDDiffer(t *testing.T) {
	testDiffer(t, ID, [][2]string{
		{"AB12345", "AB12346"},
		{"AB12345", "AB1234.5"},
	})
}

func TestIDMarkDoesNotMergeIntoPrefix(t *testing.T) {
	got, err := AppendNormalized([]byte("e"), ID, []byte("\u0301ab"))
	if err != nil || string(got) != "eAB" {
		t.Errorf("AppendNormalized(e, ID, acute+ab) = %q, %v; want %q", got, err, "eAB")
	}
}
