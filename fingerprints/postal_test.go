package fingerprints

import "testing"

func TestPostalValid(t *testing.T) {
	testValid(t, Postal, map[string]string{
		"100-0005":          "1000005",
		"〒100-0005":         "1000005",
		"〒 100-0005":        "1000005",
		"1000005":           "1000005",
		"〶100-0005":         "1000005",
		"１００－０００５":          "1000005",
		"100ー0005":          "1000005",
		"100‐0005":          "1000005",
		" 100 - 0005\u3000": "1000005",
	})
}

func TestPostalInvalid(t *testing.T) {
	testInvalid(t, Postal, map[string]string{
		"":           "not NNN-NNNN or seven digits",
		"〒":          "not NNN-NNNN or seven digits",
		"100-005":    "not NNN-NNNN or seven digits",
		"1000-005":   "not NNN-NNNN or seven digits",
		"10000055":   "not NNN-NNNN or seven digits",
		"100--0005":  "not NNN-NNNN or seven digits",
		"100-0005〒":  "not NNN-NNNN or seven digits",
		"〒〒100-0005": "not NNN-NNNN or seven digits",
		"100-000A":   "not NNN-NNNN or seven digits",
		"100/0005":   "not NNN-NNNN or seven digits",
	})
}

func TestPostalAlike(t *testing.T) {
	testAlike(t, Postal, [][]string{
		{"100-0005", "〒100-0005", "1000005", "１００－０００５", "100ー0005", "100ｰ0005", "〒 100 0005"},
		{"100-0006"},
		{"060-0001", "〒060-0001"},
	})
}

func TestPostalDiffer(t *testing.T) {
	testDiffer(t, Postal, [][2]string{
		{"100-0005", "100-0006"},
		{"100-0005", "010-0005"},
	})
}
