package fingerprints

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakwatch/leakwatch/store"
	"golang.org/x/text/encoding/japanese"
)

const testSchema = "ref=ref,name=name,kana=name,birthdate=birthdate,phone=phone,email=email:strong,postal=postal,address=address,mynumber=mynumber:strong"

const testHeader = "ref,name,kana,birthdate,phone,email,postal,address,mynumber\n"

var testRows = []string{
	"c1,山田 太郎,ヤマダ タロウ,1985/01/02,090-1234-5678,taro.yamada@example.jp,100-0005,東京都千代田区丸の内1-2-3,123456789018\n",
	"c2,佐藤 花子,サトウ ハナコ,昭和60年3月4日,03-1234-5678,hanako@example.com,〒530-0001,大阪府大阪市北区梅田2丁目4番9号,\n",
	"c3,鈴木 一郎,スズキ イチロウ,H2.5.6,080-9876-5432,ichiro@example.ne.jp,060-0001,北海道札幌市中央区北1条西2丁目3-4,\n",
}

func testKey(t testing.TB) *Key {
	t.Helper()
	k, err := GenerateKey(filepath.Join(t.TempDir(), "key"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustSchema(t testing.TB, s string) *Schema {
	t.Helper()
	sc, err := ParseSchema(s)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func loadString(t testing.TB, st store.Store, key *Key, name, source, body string, mod func(*LoadOptions)) (LoadResult, error) {
	t.Helper()
	opts := LoadOptions{Name: name, Source: source, Schema: mustSchema(t, testSchema)}
	if mod != nil {
		mod(&opts)
	}
	return Load(context.Background(), st, key, strings.NewReader(body), opts)
}

// indexed builds the index of set name and returns it with a hasher of
// the set's keyed fingerprints.
func indexed(t testing.TB, st store.Store, key *Key, name string) (*Index, Hasher) {
	t.Helper()
	ix, err := BuildIndex(context.Background(), st, name)
	if err != nil {
		t.Fatal(err)
	}
	fpr, err := key.ForSet(ix.Meta())
	if err != nil {
		t.Fatal(err)
	}
	return ix, fpr.NewHasher()
}

func TestLoadCSVAndIndex(t *testing.T) {
	st, key := openBolt(t), testKey(t)
	res, err := loadString(t, st, key, "customers", "customers.csv", testHeader+strings.Join(testRows, ""), nil)
	if err != nil {
		t.Fatal(err)
	}
	m := res.Meta
	if m.Rows != 3 || m.Fingerprints != 3*8-2+3 || len(m.Fields) != 8 || m.Fields[1].Count != 3 {
		t.Fatalf("rows %d fingerprints %d fields %d", m.Rows, m.Fingerprints, len(m.Fields))
	}
	if m.Fields[7].Count != 1 || !m.Fields[7].Strong || m.Fields[7].Kind != "mynumber" {
		t.Fatalf("mynumber field: %+v", m.Fields[7])
	}
	ix, h := indexed(t, st, key, "customers")
	// Values written differently from the file still find their record.
	probes := []struct {
		kind Kind
		v    string
		ref  string
	}{
		{Phone, "+81 90 1234 5678", "c1"},
		{Email, "TARO.YAMADA＠EXAMPLE.JP", "c1"},
		{Birthdate, "1985年1月2日", "c1"},
		{Name, "やまだたろう", "c1"},
		{Birthdate, "1985-03-04", "c2"},
		{Address, "千代田区丸の内1丁目2番3号", "c1"},
		{Postal, "5300001", "c2"},
		{Birthdate, "1990/05/06", "c3"},
	}
	for _, p := range probes {
		norm, err := Normalize(p.kind, p.v)
		if err != nil {
			t.Fatalf("%s: %v", p.kind, err)
		}
		hits := ix.Lookup(h.Sum(p.kind, []byte(norm)).Key64())
		if len(hits) != 1 || ix.Ref(hits[0].Record()) != p.ref {
			t.Fatalf("probe %s: hits %v", p.kind, hits)
		}
	}
	if _, err := (&Key{}).ForSet(ix.Meta()); err == nil || !strings.Contains(err.Error(), "another key") {
		t.Fatalf("wrong key accepted: %v", err)
	}
}

func TestLoadFormatsAndEncodings(t *testing.T) {
	csv := testHeader + strings.Join(testRows, "")
	sjis, err := japanese.ShiftJIS.NewEncoder().String(csv)
	if err != nil {
		t.Fatal(err)
	}
	euc, err := japanese.EUCJP.NewEncoder().String(csv)
	if err != nil {
		t.Fatal(err)
	}
	tsv := strings.ReplaceAll(strings.ReplaceAll(csv, ",", "\t"), "\t\n", "\t\n")
	var jsonl strings.Builder
	for i, r := range testRows {
		c := strings.Split(strings.TrimSuffix(r, "\n"), ",")
		fmt.Fprintf(&jsonl, `{"ref":%q,"name":%q,"kana":%q,"birthdate":%q,"phone":%q,"email":%q,"postal":%q,"address":%q,"mynumber":%q,"extra":%d}`+"\n",
			c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], i)
	}
	cases := []struct {
		name, source, body, wantSource string
	}{
		{"utf-8", "a.csv", csv, "a.csv (csv, utf-8)"},
		{"utf-8 bom", "a.csv", "\ufeff" + csv, "a.csv (csv, utf-8)"},
		{"shift_jis", "a.csv", sjis, "a.csv (csv, shift_jis)"},
		{"euc-jp", "a.csv", euc, "a.csv (csv, euc-jp)"},
		{"crlf", "a.csv", strings.ReplaceAll(csv, "\n", "\r\n"), "a.csv (csv, utf-8)"},
		{"tsv", "a.tsv", tsv, "a.tsv (tsv, utf-8)"},
		{"jsonl", "a.jsonl", jsonl.String(), "a.jsonl (jsonl, utf-8)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, key := openBolt(t), testKey(t)
			res, err := loadString(t, st, key, "s", c.source, c.body, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Meta.Rows != 3 || res.Meta.Fingerprints != 25 || res.Meta.Source != c.wantSource {
				t.Fatalf("rows %d fps %d source %q", res.Meta.Rows, res.Meta.Fingerprints, res.Meta.Source)
			}
			// The same name must give the same fingerprint whatever the
			// file's encoding: probe the kana reading.
			ix, _ := BuildIndex(context.Background(), st, "s")
			fpr, _ := key.ForSet(ix.Meta())
			norm, _ := Normalize(Name, "ｽｽﾞｷ ｲﾁﾛｳ")
			hits := ix.Lookup(fpr.NewHasher().Sum(Name, []byte(norm)).Key64())
			if len(hits) != 1 || ix.Ref(hits[0].Record()) != "c3" {
				t.Fatalf("kana probe: %v", hits)
			}
		})
	}
}

func TestLoadBadInput(t *testing.T) {
	good := testHeader + strings.Join(testRows, "")
	big := strings.Repeat("x", 10<<20)
	cases := []struct {
		name, body, schema, want string
		mod                      func(*LoadOptions)
	}{
		{name: "empty file", body: "", want: "is empty"},
		{name: "header only", body: testHeader, want: "no data rows"},
		{name: "ragged row", body: testHeader + testRows[0] + "c9,only,three\n", want: "f.csv:3: wrong number of fields (got 3, want 9)"},
		{name: "bad quote", body: testHeader + testRows[0] + "c9,\"unterminated,x\n", want: "f.csv:3:"},
		{name: "10 MB field", body: testHeader + "c9," + big + ",,,,,,,\n", want: "longer than"},
		{name: "missing column", body: good, schema: "name=name,phone=telephone", want: "unknown field kind"},
		{name: "column not in header", body: good, schema: "name=name,tel=phone", want: `schema names column "tel", which is not in the header`},
		{name: "two refs", body: good, schema: "ref=ref,name=ref,phone=phone", want: "two ref columns"},
		{name: "unknown kind", body: good, schema: "ref=ref,name=fullname", want: `unknown field kind "fullname"`},
		{name: "bad my number", body: testHeader + strings.Replace(testRows[0], "123456789018", "123456789012", 1), want: `f.csv:2: column "mynumber": invalid mynumber`},
		{name: "impossible date", body: testHeader + strings.Replace(testRows[0], "1985/01/02", "1985/02/30", 1), want: `f.csv:2: column "birthdate": invalid`},
		{name: "era boundary", body: testHeader + strings.Replace(testRows[0], "1985/01/02", "昭和64年1月8日", 1), want: `column "birthdate": invalid`},
		{name: "mixed encodings", body: manyRows(2000) + mustSJIS(t, "c4,田中 次郎,タナカ ジロウ,1970/01/01,090-1111-2222,j@example.jp,,,\n"), want: "mixed encodings"},
		{name: "binary", body: "\x00\x01\x02\xff\xfe\x80\x81\xfd", want: "cannot tell the encoding"},
		{name: "no field values", body: testHeader + "c9,,,,,,,,\n", want: "no mapped field has a value"},
		{name: "id pattern", body: "ref,custno\nc1,X123\n", schema: "ref=ref,custno=id", mod: func(o *LoadOptions) { o.IDPattern = `C[0-9]{3}` }, want: "does not match --id-pattern"},
		{name: "column numbers without header", body: good, schema: "name=name", mod: func(o *LoadOptions) { o.NoHeader = true }, want: "has no header"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, key := openBolt(t), testKey(t)
			schema := testSchema
			if c.schema != "" {
				schema = c.schema
			}
			sc, err := ParseSchema(schema)
			if err == nil {
				opts := LoadOptions{Name: "s", Source: "f.csv", Schema: sc}
				if c.mod != nil {
					c.mod(&opts)
				}
				_, err = Load(context.Background(), st, key, strings.NewReader(c.body), opts)
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if sets, _ := st.ListSets(context.Background()); len(sets) != 0 {
				t.Fatalf("a failed load left %d sets", len(sets))
			}
			for _, row := range testRows {
				for _, v := range strings.Split(strings.TrimSpace(row), ",")[1:] {
					if len(v) >= 6 && strings.Contains(err.Error(), v) {
						t.Fatalf("error text contains a raw value: %v", err)
					}
				}
			}
		})
	}
}

// manyRows is a valid UTF-8 file longer than the encoding sample.
func manyRows(n int) string {
	var b strings.Builder
	b.WriteString(testHeader)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "r%d,山田 太郎,ヤマダ タロウ,,090-%04d-%04d,,,,\n", i, i/10000, i%10000)
	}
	return b.String()
}

func mustSJIS(t *testing.T, s string) string {
	out, err := japanese.ShiftJIS.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestLoadSkipInvalidCountsReasons(t *testing.T) {
	st, key := openBolt(t), testKey(t)
	body := testHeader + strings.Join(testRows, "") +
		"c4,x,y,1985/02/30,,,,,\n" +
		"c5,x,y,1985/02/31,,,,,\n" +
		"c6,only,three\n"
	res, err := loadString(t, st, key, "s", "f.csv", body, func(o *LoadOptions) { o.SkipInvalid = true })
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, n := range res.Meta.Skipped {
		total += n
	}
	if res.Meta.Rows != 3 || total != 3 || len(res.Meta.Skipped) != 2 {
		t.Fatalf("rows %d skipped %v", res.Meta.Rows, res.Meta.Skipped)
	}
	got, err := st.GetSet(context.Background(), "s")
	if err != nil || got.Skipped == nil {
		t.Fatalf("skipped counts not stored: %v %v", got.Skipped, err)
	}
}

// failingReader yields its data, then an error: an interrupted transfer.
type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

func TestLoadIsAtomic(t *testing.T) {
	st, key := openBolt(t), testKey(t)
	ctx := context.Background()
	if _, err := loadString(t, st, key, "s", "f.csv", testHeader+testRows[0], nil); err != nil {
		t.Fatal(err)
	}
	before, _ := st.GetSet(ctx, "s")

	// A big file that fails after several chunks were appended.
	var big bytes.Buffer
	big.WriteString(testHeader)
	for i := 0; i < 3*chunkRecords; i++ {
		fmt.Fprintf(&big, "r%d,山田 太郎,,,090-%04d-%04d,,,,\n", i, i/10000, i%10000)
	}
	boom := errors.New("connection reset")
	_, err := Load(ctx, st, key, &failingReader{r: &big, err: boom}, LoadOptions{Name: "s", Source: "big.csv", Schema: mustSchema(t, testSchema)})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	after, err := st.GetSet(ctx, "s")
	if err != nil || after.Version != before.Version || after.Rows != 1 {
		t.Fatalf("failed load changed the set: %+v %v", after, err)
	}

	// A cancelled load (Ctrl-C) likewise.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	big.Reset()
	big.WriteString(testHeader)
	for i := 0; i < 2*chunkRecords; i++ {
		fmt.Fprintf(&big, "r%d,山田 太郎,,,090-%04d-%04d,,,,\n", i, i/10000, i%10000)
	}
	if _, err := Load(cctx, st, key, &big, LoadOptions{Name: "s", Source: "big.csv", Schema: mustSchema(t, testSchema)}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled load: err = %v", err)
	}
	after, _ = st.GetSet(ctx, "s")
	if after.Version != before.Version {
		t.Fatal("cancelled load replaced the set")
	}
	ix, err := BuildIndex(ctx, st, "s")
	if err != nil || ix.Records() != 1 {
		t.Fatalf("index after failed loads: %v", err)
	}
}

func TestParseSchema(t *testing.T) {
	bad := map[string]string{
		"":                         "empty",
		"name":                     "want COLUMN=KIND",
		"a=name,a=phone":           "mapped twice",
		"a=name:weak":              "unknown modifier",
		"a=ref:strong,b=name":      "only a field kind",
		"0=name":                   "start at 1",
		"a=ref,b=ignore":           "no column",
		"a=ref,b=ref,c=name":       "two ref",
		"a=name,b=nonsense":        `schema item 2 ("b=nonsense"): unknown field kind`,
		"a=name,b=phone,c=ignored": "unknown field kind",
	}
	for spec, want := range bad {
		if _, err := ParseSchema(spec); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseSchema(%q) = %v, want %q", spec, err, want)
		}
	}
	s, err := ParseSchema(" ref = ref , 2=name, email=email:strong ,memo=ignore")
	if err != nil {
		t.Fatal(err)
	}
	unmapped, err := s.resolve([]string{"ref", "x", "email", "memo", "secret"}, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(unmapped) != 1 || unmapped[0] != "secret" {
		t.Fatalf("unmapped = %v", unmapped)
	}
}

func TestDetectEncoding(t *testing.T) {
	text := "山田太郎,ヤマダタロウ,東京都千代田区丸の内,やまだ\n"
	sj, _ := japanese.ShiftJIS.NewEncoder().String(text)
	eu, _ := japanese.EUCJP.NewEncoder().String(text)
	jis, _ := japanese.ISO2022JP.NewEncoder().String(text)
	cases := map[string]string{text: "utf-8", "\ufeff" + text: "utf-8", sj: "shift_jis", eu: "euc-jp", jis: "iso-2022-jp", "plain ascii": "utf-8"}
	for in, want := range cases {
		if got, err := DetectEncoding([]byte(in)); err != nil || got != want {
			t.Errorf("DetectEncoding(%q) = %q, %v; want %q", in[:min(len(in), 12)], got, err, want)
		}
	}
	// A sample cut in the middle of a UTF-8 character is still UTF-8.
	cut := []byte(text)[:4]
	if got, _ := DetectEncoding(cut); got != "utf-8" {
		t.Errorf("cut sample: %q", got)
	}
}
