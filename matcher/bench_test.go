package matcher

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/matcher/corpus"
)

// The throughput benchmark: a mixed corpus (about half prose, a fifth logs,
// the rest CSV dumps of people) scanned against a 1,000,000-record set,
// next to `grep -F -f` over the same set's raw values on the same corpus,
// measured in the same run. grep needs the raw values in a file, which the
// benchmark writes to its own temporary directory (synthetic people only).

var bench struct {
	once   sync.Once
	m      *Matcher
	mixed  []byte
	set    []corpus.Person
	others []corpus.Person
	dir    string
}

var benchSetSize = envInt("LEAKWATCH_BENCH_SET", 1_000_000)

func benchSetup(b *testing.B) {
	bench.once.Do(func() {
		start := time.Now()
		// Strangers enough that the dumps of the corpus rarely repeat a
		// row: crawled text is new text.
		bench.set, bench.others = corpus.Population(21, benchSetSize, 200_000)
		dir, err := os.MkdirTemp("", "leakwatch-bench-")
		if err != nil {
			b.Fatal(err)
		}
		bench.dir = dir
		bench.m = corpusMatcherIn(b, dir, bench.set)
		bench.mixed = corpus.Mixed(22, envInt("LEAKWATCH_BENCH_MB", 32)<<20, bench.others)
		runtime.GC()
		b.Logf("setup: %d-record set loaded and indexed, %d MB corpus, in %s", benchSetSize, len(bench.mixed)>>20, time.Since(start).Round(time.Second))
	})
	if bench.m == nil {
		b.Fatal("setup failed")
	}
}

func BenchmarkScanMixed(b *testing.B) {
	benchSetup(b)
	ctx := context.Background()
	b.SetBytes(int64(len(bench.mixed)))
	b.ResetTimer()
	var found int
	var st Stats
	for b.Loop() {
		// A fresh scanner each time: no cache carries values from the
		// last pass over the same text.
		sc := bench.m.NewScanner()
		fs, err := sc.Scan(ctx, Input{Source: "mixed", R: bytes.NewReader(bench.mixed), MediaType: MediaText, Charset: "utf-8"})
		if err != nil {
			b.Fatal(err)
		}
		found = len(fs)
		st = sc.Stats()
	}
	mb := float64(st.Bytes) / 1e6
	b.ReportMetric(float64(st.Candidates)/mb, "candidates/MB")
	b.ReportMetric(float64(st.Lookups)/mb, "lookups/MB")
	b.ReportMetric(float64(st.Deferred)/mb, "deferred/MB")
	// The corpus holds no record of the set: every report is a false one.
	b.ReportMetric(float64(found), "false-reports")
}

// BenchmarkGrepBaseline runs `grep -F -c -f values` over the same corpus,
// where values holds every raw field value of the set: the plaintext
// keyword search leakwatch replaces.
func BenchmarkGrepBaseline(b *testing.B) {
	grep, err := exec.LookPath("grep")
	if err != nil {
		b.Fatal("grep not found")
	}
	benchSetup(b)
	values := filepath.Join(bench.dir, "values.txt")
	corpusFile := filepath.Join(bench.dir, "mixed.txt")
	if _, err := os.Stat(values); err != nil {
		var v bytes.Buffer
		for _, p := range bench.set {
			for _, s := range []string{p.Name, p.Kana, p.Phone, p.Email, p.Postal, p.Prefecture + p.Address, p.MyNumber, p.Card, p.CustomerID, p.Birthdate.Format("2006/01/02")} {
				v.WriteString(s)
				v.WriteByte('\n')
			}
		}
		if err := os.WriteFile(values, v.Bytes(), 0o600); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(corpusFile, bench.mixed, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(bench.mixed)))
	b.ResetTimer()
	for b.Loop() {
		out, err := exec.Command(grep, "-F", "-c", "-f", values, corpusFile).Output()
		if err != nil && len(out) == 0 {
			b.Fatalf("grep: %v", err)
		}
	}
}

// corpusMatcherIn is corpusMatcher for benchmarks that outlive one test's
// temporary directory.
func corpusMatcherIn(b *testing.B, dir string, set []corpus.Person) *Matcher {
	return corpusMatcher(&dirTB{TB: b, dir: dir}, set)
}

type dirTB struct {
	testing.TB
	dir string
	n   int
}

func (d *dirTB) TempDir() string {
	d.n++
	p := filepath.Join(d.dir, "t", string(rune('a'+d.n)))
	os.MkdirAll(p, 0o700)
	return p
}

func (d *dirTB) Cleanup(func()) {}

// envInt reads a benchmark size from the environment (for quick runs).
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
