package fingerprints

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/leakwatch/leakwatch/store"
)

// fuzzNormalize checks the properties every normalizer must have, on any
// input: no panic; a valid UTF-8 result; idempotence (the result normalizes
// to itself); the same result when appended after other bytes; dst left as
// it was on error; and errors that are one of the fixed *InvalidError values
// of the kind and never contain the input.
func fuzzNormalize(f *testing.F, k Kind, seeds ...string) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := Normalize(k, in)
		prefix := []byte("前置き:")
		b, err2 := AppendNormalized(prefix, k, []byte(in))
		if (err == nil) != (err2 == nil) {
			t.Fatalf("Normalize and AppendNormalized disagree on %q: %v, %v", in, err, err2)
		}
		if err != nil {
			checkInvalid(t, k, err, in)
			if !bytes.Equal(b, prefix) {
				t.Fatalf("%s: dst changed on error for %q: %q", k, in, b)
			}
			return
		}
		if !bytes.Equal(b, append(prefix, out...)) {
			t.Fatalf("%s: AppendNormalized(prefix, %q) = %q, want prefix + %q", k, in, b, out)
		}
		if !utf8.ValidString(out) {
			t.Fatalf("%s: %q normalizes to invalid UTF-8 %q", k, in, out)
		}
		again, err := Normalize(k, out)
		if err != nil || again != out {
			t.Fatalf("%s: not idempotent: %q → %q → %q (%v)", k, in, out, again, err)
		}
	})
}

// checkInvalid fails unless err is one of the fixed errors of kind k and its
// text does not contain in.
func checkInvalid(t *testing.T, k Kind, err error, in string) {
	t.Helper()
	var ie *InvalidError
	if !errors.As(err, &ie) || ie.Kind != k || !errors.Is(err, ErrInvalid) {
		t.Fatalf("%s: error %v is not an *InvalidError of its kind", k, err)
	}
	if !knownReasons()[ie.Reason] {
		t.Fatalf("%s: unknown reason %q", k, ie.Reason)
	}
	// The message is fixed, so it can only contain the input by coincidence,
	// when the input is a piece of the fixed text itself ("NNN ").
	msg := err.Error()
	if len(in) >= 4 && strings.Contains(msg, in) && !strings.Contains(fixedMessages(k), in) {
		t.Fatalf("%s: error %q contains the input", k, err)
	}
}

