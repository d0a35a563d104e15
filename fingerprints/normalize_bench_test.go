package fingerprints

import "testing"

// benchValues are typical candidates of each kind, in the forms the matcher
// sees most: Japanese full-width and kanji forms as well as ASCII ones.
var benchValues = map[Kind][]string{
	Email:     {"Taro.Yamada@Example.COM", "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ", "taro [at] example [dot] com"},
	Phone:     {"090-1234-5678", "０９０－１２３４－５６７８", "+81(0)90-1234-5678"},
	Birthdate: {"1985/01/02", "昭和60年1月2日", "１９８５年１月２日"},
	Date:      {"2024-03-15", "令和6年3月15日"},
	Name:      {"山田 太郎", "ﾔﾏﾀﾞ ﾀﾛｳ", "Tarō YAMADA"},
	Postal:    {"〒100-0005", "１００－０００５"},
	Address:   {"東京都千代田区丸の内1-2-3", "〒100-0005 東京都千代田区丸の内一丁目2番3号 丸の内ビル5F"},
	MyNumber:  {"1234 5678 9018", "１２３４５６７８９０１８"},
	Card:      {"4111-1111-1111-1111", "３５３０ １１１３ ３３３０ ００００"},
	ID:        {"ab-123 45", "ＡＢ－１２３４５"},
}

// BenchmarkAppendNormalized normalizes into a reused buffer, as the matcher
// does: allocs/op must be 0.
func BenchmarkAppendNormalized(b *testing.B) {
	for _, k := range Kinds() {
		values := make([][]byte, len(benchValues[k]))
		for i, v := range benchValues[k] {
			values[i] = []byte(v)
		}
		b.Run(k.String(), func(b *testing.B) {
			buf := make([]byte, 0, 512)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				var err error
				buf, err = AppendNormalized(buf[:0], k, values[i%len(values)])
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAppendNormalizedInvalid measures rejecting candidates, which the
// matcher does more often than accepting them.
func BenchmarkAppendNormalizedInvalid(b *testing.B) {
	bad := map[Kind]string{
		Email: "taro@localhost", Phone: "090-1234-567", Birthdate: "昭和64年1月8日", Date: "1985/02/30",
		Name: "山田太郎1", Postal: "100-005", Address: "東京都", MyNumber: "1234 5678 9019",
		Card: "4111-1111-1111-1112", ID: "",
	}
	for _, k := range Kinds() {
		v := []byte(bad[k])
		b.Run(k.String(), func(b *testing.B) {
			buf := make([]byte, 0, 512)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := AppendNormalized(buf[:0], k, v); err == nil {
					b.Fatal("accepted")
				}
			}
		})
	}
}
