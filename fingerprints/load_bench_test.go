package fingerprints

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"
)

var benchFamily = []string{"山田", "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林"}
var benchKanaFamily = []string{"ヤマダ", "サトウ", "スズキ", "タカハシ", "タナカ", "イトウ", "ワタナベ", "ヤマモト", "ナカムラ", "コバヤシ"}
var benchGiven = []string{"太郎", "花子", "一郎", "美咲", "健太", "陽菜", "翔", "結衣", "大輝", "さくら"}
var benchKanaGiven = []string{"タロウ", "ハナコ", "イチロウ", "ミサキ", "ケンタ", "ヒナ", "ショウ", "ユイ", "ダイキ", "サクラ"}

// myNumber returns a valid 12-digit individual number built from i.
func myNumber(i int) string {
	d := fmt.Sprintf("%011d", 10000000000+int64(i))
	sum := 0
	for n := 1; n <= 11; n++ {
		p := int(d[11-n] - '0')
		q := n + 1
		if n > 6 {
			q = n - 5
		}
		sum += p * q
	}
	c := 0
	if r := sum % 11; r > 1 {
		c = 11 - r
	}
	return fmt.Sprintf("%s%d", d, c)
}

// benchCSV writes n rows of the 9-column schema, values varied by row.
func benchCSV(n int) []byte {
	var b bytes.Buffer
	b.WriteString(testHeader)
	for i := 0; i < n; i++ {
		f, g := i%len(benchFamily), (i/len(benchFamily))%len(benchGiven)
		fmt.Fprintf(&b, "c%d,%s %s,%s %s,%d/%02d/%02d,090-%04d-%04d,user%d@example.jp,%03d-%04d,東京都千代田区丸の内%d-%d-%d,%s\n",
			i, benchFamily[f], benchGiven[g], benchKanaFamily[f], benchKanaGiven[g],
			1940+i%60, 1+i%12, 1+i%28, (i/10000)%10000, i%10000, i, 100+i%900, i%10000, 1+i%9, 1+i%30, 1+i%20, myNumber(i))
	}
	return b.Bytes()
}

// BenchmarkLoad loads 100,000 rows of the 9-column schema into the
// embedded store per iteration and reports rows/s. The loader is one
// goroutine, so this is the one-core figure the target is set on.
func BenchmarkLoad(b *testing.B) {
	data := benchCSV(100_000)
	st, key := openBolt(b), testKey(b)
	schema := mustSchema(b, testSchema)
	b.SetBytes(int64(len(data)))
	var rows int64
	start := time.Now()
	for b.Loop() {
		res, err := Load(context.Background(), st, key, bytes.NewReader(data), LoadOptions{Name: "bench", Source: "bench.csv", Schema: schema})
		if err != nil {
			b.Fatal(err)
		}
		rows += res.Meta.Rows
	}
	b.ReportMetric(float64(rows)/time.Since(start).Seconds(), "rows/s")
}
