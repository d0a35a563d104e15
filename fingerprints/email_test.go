package fingerprints

import (
	"strings"
	"testing"
)

func TestEmailValid(t *testing.T) {
	testValid(t, Email, map[string]string{
		"Taro.Yamada@Example.COM":          "taro.yamada@example.com",
		"ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ":                 "taro@example.com",
		"taro＠example.co.jp":               "taro@example.co.jp",
		" \u3000taro@example.com\t":        "taro@example.com",
		"taro [at] example [dot] com":      "taro@example.com",
		"taro[AT]example[DOT]com":          "taro@example.com",
		"taro(at)example(dot)co(dot)jp":    "taro@example.co.jp",
		"taro （ａｔ） example （ｄｏｔ） com":      "taro@example.com",
		"taro at example.com":              "taro@example.com",
		"taro AT example dot com":          "taro@example.com",
		"taro..yamada.@docomo.ne.jp":       "taro..yamada.@docomo.ne.jp",
		"o'brien+tag@mail.example-isp.net": "o'brien+tag@mail.example-isp.net",
		"taro.yamada%40example.jp":         "taro.yamada@example.jp",
		"Taro%2BTag%40Example.JP":          "taro+tag@example.jp",
		"100%25%40example.jp":              "100%25@example.jp",
		"taro%41@example.jp":               "taro%41@example.jp",
		"taro%40x@example.jp":              "taro%40x@example.jp", // an @ of its own: nothing decoded
		"taro★example.jp":                  "taro@example.jp",
		"taro☆example.jp":                  "taro@example.jp",
		"taro ★ example.jp":                "taro@example.jp",
		"taroアットマークexample.jp":             "taro@example.jp",
		"taroｱｯﾄﾏｰｸexample.jp":             "taro@example.jp",
		"taro(アットマーク)example.jp":           "taro@example.jp",
		"taro （アットマーク） example.jp":         "taro@example.jp",
		"taro＜アットマーク＞example.jp":           "taro@example.jp",
		"taro<アットマーク>example.jp":           "taro@example.jp",
		"taro【アットマーク】example.jp":           "taro@example.jp",
		"taro［★］example.jp":                "taro@example.jp",
	})
}

func TestEmailInvalid(t *testing.T) {
	testInvalid(t, Email, map[string]string{
		"":                                       "empty",
		"   ":                                    "empty",
		"taro.example.com":                       "not exactly one @",
		"taro@yamada@example.com":                "not exactly one @",
		"@example.com":                           "bad local part length",
		strings.Repeat("a", 65) + "@example.com": "bad local part length",
		"taro@localhost":                         "bad domain",
		"taro@example..com":                      "bad domain",
		"taro@.example.com":                      "bad domain",
		"taro@example.com.":                      "bad domain",
		"taro@exa_mple.com":                      "bad domain",
		"ta ro@example.com":                      "character not allowed",
		"taro(x)@example.com":                    "character not allowed",
		"たろう@example.com":                        "character not allowed",
		"taro%40yamada%40example.jp":             "not exactly one @",
		"taro%4":                                 "not exactly one @",
		"taro★yamada@example.jp":                 "not exactly one @",
		"taro★★example.jp":                       "not exactly one @",
		"taro(アットマーク]example.jp":                 "character not allowed",
		"taroアットexample.jp":                      "character not allowed",
		"★example.jp":                            "bad local part length",
		"%40example.jp":                          "bad local part length",
		"taro@example.com" + strings.Repeat("m", 250): "too long",
	})
}

func TestEmailAlike(t *testing.T) {
	testAlike(t, Email, [][]string{
		{"taro@example.com", "TARO@EXAMPLE.COM", "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ", "taro [at] example [dot] com",
			"taro(at)example(dot)com", "taro at example dot com", "Taro［ＡＴ］Example．com", " taro@example.com "},
		{"taro@example.co.jp", "taro (at) example (dot) co (dot) jp", "taro%40example.co.jp", "TARO%40EXAMPLE.CO.JP"},
		{"taro+tag@example.jp", "taro%2btag%40example.jp"},
		{"jiro@example.com"},
		{"taro@example.net"},
		{"taro.@example.com"},
	})
}

func TestEmailDiffer(t *testing.T) {
	testDiffer(t, Email, [][2]string{
		{"taro@example.com", "taro1@example.com"},
		{"taro@example.com", "taro@example.co"},
		{"taro.yamada@example.com", "taroyamada@example.com"}, // dots are not dropped: not every provider ignores them
		{"taro+x@example.com", "taro@example.com"},            // neither are tags
		{"taro+tag@example.jp", "taro%2Btag@example.jp"},      // with an @ of its own, nothing is decoded
	})
}

// TestJapaneseAtLen: the Japanese ats in every width and bracket, and
// what is none.
func TestJapaneseAtLen(t *testing.T) {
	for s, want := range map[string]int{
		"★x": 3, "☆": 3, "アットマークx": 18, "ｱｯﾄﾏｰｸ": 18,
		"(アットマーク)x": 20, "[★]": 5, "<☆>": 5, "【アットマーク】": 24, "〔★〕": 9,
		"（アットマーク）": 24, "［ｱｯﾄﾏｰｸ］": 24, "＜★＞": 9,
		"": 0, "★"[:2]: 0, "x★": 0, "♥": 0, "…": 0, "“": 0, "(at)": 0, "(アットマーク]": 0, "(アットマーク": 0,
		"（）": 0, "【★": 0, "アット": 0, "<b>": 0, "(★x)": 0, "＠": 0,
	} {
		if got := JapaneseAtLen([]byte(s)); got != want {
			t.Errorf("JapaneseAtLen(%q) = %d, want %d", s, got, want)
		}
	}
}
