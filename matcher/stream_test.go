package matcher

import (
	"context"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

// TestRecordsAcrossSegmentBoundaries plants a record so that it straddles
// each segment boundary of a multi-megabyte input, at several offsets. In
// text without a line break or a space, the cut falls inside the record,
// and inside its phone number in kanji digits at some of the offsets:
// the run is looked up by the segment its first digit after 〇 falls in.
func TestRecordsAcrossSegmentBoundaries(t *testing.T) {
	m := newTestMatcher(t)
	for _, c := range []struct{ record, filler, want string }{
		{"山田 太郎,1985/01/02,090-1234-5678", "これは無関係な文章です。The quick brown fox 12 jumps.\n", "c1:birthdate+name+phone"},
		{"山田太郎〇九〇－一二三四－五六七八", "これは無関係な文章です。", "c1:name+phone"},
	} {
		for _, shift := range []int{-40, -20, -5, 0, 7, 30} {
			checkAcrossBoundary(t, m, c.record, c.filler, c.want, shift)
		}
	}
	// The cut inside the phone number: at each of its characters.
	record := "山田太郎〇九〇－一二三四－五六七八"
	for k := len("山田太郎"); k < len(record); k += 3 {
		checkAcrossBoundary(t, m, record, "これは無関係な文章です。", "c1:name+phone", -k)
	}
}

// checkAcrossBoundary scans record, placed shift bytes after the first
// segment's cut (margin before its size, then back to a line break or a
// space if filler has one near) and followed by filler up to three
// segments, and checks what is found, and where.
func checkAcrossBoundary(t *testing.T, m *Matcher, record, filler, want string, shift int) {
	t.Helper()
	{
		var b strings.Builder
		for b.Len()+len(filler) <= segSize-margin+shift {
			b.WriteString(filler)
		}
		for b.Len() < segSize-margin+shift {
			b.WriteByte('x')
		}
		start := b.Len()
		b.WriteString(record)
		for b.Len() < 3*segSize {
			b.WriteString(filler)
		}
		fs, err := m.Scan(context.Background(), Input{Source: "big", R: strings.NewReader(b.String())})
		if err != nil {
			t.Fatal(err)
		}
		if got := refsOf(fs); got != want {
			t.Fatalf("%s, shift %d: got %q, want %q", record, shift, got, want)
		}
		if fs[0].Start < int64(start) || fs[0].End > int64(start+len(record)) {
			t.Fatalf("shift %d: span %d-%d outside the record at %d-%d", shift, fs[0].Start, fs[0].End, start, start+len(record))
		}
	}
}

// TestManyRecordsBoundedMemory scans a large dump of planted records and
// checks every one is found once.
func TestManyRecordsInLargeDump(t *testing.T) {
	m := newTestMatcher(t)
	rows := []string{
		"山田 太郎,1985/01/02,090-1234-5678\n",
		"佐藤 花子,1960/03/04,03-1234-5678\n",
		"鈴木 一郎,1990/05/06,080-9876-5432\n",
	}
	var b strings.Builder
	for i := 0; b.Len() < 4*segSize; i++ {
		b.WriteString("田中 次郎,2001/02/03,090-5555-0000\n")
		if i%5000 == 0 {
			b.WriteString(rows[(i/5000)%3])
		}
	}
	fs, err := m.Scan(context.Background(), Input{Source: "dump", R: strings.NewReader(b.String())})
	if err != nil {
		t.Fatal(err)
	}
	if got := refsOf(fs); got != "c1:birthdate+name+phone c2:birthdate+name+phone c3:birthdate+name+phone" {
		t.Fatalf("got %q", got)
	}
}

func FuzzScan(f *testing.F) {
	for _, s := range []string{
		"山田 太郎,1985/01/02,090-1234-5678",
		"氏名：山田太郎\n生年月日：昭和60年1月2日\n電話：０９０－１２３４－５６７８\n",
		"ﾔﾏﾀﾞ ﾀﾛｳ 090(1234)5678 taro.yamada[at]example.jp",
		"住所は千代田区丸の内1丁目2番3号です。電話 090-1234-5678",
		"大阪市北区梅田二丁目四番九号 03-1234-5678 〒530-0001",
		"Name: YAMADA Taro, Phone: +81-70-1111-2222 C00012348",
		"平成元年1月8日 令和元年5月1日 S60.1.2 H1.1.8 ㍻31年4月30日",
		"1234 5678 9018 4111-1111-1111-1111 ( ) - -- 1-- --1 元年",
		"@@ [at] (at) ＠ a@b. @example.jp x@ 丁目 一丁目",
		"taro.yamada (at) example.jp; x [at] y [dot] z ( at ) [at]  [dot] ",
		"(1,'taro.yamada@example.jp'),(2,'a=b@c.jp') |x@y.jp| ?email=z@w.jp& '@x.jp",
		"昭和六十年一月二日 平成三十一年四月三十日 令和元年五月一日 大正十五年 和 昭和 昭和六十年一月",
		`{"sei":"山田","mei":"太郎","x":"Taro", "y" : "Yamada","z":"","":"" ,"tel":"090-1234-5678"}`,
		"Taro Yamada, born July 8, 1970; 8 Jul 1970; 08-JUL-1970; Jan. 2nd,1985 xJan 2, 1985 May 2",
		"GET /u?e=taro.yamada%40example.jp&n=%2F%4 %40 taro dot yamada at example dot jp AT x DOT y at . at  AT ",
		"1985 年 1 月 2 日 昭和 60 年 1 月 2 日 １９８５　年　１ 月 一九八五年一月二日 二〇〇〇年 一九八五 090 年 日 1 日 一二三",
		"昭60.1.2 平元.1.8 大1 昭 昭６０ taro★example.jp x（アットマーク）y.jp [アットマーク] <★> ｱｯﾄﾏｰｸ ★",
		"山田太郎 〇九〇－一二三四－五六七八 〒一〇〇－〇〇〇五 二 〇八〇 九八七六 五四三二 〇三（一二三四）五六七八 ○九○・一二三四 一〇〇〇〇〇五 〇 〇 九",
	} {
		f.Add(s)
	}
	m := newTestMatcher(f)
	f.Fuzz(func(t *testing.T, text string) {
		ctx := context.Background()
		whole, err := m.Scan(ctx, Input{Source: "f", R: strings.NewReader(text), MediaType: MediaText, Charset: "utf-8"})
		if err != nil {
			return
		}
		valid := utf8.ValidString(text)
		for _, fd := range whole {
			if fd.Start < 0 || fd.End <= fd.Start || (valid && fd.End > int64(len(text))) {
				t.Fatalf("finding span %d-%d out of range (len %d)", fd.Start, fd.End, len(text))
			}
			if len(fd.Fields) == 0 || fd.Score <= 0 || fd.Score > 1 {
				t.Fatalf("bad finding %+v", fd)
			}
		}
		// Reading a byte at a time must find the same.
		drip, err := m.Scan(ctx, Input{Source: "f", R: iotest.OneByteReader(strings.NewReader(text)), MediaType: MediaText, Charset: "utf-8"})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(whole, drip) {
			t.Fatalf("byte-at-a-time scan differs:\n%v\n%v", whole, drip)
		}
	})
}

// FuzzInputs feeds arbitrary bytes as HTML and JSON documents: extraction
// must not panic or hang, whatever the markup. And the text the scanner
// reads is valid UTF-8 whatever the bytes, the markup and the declared or
// detected encoding: its character offsets (runeCount) count on it.
func FuzzInputs(f *testing.F) {
	f.Add([]byte("<table><tr><td>佐藤</td><td>花子</td></tr></table><script>x</script><a href='mailto:a@b.jp'>"))
	f.Add([]byte(`{"a":["\u9234\u6728",1e3,{"b":null}]}` + "\n" + `{"c":"d"}`))
	f.Add([]byte("\xef\xbb\xbf<html><meta charset=shift_jis>\x82\xa0</html>"))
	f.Add([]byte("<ruby>山<rp>(</rp><rt>やま</rt>田<rt>だ<b>x</b></rt></ruby> <ruby><rb>太郎<rtc><rt>たろう</rtc></ruby><td><ruby>a<rt>b<rt></ruby></ruby><rt>c</rt><ruby>"))
	f.Add([]byte("GET /?n=%E5%B1%B1%e7%94%b0&x=%E5%B1%41%F0%9F%98%80%C0%AF%%E5%4"))
	f.Add([]byte("From a@b x\nFrom: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <a@b>\nDate: x\nSubject: \x8eR\x93c\nContent-Type: multipart/mixed; boundary=q\n\n--q\nContent-Transfer-Encoding: base64\n\n5bGx55Sw\n--q\nContent-Type: message/rfc822\n\nFrom: b@c\nContent-Transfer-Encoding: quoted-printable\n\n=E5=B1=B1=\n\n--q--\n\nFrom c@d y\n\xff\n"))
	f.Add([]byte("caf\xe9 \x80\xbf\xed\xa0\x80 \xe3\x81 &#xD800; &#1114112; {\"a\":\"\\udc00\"}"))
	m := newTestMatcher(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, mt := range []string{MediaHTML, MediaJSON, MediaMail, ""} {
			_, _ = m.Scan(context.Background(), Input{Source: "f", R: io.LimitReader(strings.NewReader(string(b)), 1<<20), MediaType: mt})
			for _, cs := range []string{"", "utf-8", "shift_jis", "euc-jp", "iso-2022-jp", "utf-16", "utf-16le", "windows-1252", "unicode-1-1-utf-8"} {
				text, wait, err := textOf(Input{Source: "f", R: strings.NewReader(string(b)), MediaType: mt, Charset: cs})
				if err != nil {
					continue // binary, say
				}
				got, _ := io.ReadAll(text)
				wait()
				if !utf8.Valid(got) {
					t.Fatalf("media %q, charset %q: the text is not valid UTF-8: %q", mt, cs, got)
				}
			}
		}
	})
}

