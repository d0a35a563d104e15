package matcher

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakwatch/leakwatch/fingerprints"
	"github.com/leakwatch/leakwatch/store"
	"golang.org/x/text/encoding/japanese"
)

const testSchema = "ref=ref,name=name,kana=name,birthdate=birthdate,phone=phone,email=email:strong,postal=postal,address=address,mynumber=mynumber:strong,custno=id"

const testCSV = `ref,name,kana,birthdate,phone,email,postal,address,mynumber,custno
c1,山田 太郎,ヤマダ タロウ,1985/01/02,090-1234-5678,taro.yamada@example.jp,100-0005,東京都千代田区丸の内1-2-3,123456789018,C00012345
c2,佐藤 花子,サトウ ハナコ,1960/03/04,03-1234-5678,hanako@example.com,530-0001,大阪府大阪市北区梅田2丁目4番9号,,C00012346
c3,鈴木 一郎,スズキ イチロウ,1990/05/06,080-9876-5432,ichiro@example.ne.jp,060-0001,北海道札幌市中央区北1条西2丁目3-4,,C00012347
c4,Taro Yamada,,1970/07/08,070-1111-2222,,,,,C00012348
`

func newTestMatcher(t testing.TB) *Matcher {
	t.Helper()
	return loadMatcher(t, strings.NewReader(testCSV), testSchema, "customers")
}