// normalizeSeeds are the fuzz targets' seeds of each kind; TestFormsFrozen
// keeps the canonical forms of them all.
var normalizeSeeds = map[Kind][]string{
	Email: {"Taro.Yamada@Example.COM", "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ",
		"taro [at] example [dot] com", "taro at example dot com", "taro(AT)example(Dot)com",
		"taro［ａｔ］example（ｄｏｔ）com", "  taro@example.com\u3000", "taro..@docomo.ne.jp",
		"a@b", "a@@b.c", "a b@c.d", "@example.com", "taro@example..com", "taro@例え.jp",
		"taro%40example.jp", "Taro%2BTag%40Example.JP", "a%4", "%40%40", "x%40y@z.jp",
		"taro★example.jp", "taro （アットマーク） example.jp", "ｔａｒｏ＜ｱｯﾄﾏｰｸ＞ｅｘ．ｊｐ", "a【★】b.c", "★☆", "(アットマーク"},
	Phone: {"090-1234-5678", "09012345678", "090(1234)5678",
		"０９０－１２３４－５６７８", "+81 90 1234 5678", "+81-90-1234-5678",
		"+81(0)90-1234-5678", "(03)1234-5678", "03-1234-5678", "0561-12-3456",
		"050-1234-5678", "0120-123-456", "0800-123-4567", "0081 90 1234 5678",
		"010-81-90-1234-5678", "+1 (555) 123-4567", "0044 20 7946 0958", "090ー1234ー5678",
		"090.1234.5678", "81-90-1234-5678", "090-1234-567", "090-1234-5678x", "++81"},
	Birthdate: dateSeeds,
	Date:      dateSeeds,
	Name: {"Taro YAMADA", "YAMADA Taro", "yamada, taro", "Tarō Yamada",
		"Tarou Yamada", "Shin'ichi Ōhno", "Jun-ichi Homma", "山田 太郎", "山田　太郎", "山田・太郎",
		"やまだ たろう", "ﾔﾏﾀﾞ ﾀﾛｳ", "髙橋 﨑子", "齋藤 邊", "カ゛ス", "山田 Taro", "Иван Петров",
		"太郎1", "taro@yamada", "A", "oohhu chu"},
	Postal: {"〒100-0005", "100-0005", "1000005", "１００－０００５", "100ー0005",
		"〒 100 - 0005", "100-005", "10000055", "〒〒100-0005"},
	Address: {"東京都千代田区丸の内1-2-3", "千代田区丸の内1-2-3",
		"〒100-0005 東京都千代田区丸の内一丁目2番3号 丸の内ビル5F", "千代田区丸の内1丁目2番地3",
		"千代田区丸の内1丁目2-3", "千代田区丸の内1の2の3", "千代田区丸の内１－２－３",
		"千代田区丸の内一丁目二番三号", "千代田区丸の内一丁目2番地の3", "千代田区丸の内1ー2ー3",
		"千代田区丸の内1-2-3-405", "北海道札幌市中央区北1条西2丁目3-4",
		"札幌市中央区北一条西二丁目3番4号", "東京都三鷹市下連雀三丁目1番1号", "中央区八丁堀3丁目1-1",
		"千代田区二番町1-2", "岩手県八幡平市第2地割10番地", "北海道勇払郡占冠村字トマム",
		"東京都", "〒100-0005", "丸の内1丁目三井ビル", "カ゛ス町1-2",
		"千代田区霞が関1-2-3", "千代田区霞ヶ関1-2-3", "千代田区霞ケ関1-2-3", "千代田区霞ヵ関1-2-3", "千代田区丸ノ内2-4-1",
		"港区虎ノ門1丁目1番1号", "神奈川県茅ヶ崎市茅ヶ崎1-1-1", "目黒区自由が丘1-2-3", "虻田郡ニセコ町字ケ1", "千代田区ノ1-2", "中央区銀座ノ1-2"},
	MyNumber: {"123456789018", "1234 5678 9018", "1234-5678-9018",
		"１２３４５６７８９０１８", "123456789019", "12345678901", "1234567890123"},
	Card: {"4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111",
		"３５３０ １１１３ ３３３０ ００００", "4111111111111112", "411111111111", "41111111111111111111"},
	ID: {"ab-123 45", "ＡＢ１２３４５", "AB12345", "cust_001", "ｶﾞ-1", "a\x00b", "",
		strings.Repeat("x", 65)},
}

func FuzzNormalizeEmail(f *testing.F) { fuzzNormalize(f, Email, normalizeSeeds[Email]...) }

func FuzzNormalizePhone(f *testing.F) { fuzzNormalize(f, Phone, normalizeSeeds[Phone]...) }

var dateSeeds = []string{"1985/01/02", "1985-1-2", "1985.1.2", "19850102", "1985年1月2日",
	"１９８５年１月２日", "昭和60年1月2日", "昭和６０年１月２日", "S60.1.2", "S60/01/02",
	"s60-1-2", "H1.1.8", "平成元年1月8日", "令和元年5月1日", "R1.5.1", "M45.7.29",
	"大正元年7月30日", "㍼60年1月2日", "㍻元年1月8日", "㍾1年1月25日", "㋿2年1月1日",
	"昭和 60 年 1 月 2 日", "昭和六十年一月二日", "一九八五年一月二日", "昭和64年1月8日",
	"平成元年1月7日", "2月30日", "1985/13/01", "60/1/2", "1867/12/31", "2101/01/01",
	"S600102", "昭和600102", "H000101", "3600102", "4010107", "6010101",
	"Jan 2, 1985", "January 2nd 1985", "Sept. 21, 1985", "May 21 1985", "2 Jan 1985", "02-JAN-1985", "2/Jan/1985", "3rd March 2024", "Jan 32, 1985",
	"1985年（昭和60年）1月2日", "昭和60年(1985年)1月2日", "1985（昭和60）年1月2日", "1989年（平成元年）1月8日", "1985年（昭和61年）1月2日",
	"昭60.1.2", "平元.1.8", "大1.2.3", "令2/3/4", "昭600102", "昭.60.1.2", "昭"}