// TestRuneCount: runeCount counts as utf8.RuneCount on valid UTF-8 of
// every width, at every length and alignment.
func TestRuneCount(t *testing.T) {
	text := []byte(strings.Repeat("a丁目é𠮷ｱ,09０\n", 20))
	for lo := 0; lo < 16; lo++ {
		for hi := lo; hi <= len(text); hi++ {
			if b := text[lo:hi]; utf8.Valid(b) && runeCount(b) != utf8.RuneCount(b) {
				t.Fatalf("runeCount(%q) = %d, want %d", b, runeCount(b), utf8.RuneCount(b))
			}
		}
	}
}

// TestWindowAcrossSegmentBoundary: two identifying fields of a record, one
// in each of two segments, count together within the window and not one
// character beyond it. The character offsets of the second segment come
// from those counted in the first (scanText), so an offset counted wrong
// by a single character moves the decision. The pair is placed at many
// offsets before the first segment's end, so that some of them straddle
// it wherever the reader's chunks put it.
func TestWindowAcrossSegmentBoundary(t *testing.T) {
	m := newTestMatcher(t)
	const phone = "090-1234-5678" // c1's, 13 characters; then c1's customer number
	fill := func(b *strings.Builder, n int) {
		for b.Len() < n {
			b.WriteString("これは無関係な文章です。")
		}
	}
	for at := segSize - 8000; at < segSize; at += 350 {
		for gap, found := range map[int]bool{486: true, 487: true, 488: false, 490: false} {
			// The id starts 13+gap characters after the phone: within
			// the 500-character window up to a gap of 487.
			var b strings.Builder
			// A record found early, so that the first segment counts
			// characters up to its hits.
			b.WriteString("前書き 080-9876-5432 C00012347 だけ。\n")
			fill(&b, at)
			b.WriteString(phone)
			b.WriteString(strings.Repeat("あ", gap))
			b.WriteString("C00012345")
			fill(&b, 2*segSize+segSize/2)
			fs, err := m.Scan(context.Background(), Input{Source: "big", R: strings.NewReader(b.String())})
			if err != nil {
				t.Fatal(err)
			}
			want := "c3:id+phone"
			if found {
				want += " c1:id+phone"
			}
			if got := refsOf(fs); got != want {
				t.Errorf("phone at %d, gap %d: got %q, want %q", at, gap, got, want)
			}
		}
	}
}