// loadMatcher loads a CSV of records into a fresh embedded store with a
// fresh key, as an operator would (through the loader), and returns a
// matcher for the set.
func loadMatcher(t testing.TB, csv io.Reader, schemaSpec, name string) *Matcher {
	t.Helper()
	dir := t.TempDir()
	st, err := store.OpenBolt(filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key, err := fingerprints.GenerateKey(filepath.Join(dir, "key"))
	if err != nil {
		t.Fatal(err)
	}
	schema, err := fingerprints.ParseSchema(schemaSpec)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := fingerprints.Load(ctx, st, key, csv, fingerprints.LoadOptions{
		Name: name, Source: name + ".csv", Schema: schema, IDPattern: `C[0-9]{8}`,
	}); err != nil {
		t.Fatal(err)
	}
	ix, err := fingerprints.BuildIndex(ctx, st, name)
	if err != nil {
		t.Fatal(err)
	}
	fpr, err := key.ForSet(ix.Meta())
	if err != nil {
		t.Fatal(err)
	}
	m, err := New([]Set{{Index: ix, FPR: fpr}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func scanString(t *testing.T, m *Matcher, text, media string) []Finding {
	t.Helper()
	fs, err := m.Scan(context.Background(), Input{Source: "doc", R: strings.NewReader(text), MediaType: media})
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// checkRefs scans each text of cases as plain text and checks the records
// found (refsOf) against the text's value.
func checkRefs(t *testing.T, m *Matcher, cases map[string]string) {
	t.Helper()
	for text, want := range cases {
		if got := refsOf(scanString(t, m, text, "")); got != want {
			t.Errorf("%q: got %q, want %q", text, got, want)
		}
	}
}

func refsOf(fs []Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Ref+":"+strings.Join(f.Fields, "+"))
	}
	return strings.Join(out, " ")
}

func TestMatchShapes(t *testing.T) {
	m := newTestMatcher(t)
	cases := []struct {
		name, text, media, want string
	}{
		{"csv row", "山田 太郎,1985/01/02,090-1234-5678\n", "", "c1:birthdate+name+phone"},
		{"full-width phone and era date", "氏名：山田太郎\n生年月日：昭和60年1月2日\n電話：０９０－１２３４－５６７８\n", "", "c1:birthdate+name+phone"},
		{"kana reading and +81", "ヤマダ タロウ (+81 90 1234 5678)", "", "c1:name+phone"},
		{"81 without its +", "山田 太郎 tel: 81-90-1234-5678.", "", "c1:name+phone"},
		{"81 without its +, in parentheses", "山田 太郎 (81) 90 1234 5678", "", "c1:name+phone"},
		{"81 without its +, the trunk 0 kept", "山田 太郎 81-090-1234-5678", "", "c1:name+phone"},
		{"81 without its +, a landline", "佐藤 花子 ８１－３－１２３４－５６７８", "", "c2:name+phone"},
		{"81 without its +, a digit short", "山田 太郎 81-90-1234-567", "", ""},
		{"81 without its +, glued to a letter", "山田 太郎 x81-90-1234-5678", "", ""},
		{"81 inside a longer first group", "山田 太郎 8190-1234-5678", "", ""},
		{"hiragana reading", "やまだ たろう 09012345678", "", "c1:name+phone"},
		{"half-width kana", "ﾔﾏﾀﾞ ﾀﾛｳ 090(1234)5678", "", "c1:name+phone"},
		{"strong email alone", "contact: TARO.YAMADA@EXAMPLE.JP", "", "c1:email"},
		{"obfuscated email", "taro.yamada[at]example.jp", "", "c1:email"},
		{"my number alone", "個人番号 1234 5678 9018", "", "c1:mynumber"},
		{"address without prefecture", "住所は千代田区丸の内1丁目2番3号です。電話 090-1234-5678", "", "c1:address+phone"},
		{"kanji block numbers", "大阪市北区梅田二丁目四番九号 03-1234-5678", "", "c2:address+phone"},
		{"sapporo", "札幌市中央区北一条西二丁目3番4号 080-9876-5432", "", "c3:address+phone"},
		{"romaji reversed", "Name: YAMADA Taro, Phone: +81-70-1111-2222", "", "c4:name+phone"},
		{"id and phone", "customer C00012346 tel 03-1234-5678", "", "c2:id+phone"},
		{"html table", "<table><tr><td>佐藤</td><td>花子</td><td>S35.3.4</td><td>03-1234-5678</td></tr></table>", MediaHTML, "c2:birthdate+name+phone"},
		{"json", `{"user":{"name":"鈴木 一郎","tel":"080-9876-5432"}}`, MediaJSON, "c3:name+phone"},
		{"json escapes", `{"n":"\u9234\u6728\u4e00\u90ce","t":"08098765432"}`, MediaJSON, "c3:name+phone"},
		{"postal and address", "〒530-0001 大阪市北区梅田2-4-9", "", "c2:address+postal"},
		{"glued postal after 〒", "山田 太郎 〒1000005", "", "c1:name+postal"},
		{"era letter date", "山田 太郎 S60.1.2", "", "c1:birthdate+name"},
		{"era letter and a dot", "山田 太郎 S.60.1.2", "", "c1:birthdate+name"},
		{"era letter and a dot in a row", "山田 太郎,s.60.1.2,x\n", "", "c1:birthdate+name"},
		{"full-width era letter and a dot", "山田 太郎 Ｓ．６０．１．２", "", "c1:birthdate+name"},
		{"era letter, a dot, compact", "山田 太郎 S.600102 です", "", "c1:birthdate+name"},
		{"compact era date", "山田 太郎 S600102 です", "", "c1:birthdate+name"},
		{"compact era date in a row", "山田 太郎,S600102,x\n", "", "c1:birthdate+name"},
		{"compact kanji era date", "山田太郎 昭和600102", "", "c1:birthdate+name"},
		{"era code date", "山田 太郎 3600102", "", "c1:birthdate+name"},
		{"era code date in a row", "山田 太郎,3600102,x\n", "", "c1:birthdate+name"},
		{"full-width era code date", "山田 太郎 ３６００１０２", "", "c1:birthdate+name"},
		{"full-width era letter date", "山田 太郎 Ｓ６０．１．２", "", "c1:birthdate+name"},
		{"full-width era letter, kanji date", "山田 太郎 ｓ６０年１月２日", "", "c1:birthdate+name"},
		{"full-width compact era date", "山田 太郎 Ｓ６００１０２", "", "c1:birthdate+name"},
		{"full-width era letter, half-width digits", "山田 太郎 Ｓ60.1.2", "", "c1:birthdate+name"},
		{"phone after TEL", "山田 太郎 TEL09012345678", "", "c1:name+phone"},
		{"phone dialled with 0081", "Name: YAMADA Taro, Phone: 0081-70-1111-2222", "", "c4:name+phone"},
		{"phone dialled with 010 81", "山田 太郎 010-81-90-1234-5678", "", "c1:name+phone"},
		{"era year, then the Gregorian one", "山田 太郎 昭和60年（1985年）1月2日生", "", "c1:birthdate+name"},
		{"Gregorian year, then the era's", "山田 太郎 1985年（昭和60年）1月2日生", "", "c1:birthdate+name"},
		{"Gregorian year, the era's before 年", "山田 太郎 1985(昭和60)年1月2日", "", "c1:birthdate+name"},
		{"the year again, half-width", "佐藤 花子 昭和35年(1960年)3月4日", "", "c2:birthdate+name"},
		{"obfuscated email, spaced", "山田太郎 taro.yamada (at) example.jp", "", "c1:email+name"},
		{"obfuscated email, spaced dot", "Taro Yamada: taro.yamada [at] example [dot] jp", "", "c1:email+name"},
		{"email quoted in SQL", "INSERT INTO users VALUES (17,'山田 太郎','taro.yamada@example.jp');", "", "c1:email+name"},
		{"email after a key", "GET /login?email=taro.yamada@example.jp&next=/ 200", "", "c1:email"},
		{"email between pipes", "17|yamada|taro.yamada@example.jp|2024", "", "c1:email"},
		{"email in backquotes", "`taro.yamada@example.jp`", "", "c1:email"},
		{"html no-break space in a name", "<p>山田&nbsp;太郎 090-1234-5678</p>", MediaHTML, "c1:name+phone"},
		{"name in two pipe-separated fields", "17|山田|太郎|090-1234-5678\n", "", "c1:name+phone"},
		{"age in parentheses before a phone", "山田太郎（35）090-1234-5678", "", "c1:name+phone"},
		{"hiragana reading with a middle dot", "やまだ・たろう 090-1234-5678", "", "c1:name+phone"},
		{"era date in kanji numerals", "山田 太郎 昭和六十年一月二日生", "", "c1:birthdate+name"},
		{"era date in kanji numerals, another record", "佐藤 花子 昭和三十五年三月四日", "", "c2:birthdate+name"},
		{"json name in two members", `{"family":"山田","given":"太郎","tel":"090-1234-5678"}`, MediaJSON, "c1:name+phone"},
		{"json name in two members, given first", `{"mei":"太郎","sei":"山田","tel":"090-1234-5678"}`, MediaJSON, "c1:name+phone"},
		{"json romaji name in two members", `{"first_name":"Taro","last_name":"Yamada","tel":"070-1111-2222"}`, MediaJSON, "c4:name+phone"},
		{"pretty json name in two members", "{\n  \"last_name\": \"ヤマダ\",\n  \"first_name\": \"タロウ\",\n  \"phone\": \"090-1234-5678\"\n}", MediaJSON, "c1:name+phone"},
		{"english date, month first", "Name: Taro Yamada, born July 8, 1970.", "", "c4:birthdate+name"},
		{"english date, abbreviated", "Taro Yamada DOB: Jul. 8 1970", "", "c4:birthdate+name"},
		{"english date, day first", "YAMADA Taro (DOB 8 Jul 1970)", "", "c4:birthdate+name"},
		{"english date, dashed", "Taro Yamada,08-JUL-1970,x\n", "", "c4:birthdate+name"},
		{"english date, ordinal", "山田 太郎, born January 2nd, 1985", "", "c1:birthdate+name"},
		{"english date, day first with a comma", "山田 太郎 2nd January, 1985", "", "c1:birthdate+name"},
		{"date with spaces around its kanji", "山田 太郎 1985 年 1 月 2 日", "", "c1:birthdate+name"},
		{"era date with spaces around its kanji", "山田 太郎 昭和 60 年 1 月 2 日", "", "c1:birthdate+name"},
		{"full-width date with spaces", "山田 太郎 １９８５　年　１　月　２　日", "", "c1:birthdate+name"},
		{"Gregorian date in kanji digits", "山田 太郎 一九八五年一月二日生", "", "c1:birthdate+name"},
		{"Gregorian date in kanji digits with 〇", "佐藤 花子 一九六〇年三月四日", "", "c2:birthdate+name"},
		{"phone before a spaced 年", "山田 太郎 090-1234-5678 年 2 回", "", "c1:name+phone"},
		{"phone before 日", "山田 太郎 090-1234-5678 日曜", "", "c1:name+phone"},
		{"email in words", "山田太郎 taro.yamada at example dot jp", "", "c1:email+name"},
		{"email in words, upper case", "山田太郎 taro.yamada AT example DOT jp", "", "c1:email+name"},
		{"email in words, its dots too", "山田太郎 taro dot yamada at example dot jp", "", "c1:email+name"},
		{"email in words, domain dotted", "taro.yamada at example.jp (山田太郎)", "", "c1:email+name"},
		{"email percent-encoded in a URL", "GET /u?e=taro.yamada%40example.jp 山田太郎", "", "c1:email+name"},
		{"email percent-encoded alone", "GET /login?email=taro.yamada%40example.jp&next=%2F 200", "", "c1:email"},
		{"phone with long vowel marks for dashes", "山田　太郎　０９０ー１２３４ー５６７８", "", "c1:name+phone"},
		{"phone with minus signs for dashes", "山田 太郎 090−1234−5678", "", "c1:name+phone"},
		{"address with a building and floor", "山田 太郎 〒100-0005 東京都千代田区丸の内1-2-3 丸の内ビル4F", "", "c1:address+name+postal"},
		{"name and its reading in parentheses", "山田　太郎（やまだ　たろう）　090-1234-5678", "", "c1:name+phone"},
		{"name percent-encoded in a query string", "GET /form?name=%E5%B1%B1%E7%94%B0%E5%A4%AA%E9%83%8E&tel=090-1234-5678 HTTP/1.1", "", "c1:name+phone"},
		{"address with ノ for の", "住所は千代田区丸ノ内1丁目2番3号です。電話 090-1234-5678", "", "c1:address+phone"},
		{"address with ノ for の, full-width", "東京都千代田区丸ノ内１－２－３　０９０－１２３４－５６７８", "", "c1:address+phone"},
		{"name percent-encoded in Shift_JIS", "GET /cgi-bin/form.cgi?name=%8ER%93c%91%BE%98Y&tel=090-1234-5678 HTTP/1.0", "", "c1:name+phone"},
		{"address percent-encoded in Shift_JIS", "addr=%90%E7%91%E3%93c%8B%E6%8A%DB%82%CC%93%E01-2-3&tel=09012345678", "", "c1:address+phone"},
		{"form-encoded name, + for its space, Shift_JIS", "GET /entry.cgi?name=%8ER%93c+%91%BE%98Y&tel=090-1234-5678", "", "c1:name+phone"},
		{"name percent-encoded in EUC-JP", "GET /cgi-bin/form.cgi?name=%BB%B3%C5%C4%C2%C0%CF%BA&tel=090-1234-5678 HTTP/1.0", "", "c1:name+phone"},
		{"form-encoded name, + for its space, EUC-JP", "name=%BB%B3%C5%C4+%C2%C0%CF%BA&tel=090-1234-5678", "", "c1:name+phone"},
		{"address percent-encoded in EUC-JP", "addr=%C0%E9%C2%E5%C5%C4%B6%E8%B4%DD%A4%CE%C6%E21-2-3&tel=09012345678", "", "c1:address+phone"},
		{"form-encoded name, %20 for its space, UTF-8", "POST body: sei_mei=%E4%BD%90%E8%97%A4%20%E8%8A%B1%E5%AD%90&tel=03-1234-5678", "", "c2:name+phone"},
		{"form-encoded kana reading with +", "kana=%E3%83%A4%E3%83%9E%E3%83%80+%E3%82%BF%E3%83%AD%E3%82%A6&tel=090-1234-5678", "", "c1:name+phone"},
		{"Latin-1 percent escapes read as kanji find nothing", "GET /caf%E9s?u=%E9t%E9&tel=090-1234-5678", "", ""},
		{"address percent-encoded, lower-case hex", "q=%e5%8d%83%e4%bb%a3%e7%94%b0%e5%8c%ba%e4%b8%b8%e3%81%ae%e5%86%851-2-3&t=0901234-5678", "", "c1:address+phone"},
		{"name in two quoted SQL values", "INSERT INTO users VALUES (17,'山田','太郎','09012345678','x','1999-01-01');", "", "c1:name+phone"},
		{"name in two quoted CSV fields", "\"17\",\"佐藤\",\"花子\",\"03-1234-5678\"\n", "", "c2:name+phone"},
		{"romaji name in two quoted SQL values", "(18,'Taro', 'Yamada','070-1111-2222')", "", "c4:name+phone"},
		{"romaji name in two quoted CSV fields", "\"Taro\",\"Yamada\",\"070-1111-2222\"", "", "c4:name+phone"},
		{"a word of an address is no name part", "Yamada taro.yamada@example.jp", "", "c1:email"},
		{"date before an age in parentheses", "山田 太郎 生年月日:1985/01/02(39歳)", "", "c1:birthdate+name"},
		{"date before a full-width parenthesis", "山田 太郎 1985/01/02（39）", "", "c1:birthdate+name"},
		{"phone before a count in parentheses", "山田 太郎 090-1234-5678(3)", "", "c1:name+phone"},
		{"phone with spaced dashes", "山田 太郎 090 - 1234 - 5678", "", "c1:name+phone"},
		{"phone with slashes", "山田 太郎 TEL:090/1234/5678", "", "c1:name+phone"},
		{"phone with full-width slashes", "佐藤 花子 ０３／１２３４／５６７８", "", "c2:name+phone"},
		{"phone with spaced full-width dashes", "山田 太郎 ０９０　－　１２３４　－　５６７８", "", "c1:name+phone"},
		{"date with spaced slashes", "山田 太郎 1985 / 01 / 02", "", "c1:birthdate+name"},
		{"date range with spaced dash", "山田 太郎 在籍 1985/01/02 - 2024/03/31", "", "c1:birthdate+name"},
		{"phone after a spaced dash", "山田 太郎 - 090-1234-5678", "", "c1:name+phone"},
		{"spaced dash between two phones", "山田 太郎 090-1234-5678 - 03-9999-0000", "", "c1:name+phone"},
		{"address over three cells", "山田太郎,東京都,千代田区,丸の内1-2-3\n", "", "c1:address+name"},
		{"address over two quoted cells", "\"山田太郎\",\"東京都千代田区\",\"丸の内1-2-3\"\n", "", "c1:address+name"},
		{"address over tab-separated cells", "鈴木一郎\t北海道\t札幌市中央区\t北一条西二丁目3番4号\n", "", "c3:address+name"},
		{"address over table cells", "<table><tr><td>佐藤花子</td><td>大阪府</td><td>大阪市北区</td><td>梅田2-4-9</td></tr></table>", MediaHTML, "c2:address+name"},
		{"era abbreviated to its first kanji", "山田太郎 昭60.1.2", "", "c1:birthdate+name"},
		{"era abbreviated, kanji date", "佐藤 花子 昭35年3月4日生", "", "c2:birthdate+name"},
		{"era abbreviated, full-width", "山田 太郎 昭６０．１．２", "", "c1:birthdate+name"},
		{"html ruby readings", "<p><ruby>山田<rp>(</rp><rt>やまだ</rt><rp>)</rp>太郎<rp>(</rp><rt>たろう</rt><rp>)</rp></ruby> 090-1234-5678</p>", MediaHTML, "c1:name+phone"},
		{"html ruby readings without rp", "<td><ruby>佐藤<rt>さとう</rt>花子<rt>はなこ</rt></ruby></td><td>03-1234-5678</td>", MediaHTML, "c2:name+phone"},
		{"html ruby reading of a variant kanji", "<p><ruby>山田<rt>やまだ</rt></ruby> <ruby>太朗<rt>たろう</rt></ruby> 090-1234-5678</p>", MediaHTML, "c1:name+phone"},
		{"html ruby with rb", "<ruby><rb>鈴木</rb><rb>一郎</rb><rt>すずき</rt><rt>いちろう</rt></ruby> 080-9876-5432", MediaHTML, "c3:name+phone"},
		{"email with a star for the at", "山田太郎 taro.yamada★example.jp", "", "c1:email+name"},
		{"email with アットマーク", "連絡先 taro.yamada＜アットマーク＞example.jp", "", "c1:email"},
		{"email with (アットマーク)", "連絡先 taro.yamada(アットマーク)example.jp", "", "c1:email"},
		{"email with a bare アットマーク", "連絡先 taro.yamadaアットマークexample.jp", "", "c1:email"},
		{"email with a spaced bare アットマーク", "アットマーク: taro.yamada アットマーク example.jp", "", "c1:email"},
		{"email with 【アットマーク】", "連絡先 taro.yamada【アットマーク】example.jp", "", "c1:email"},
		{"email with 〔アットマーク〕", "連絡先 taro.yamada〔アットマーク〕example.jp", "", "c1:email"},
		{"romaji name with -san", "Yamada Taro-san 070-1111-2222", "", "c4:name+phone"},
		{"romaji name with -sama", "Taro Yamada-sama, tel 070-1111-2222", "", "c4:name+phone"},
		{"quoted romaji name with a comma", "\"Yamada, Taro\",070-1111-2222\n", "", "c4:name+phone"},
		{"phone in kanji digits", "山田 太郎 電話〇九〇－一二三四－五六七八", "", "c1:name+phone"},
		{"phone in kanji digits, bars", "佐藤 花子 〇三―一二三四―五六七八", "", "c2:name+phone"},
		{"phone in kanji digits, parentheses", "佐藤 花子 〇三（一二三四）五六七八", "", "c2:name+phone"},
		{"phone in kanji digits, middle dots", "山田 太郎 〇九〇・一二三四・五六七八", "", "c1:name+phone"},
		{"phone in kanji digits, long vowel marks", "ヤマダ タロウ 〇九〇ー一二三四ー五六七八", "", "c1:name+phone"},
		{"phone in kanji digits, unbroken", "山田 太郎 〇九〇一二三四五六七八", "", "c1:name+phone"},
		{"phone in kanji digits, circles for 〇", "山田 太郎 ○九○－一二三四－五六七八", "", "c1:name+phone"},
		{"phone in kanji digits after a list's number", "二、鈴木一郎 〇八〇－九八七六－五四三二", "", "c3:name+phone"},
		{"phone in kanji digits, spaced", "山田 太郎 〇九〇 一二三四 五六七八", "", "c1:name+phone"},
		{"phone in kanji digits, spaced dashes", "山田 太郎 〇九〇 － 一二三四 － 五六七八", "", "c1:name+phone"},
		{"phone in kanji digits, spaced, after a number", "鈴木一郎 二 〇八〇 九八七六 五四三二", "", "c3:name+phone"},
		{"postal code in kanji digits, spaced", "山田 太郎 一〇〇　〇〇〇五", "", "c1:name+postal"},
		{"postal code in kanji digits", "山田 太郎 〒一〇〇－〇〇〇五", "", "c1:name+postal"},
		{"postal code in kanji digits, unbroken after 〒", "山田 太郎 〒　一〇〇〇〇〇五", "", "c1:name+postal"},
		{"postal code in kanji digits from 〇", "鈴木 一郎 〒〇六〇－〇〇〇一", "", "c3:name+postal"},
		{"kanji digits: a date, then a phone", "山田 太郎 一九八五年一月二日 〇九〇－一二三四－五六七八", "", "c1:birthdate+name+phone"},
		{"kanji block numbers with dashes", "住所：東京都千代田区丸の内一－二－三　電話 090-1234-5678", "", "c1:address+phone"},
		{"kanji block numbers with bars", "大阪市北区梅田二―四―九 03-1234-5678", "", "c2:address+phone"},
		{"kanji block numbers with の", "千代田区丸の内一の二の三 090-1234-5678", "", "c1:address+phone"},
		{"kanji 丁目, then a bar", "大阪市北区梅田二丁目四―九 03-1234-5678", "", "c2:address+phone"},
		{"kanji block numbers with dashes, then 号", "千代田区丸の内一－二－三号 090-1234-5678", "", "c1:address+phone"},
		{"kanji digits: a phone, then a date", "山田 太郎 〇九〇－一二三四－五六七八　一九八五年一月二日", "", "c1:birthdate+name+phone"},
		{"kanji digits: a phone, then an era date", "山田 太郎 〇九〇 一二三四 五六七八 昭和六十年一月二日", "", "c1:birthdate+name+phone"},
		// Must not report:
		{"weak fields only", "1985/01/02 〒100-0005", "", ""},
		{"single phone", "call 090-1234-5678 now", "", ""},
		{"crossed records", "山田太郎 03-1234-5678", "", ""},
		{"name alone", "山田太郎さんは元気です", "", ""},
		{"too far apart", "山田太郎" + strings.Repeat("あ", 600) + "090-1234-5678", "", ""},
		{"other person", "田中次郎 090-1234-5679 jiro@example.jp", "", ""},
		// The digits of a code are no postal code and no date.
		{"postal inside a code", "山田 太郎 P1000005", "", ""},
		{"date inside a code", "山田 太郎 ORD19850102", "", ""},
		{"date inside a code, dashed", "山田 太郎 LOT1985-01-02", "", ""},
		{"era letter inside a word", "山田 太郎 PS600102", "", ""},
		{"era code inside a code", "山田 太郎 P3600102", "", ""},
		{"era code after 〒", "山田 太郎 〒3600102", "", ""},
		{"era letter and a dot inside a word", "山田 太郎 PS.60.1.2", "", ""},
		{"full-width era letter inside a word", "山田 太郎 ＰＳ６０．１．２", "", ""},
		{"full-width postal inside a code", "山田 太郎 Ｐ１０００００５", "", ""},
		{"a cell before the address that is no city", "山田太郎,千代田区x,丸の内1-2-3\n", "", ""},
		{"a city that is part of a cell", "山田太郎,x千代田区,丸の内1-2-3\n", "", ""},
		{"era abbreviation, another era", "山田 太郎 平60.1.2", "", ""},
		{"the year again, another year", "山田 太郎 1985年（昭和61年）1月2日", "", ""},
		{"spaced at with nothing before", "山田太郎 (at) example.jp 090-0000-0000", "", ""},
		{"the word アットマーク in prose", "メールはアットマークを含みます taro.yamada example.jp 山田太郎", "", ""},
		{"english date without a year", "山田 太郎 born Jan 2", "", ""},
		{"english date, two-digit year", "山田 太郎 Jan 2, 85", "", ""},
		{"english date, five-digit year", "山田 太郎 Jan 2, 19850", "", ""},
		{"month word inside a word", "山田 太郎 xJan 2, 1985", "", ""},
		{"an honorific's letters that go on", "Taro Yamada-sandwich 070-1111-2222", "", ""},
		{"kanji block numbers, another block", "千代田区丸の内一－二－四 090-1234-5678", "", ""},
		{"kanji numerals with の in prose", "千代田区丸の内一の谷 090-1234-5678", "", ""},
		{"phone in kanji digits, a digit short", "山田 太郎 〇九〇－一二三四－五六七", "", ""},
		{"phone in kanji digits, digits more", "山田 太郎 〇九〇－一二三四－五六七八九〇", "", ""},
		{"phone in kanji digits, not from 〇", "山田 太郎 九〇－一二三四－五六七八", "", ""},
		{"kanji digits of a postal code, no 〒 or grouping", "山田 太郎 一〇〇〇〇〇五", "", ""},
		{"kanji digits of a postal code, grouped otherwise", "山田 太郎 一〇〇〇－〇〇五", "", ""},
		{"no month", "山田 太郎 Chapter 2, 1985", "", ""},
		{"no ordinal", "山田 太郎 Jan 2xy, 1985", "", ""},
		{"era year in kanji numerals alone", "山田 太郎 昭和六十年の春", "", ""},
		{"era date in kanji numerals, another day", "山田 太郎 昭和六十年一月三日", "", ""},
		{"json members of another name", `{"sei":"山田","mei":"次郎","tel":"090-1234-5678"}`, MediaJSON, ""},
		{"json members not adjacent", `{"a":"山田","b":"x","c":"太郎","tel":"090-1234-5678"}`, MediaJSON, ""},
		{"other address after a key", "GET /login?email=jiro@example.jp&next=/ 200", "", ""},
		{"kanji digits, another day", "山田 太郎 一九八五年一月三日", "", ""},
		{"kanji digits without 年", "山田 太郎 一九八五 一月二日", "", ""},
		{"spaced 日 without a date before", "山田 太郎 1985 日", "", ""},
		{"other address in words", "山田太郎 jiro at example dot jp", "", ""},
		{"other address percent-encoded", "GET /login?email=jiro%40example.jp&next=%2F 200", "", ""},
		{"words at without a dotted domain", "taro.yamada at example 山田太郎", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := refsOf(scanString(t, m, c.text, c.media))
			if got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}

// TestKanjiEraDates: dates of each era the scanner reads in kanji
// numerals, the first year (元年) among them, are found with a name.
func TestKanjiEraDates(t *testing.T) {
	csv := "ref,name,birthdate\n" +
		"k1,山田 太郎,1989/01/08\n" + // 平成元年一月八日
		"k2,佐藤 花子,1926/12/24\n" + // 大正十五年十二月二十四日
		"k3,鈴木 一郎,2019/05/01\n" + // 令和元年五月一日
		"k4,高橋 美咲,1960/03/04\n" // 昭和三十五年三月四日
	m := loadMatcher(t, strings.NewReader(csv), "ref=ref,name=name,birthdate=birthdate", "eras")
	checkRefs(t, m, map[string]string{
		"氏名：山田 太郎 生年月日：平成元年一月八日": "k1:birthdate+name",
		"佐藤 花子（大正十五年十二月二十四日生）":   "k2:birthdate+name",
		"鈴木 一郎 令和元年五月一日":         "k3:birthdate+name",
		"高橋 美咲 昭和三十五年三月四日":       "k4:birthdate+name",
		"高橋 美咲 昭和三十五年三月五日":       "",
		"高橋 美咲 平和三十五年三月四日":       "",
		"山田 太郎 平成元年":             "",
	})
}

func TestMatchEncodings(t *testing.T) {
	m := newTestMatcher(t)
	text := "氏名,電話\n山田 太郎,090-1234-5678\n"
	for name, enc := range map[string]interface{ String(string) (string, error) }{
		"shift_jis": japanese.ShiftJIS.NewEncoder(), "euc-jp": japanese.EUCJP.NewEncoder(), "iso-2022-jp": japanese.ISO2022JP.NewEncoder(),
	} {
		b, err := enc.String(text)
		if err != nil {
			t.Fatal(err)
		}
		if got := refsOf(scanString(t, m, b, "")); got != "c1:name+phone" {
			t.Errorf("%s: got %q", name, got)
		}
	}
}

func TestMentions(t *testing.T) {
	m := newTestMatcher(t)
	sc := m.NewScanner()
	for text, want := range map[string]bool{
		"山田 太郎 data dump":          true,
		"list of ﾔﾏﾀﾞ ﾀﾛｳ":         true,
		"call 090-1234-5678":       true,
		"TARO.YAMADA@EXAMPLE.JP":   true,
		"born 1985/01/02":          true,
		"customer db part 1":       false,
		"田中次郎 090-0000-0000":       false,
		"weekly report 2024-05-01": false,
	} {
		if got := sc.Mentions(text); got != want {
			t.Errorf("Mentions(%q) = %v, want %v", text, got, want)
		}
	}
}
