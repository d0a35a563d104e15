package fingerprints

import "testing"

// addressBenchForms are addresses in the shapes of the CSV dumps the
// scanner reads most: prefecture and kanji locality with ASCII block
// numbers, with or without the prefecture.
var addressBenchForms = []struct{ name, value string }{
	{"pref-ward", "熊本県熊本市中央区水前寺2-45-25"},
	{"pref-city", "埼玉県川越市脇田町2091-25"},
	{"city", "武蔵野市御殿山3-23-8"},
	{"kanji-blocks", "東京都千代田区丸の内一丁目2番3号 丸の内ビル5F"},
	{"postal-hokkaido", "〒060-0001 北海道札幌市中央区北一条西二丁目3番4号"},
	{"fullwidth", "大阪府大阪市北区梅田１－２－３"},
}

// BenchmarkAddressForms normalizes each of addressBenchForms into a reused
// buffer, as the matcher does.
func BenchmarkAddressForms(b *testing.B) {
	benchForms(b, appendAddress, addressBenchForms)
}

// BenchmarkEmailForms normalizes e-mail addresses of the CSV dumps into a
// reused buffer.
func BenchmarkEmailForms(b *testing.B) {
	benchForms(b, appendEmail, []struct{ name, value string }{
		{"plain", "kazukiyamamoto51@example.jp"},
		{"upper", "Taro.Yamada@Example.COM"},
		{"fullwidth", "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ"},
	})
}

// benchForms runs normalize on each form in a sub-benchmark of its own.
func benchForms(b *testing.B, normalize func(dst, src []byte) ([]byte, error), forms []struct{ name, value string }) {
	for _, f := range forms {
		src := []byte(f.value)
		b.Run(f.name, func(b *testing.B) {
			buf := make([]byte, 0, 512)
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if buf, err = normalize(buf[:0], src); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