func FuzzNormalizeBirthdate(f *testing.F) { fuzzNormalize(f, Birthdate, normalizeSeeds[Birthdate]...) }

func FuzzNormalizeDate(f *testing.F) { fuzzNormalize(f, Date, normalizeSeeds[Date]...) }

func FuzzNormalizeName(f *testing.F) { fuzzNormalize(f, Name, normalizeSeeds[Name]...) }

func FuzzNormalizePostal(f *testing.F) { fuzzNormalize(f, Postal, normalizeSeeds[Postal]...) }

func FuzzNormalizeAddress(f *testing.F) { fuzzNormalize(f, Address, normalizeSeeds[Address]...) }

func FuzzNormalizeMyNumber(f *testing.F) { fuzzNormalize(f, MyNumber, normalizeSeeds[MyNumber]...) }

func FuzzNormalizeCard(f *testing.F) { fuzzNormalize(f, Card, normalizeSeeds[Card]...) }

func FuzzNormalizeID(f *testing.F) { fuzzNormalize(f, ID, normalizeSeeds[ID]...) }

// FuzzChunk feeds arbitrary bytes to the chunk decoder, which reads what
// the store returns and, through CheckChunk, what a blind owner uploads to
// the key service. It must never panic or read past the chunk; a chunk it
// accepts must encode back to the very same bytes; and CheckChunk, which
// accepts only chunks without prefilter values, must agree with it.
func FuzzChunk(f *testing.F) {
	for _, pre := range []bool{false, true} {
		c := chunkBuilder{pre: pre}
		c.reset()
		c.add([]byte("r1"), []Field{{Col: 0, Kind: Phone, FP: FP{1, 2, 3}, Pre: 7}, {Col: 1, Kind: Email, Strong: true, Pre: 9}})
		c.add([]byte("r2"), []Field{{Col: 2, Kind: Name}})
		// A pair field (only valid in chunks with prefilter values).
		c.add([]byte("r3"), []Field{{Col: 2, Kind: Name, Pre: 1}, {Col: 2, Kind: Pair, FP: FP{4}, Pre: 2}})
		f.Add(c.bytes())
	}
	f.Add([]byte("LWR2\x01\x01r\x01\x00\x01"))
	f.Add([]byte("LWR1\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"))
	cols := []store.FieldSpec{{Column: "phone", Kind: "phone"}, {Column: "email", Kind: "email", Strong: true}, {Column: "name", Kind: "name"}}
	decode := func(chunk []byte) (recs []string, back chunkBuilder, pre bool, err error) {
		back.pre = len(chunk) >= 4 && string(chunk[:4]) == chunkMagicPre
		back.reset()
		pre, err = decodeChunk(chunk, func(ref []byte, fields []Field) error {
			recs = append(recs, fmt.Sprintf("%q %+v", ref, fields))
			back.add(ref, fields)
			return nil
		})
		return
	}
	f.Fuzz(func(t *testing.T, chunk []byte) {
		recs, back, pre, err := decode(chunk)
		if err != nil {
			if !errors.Is(err, errChunk) {
				t.Fatalf("error %v is not errChunk", err)
			}
			return
		}
		// Varints have several encodings and the builder writes the
		// shortest: what it writes back decodes to the same records.
		again, _, pre2, err := decode(back.bytes())
		if err != nil || pre2 != pre || fmt.Sprint(again) != fmt.Sprint(recs) {
			t.Fatalf("records do not survive encoding back (%v):\n%v\n%v", err, recs, again)
		}
		counts := make([]int64, len(cols))
		n, _, cerr := CheckChunk(chunk, cols, counts)
		if pre && cerr == nil {
			t.Fatal("CheckChunk accepted a chunk with prefilter values")
		}
		if cerr == nil && n != int64(len(recs)) {
			t.Fatalf("CheckChunk counted %d records, the decoder %d", n, len(recs))
		}
	})
}
