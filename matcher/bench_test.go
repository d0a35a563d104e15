package matcher

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/fingerprints"
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

// BenchmarkScanMixedSmallSet scans BenchmarkScanMixed's corpus against the
// first 100,000 records of its set (all of it, if smaller): an
// organization's loss is more often a school's or a shop's list than a
// million records, and a smaller set shares fewer of its weak values
// among many records, which changes what the scan does around them.
func BenchmarkScanMixedSmallSet(b *testing.B) {
	benchSetup(b)
	small.once.Do(func() {
		dir := filepath.Join(bench.dir, "small")
		if err := os.Mkdir(dir, 0o700); err != nil {
			b.Fatal(err)
		}
		small.m = corpusMatcherIn(b, dir, bench.set[:min(len(bench.set), smallSetSize)])
	})
	if small.m == nil {
		b.Fatal("setup failed")
	}
	ctx := context.Background()
	b.SetBytes(int64(len(bench.mixed)))
	b.ResetTimer()
	var found int
	for b.Loop() {
		fs, err := small.m.NewScanner().Scan(ctx, Input{Source: "mixed", R: bytes.NewReader(bench.mixed), MediaType: MediaText, Charset: "utf-8"})
		if err != nil {
			b.Fatal(err)
		}
		found = len(fs)
	}
	b.ReportMetric(float64(min(len(bench.set), smallSetSize)), "records")
	b.ReportMetric(float64(found), "false-reports")
}

const smallSetSize = 100_000

var small struct {
	once sync.Once
	m    *Matcher
}

// BenchmarkGrepBaseline runs `grep -F -c -f values` over the same corpus,
// where values holds every raw field value of the set: the plaintext
// keyword search leakwatch replaces. With a large set, most of a grep
// run is grep compiling its ten patterns a record before it reads a byte;
// a keyword monitor compiles once and reads for ever, and the matcher's
// own loading and indexing are not timed either. So one grep process
// reads the corpus from its standard input once per iteration, and the
// clock starts once it has taken a first mebibyte, which it reads only
// when its patterns are compiled: the MB/s is grep's reading. The
// compile's time is reported too.
func BenchmarkGrepBaseline(b *testing.B) {
	grep, err := exec.LookPath("grep")
	if err != nil {
		b.Fatal("grep not found")
	}
	benchSetup(b)
	values := filepath.Join(bench.dir, "values.txt")
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
	}
	cmd := exec.Command(grep, "-F", "-c", "-f", values)
	var out bytes.Buffer
	cmd.Stdout = &out
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	// The pipe holds 64 KiB: this returns when grep is reading.
	if _, err := in.Write(bytes.Repeat([]byte("warm up\n"), 1<<17)); err != nil {
		b.Fatalf("grep: %v", err)
	}
	compile := time.Since(start)
	b.SetBytes(int64(len(bench.mixed)))
	b.ResetTimer()
	for b.Loop() {
		// Each write returns when grep has read all but the pipe's
		// 64 KiB of it.
		if _, err := in.Write(bench.mixed); err != nil {
			b.Fatalf("grep: %v", err)
		}
	}
	b.StopTimer()
	in.Close()
	if err := cmd.Wait(); err != nil && out.Len() == 0 {
		b.Fatalf("grep: %v", err)
	}
	b.ReportMetric(compile.Seconds(), "compile-s")
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

// The CSV dumps of the mixed corpus cost most of its scanning time. Two
// benchmarks measure them alone, in the same run: the matcher's scan of a
// corpus of dumps only, and a floor under it. The floor does the least any
// matcher of this design must do for each row: normalize each of its fields
// once, as the kind its column holds (known here from the header, which
// the matcher does not assume), ask the prefilter about each, with the
// probes prefetched and batched as the matcher does, and ask about each
// name paired with the row's birthdate and postal code (a name and a weak
// value make a record, and with a large set both are common). It does no
// extraction, no fingerprinting of values that pass, and no decision.
// `make bench` prints both and what the floor implies for the mixed
// corpus.

var benchDumps struct {
	once sync.Once
	body []byte
}

func dumpsSetup(b *testing.B) []byte {
	benchSetup(b)
	benchDumps.once.Do(func() {
		body := corpus.Dumps(23, envInt("LEAKWATCH_BENCH_MB", 32)<<20/4, bench.others)
		benchDumps.body = body[:bytes.LastIndexByte(body, '\n')+1] // whole rows
	})
	return benchDumps.body
}

// BenchmarkScanDumps is BenchmarkScanMixed on CSV dumps only.
func BenchmarkScanDumps(b *testing.B) {
	scanBench(b, "dumps", dumpsSetup(b), nil)
}

// BenchmarkScanProse and BenchmarkScanLogs scan the prose and the logs of
// the mixed corpus alone (corpus.MixedPart): with BenchmarkScanDumps, what
// each part costs of BenchmarkScanMixed's time, which `make bench` turns
// into the rate the dumps would need for the mixed corpus to reach the
// issue's target.
func BenchmarkScanProse(b *testing.B) {
	scanBench(b, "prose", partSetup(b, corpus.Prose), nil)
}

// BenchmarkScanLogs: see BenchmarkScanProse.
func BenchmarkScanLogs(b *testing.B) {
	scanBench(b, "logs", partSetup(b, corpus.Logs), nil)
}

func partSetup(b *testing.B, part corpus.Part) []byte {
	benchSetup(b)
	return corpus.MixedPart(22, envInt("LEAKWATCH_BENCH_MB", 32)<<20, bench.others, part)
}

// scanBench scans body with a fresh scanner each time, as
// BenchmarkScanMixed does, made ready by prepare if it is not nil.
func scanBench(b *testing.B, source string, body []byte, prepare func(*Scanner)) {
	ctx := context.Background()
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	var found int
	for b.Loop() {
		sc := bench.m.NewScanner()
		if prepare != nil {
			prepare(sc)
		}
		fs, err := sc.Scan(ctx, Input{Source: source, R: bytes.NewReader(body), MediaType: MediaText, Charset: "utf-8"})
		if err != nil {
			b.Fatal(err)
		}
		found = len(fs)
	}
	b.ReportMetric(float64(found), "false-reports")
}

// BenchmarkDumpsFloor is the floor described above, on the corpus of
// BenchmarkScanDumps.
func BenchmarkDumpsFloor(b *testing.B) {
	body := dumpsSetup(b)
	f, err := newFieldFloor(bench.m)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for b.Loop() {
		f.run(body)
	}
	if f.rejected > 0 {
		b.Fatalf("the floor skipped %d fields that did not normalize", f.rejected)
	}
	b.ReportMetric(float64(f.probes)/float64(b.N)/(float64(len(body))/1e6), "probes/MB")
}

// BenchmarkDumpsKnownColumns measures what knowing a dump's columns alone
// would save: the matcher's scan of BenchmarkScanDumps's corpus, with its
// extraction replaced by a split of each row at its commas and a lookup of
// each cell as its column's kind (knownColumns). Names are left, as the
// extraction leaves them, to the pairing and the windows that follow;
// everything after the extraction runs as in the matcher. `make bench`
// prints it against the matcher and the floor.
func BenchmarkDumpsKnownColumns(b *testing.B) {
	body, kinds := dumpsSetup(b), dumpKinds()
	scanBench(b, "dumps", body, func(sc *Scanner) {
		sc.extractWith = func(buf []byte, lo, hi int, base int64) { knownColumns(sc, kinds, buf, lo, hi, base) }
	})
}

// knownColumns is extract for CSV rows whose columns have the given
// kinds: it looks each cell of the lines starting in [lo, hi) up as its
// column's kind, but the names, batched as extract does. Header rows (a
// first cell "ref") are skipped.
func knownColumns(s *Scanner, kinds []fingerprints.Kind, buf []byte, lo, hi int, base int64) {
	s.batching = true
	defer func() {
		s.flush()
		s.batching = false
	}()
	i := lo
	if i > 0 && buf[i-1] != '\n' {
		// The line that started before lo is the last segment's.
		n := bytes.IndexByte(buf[i:], '\n')
		if n < 0 {
			return
		}
		i += n + 1
	}
	for i < hi {
		e := bytes.IndexByte(buf[i:], '\n')
		if e < 0 {
			e = len(buf)
		} else {
			e += i
		}
		if !bytes.HasPrefix(buf[i:e], []byte("ref,")) {
			col := 0
			for st := i; st <= e; col++ {
				en := bytes.IndexByte(buf[st:e], ',')
				if en < 0 {
					en = e
				} else {
					en += st
				}
				if col < len(kinds) && kinds[col] != 0 && kinds[col] != fingerprints.Name {
					s.lookup(kinds[col], buf[st:en], base+int64(st), base+int64(en))
				}
				st = en + 1
			}
		}
		i = e + 1
	}
}

// TestKnownColumns: the scan with knownColumns for its extraction finds the
// records of a dump of the set's people that the matcher finds, and no
// record in a dump of strangers: BenchmarkDumpsKnownColumns measures a scan
// that does the matcher's work on dumps.
func TestKnownColumns(t *testing.T) {
	// A set big enough that a person is on a row or two of the dump, not
	// a dozen: a row the scan skips loses its record.
	set, others := corpus.Population(5, 20000, 2000)
	m := corpusMatcher(t, set)
	kinds := dumpKinds()
	scan := func(body []byte, known bool) map[string]bool {
		sc := m.NewScanner()
		if known {
			sc.extractWith = func(buf []byte, lo, hi int, base int64) { knownColumns(sc, kinds, buf, lo, hi, base) }
		}
		fs, err := sc.Scan(context.Background(), Input{Source: "dumps", R: bytes.NewReader(body), MediaType: MediaText, Charset: "utf-8"})
		if err != nil {
			t.Fatal(err)
		}
		refs := map[string]bool{}
		for _, f := range fs {
			refs[f.Ref] = true
		}
		return refs
	}
	// Past a segment (1 MB), so that rows straddle a segment's cut.
	leak := corpus.Dumps(6, 3<<20/2, set)
	leak = leak[:bytes.LastIndexByte(leak, '\n')+1]
	want, got := scan(leak, false), scan(leak, true)
	rows := bytes.Count(leak, []byte("\n")) - bytes.Count(leak, []byte("ref,"))
	if len(want) < rows*2/3 || !maps.Equal(got, want) {
		t.Fatalf("the set's dumps (%d rows): the matcher finds %d records, with known columns %d", rows, len(want), len(got))
	}
	if got := scan(corpus.Dumps(6, 1<<20, others), true); len(got) != 0 {
		t.Fatalf("strangers' dumps: %d records reported", len(got))
	}
}

// fieldFloor is the state of BenchmarkDumpsFloor.
type fieldFloor struct {
	ix       *fingerprints.Index
	pre      fingerprints.PreHasher
	kinds    []fingerprints.Kind // by column; 0 for none
	tok      fingerprints.NameToken
	norm     []byte
	names    [][]byte
	weak     [2][]byte // the row's birthdate and postal code, normalized
	pair     []byte
	queue    []floorProbe
	rows     int
	probes   int
	passed   int
	rejected int
}

type floorProbe struct {
	k   fingerprints.Kind
	pre uint32
}

func newFieldFloor(m *Matcher) (*fieldFloor, error) {
	if len(m.sets) != 1 || !m.sets[0].ix.HasPrefilter() {
		return nil, fmt.Errorf("the floor needs one set with a prefilter")
	}
	pre, ok := m.sets[0].fpr.NewHasher().(fingerprints.PreHasher)
	if !ok {
		return nil, fmt.Errorf("the set's hasher has no prefilter values")
	}
	return &fieldFloor{ix: m.sets[0].ix, pre: pre, kinds: dumpKinds()}, nil
}

// dumpKinds returns the kind of each column of the corpus's dumps
// (corpus.CSVHeader), 0 for the ref, which is no field.
func dumpKinds() []fingerprints.Kind {
	byName := map[string]fingerprints.Kind{
		"name": fingerprints.Name, "kana": fingerprints.Name, "birthdate": fingerprints.Birthdate,
		"phone": fingerprints.Phone, "email": fingerprints.Email, "postal": fingerprints.Postal,
		"address": fingerprints.Address, "mynumber": fingerprints.MyNumber, "card": fingerprints.Card,
		"custno": fingerprints.ID,
	}
	var kinds []fingerprints.Kind
	for _, col := range corpus.CSVHeader {
		kinds = append(kinds, byName[col])
	}
	return kinds
}

// run does the floor's work for every row of body.
func (f *fieldFloor) run(body []byte) {
	header := []byte(strings.Join(corpus.CSVHeader, ","))
	for line := range bytes.Lines(body) {
		line = bytes.TrimSuffix(line, []byte("\n"))
		if len(line) == 0 || bytes.Equal(line, header) {
			continue
		}
		f.rows++
		f.names = f.names[:0]
		f.weak[0], f.weak[1] = f.weak[0][:0], f.weak[1][:0]
		col := 0
		for cell := range bytes.SplitSeq(line, []byte(",")) {
			if col < len(f.kinds) && f.kinds[col] != 0 {
				f.field(f.kinds[col], cell)
			}
			col++
		}
		for _, name := range f.names {
			for wi, wk := range [2]fingerprints.Kind{fingerprints.Birthdate, fingerprints.Postal} {
				if len(f.weak[wi]) > 0 {
					f.pair = fingerprints.AppendPair(f.pair[:0], wk, f.weak[wi], name)
					f.push(fingerprints.Pair, f.pair)
				}
			}
		}
	}
	f.flush()
}

// field normalizes one cell as kind k and queues its probe; a name is kept
// for pairing when the names' filter lets it pass, as the matcher does.
func (f *fieldFloor) field(k fingerprints.Kind, cell []byte) {
	var norm []byte
	if k == fingerprints.Name {
		f.tok.Reset(cell)
		var ok bool
		if norm, ok = f.tok.Sub(0, f.tok.Len()); !ok {
			var err error
			if f.norm, err = fingerprints.AppendNormalized(f.norm[:0], k, cell); err != nil {
				f.rejected++
				return
			}
			norm = f.norm
		}
		f.probes++
		if f.ix.MayHave(k, f.pre.Pre(k, norm)) {
			f.passed++
			f.names = append(f.names, bytes.Clone(norm))
		}
		return
	}
	var err error
	if f.norm, err = fingerprints.AppendNormalized(f.norm[:0], k, cell); err != nil {
		f.rejected++
		return
	}
	switch k {
	case fingerprints.Birthdate:
		f.weak[0] = append(f.weak[0], f.norm...)
	case fingerprints.Postal:
		f.weak[1] = append(f.weak[1], f.norm...)
	}
	f.push(k, f.norm)
}

func (f *fieldFloor) push(k fingerprints.Kind, norm []byte) {
	p := floorProbe{k: k, pre: f.pre.Pre(k, norm)}
	f.ix.Prefetch(k, p.pre)
	f.queue = append(f.queue, p)
	if len(f.queue) == maxQueued {
		f.flush()
	}
}

func (f *fieldFloor) flush() {
	for _, p := range f.queue {
		f.probes++
		if f.ix.MayHave(p.k, p.pre) {
			f.passed++
		}
	}
	f.queue = f.queue[:0]
}

// TestFieldFloor: the floor does the work it claims. Over dumps of the
// set's own people every field normalizes, and every probe passes (the
// prefilter has no false negatives): 14 a row, 8 values, 2 names and 4
// pairs. Over strangers, most probes are turned away.
func TestFieldFloor(t *testing.T) {
	set, others := corpus.Population(5, 2000, 2000)
	m := corpusMatcher(t, set)
	f, err := newFieldFloor(m)
	if err != nil {
		t.Fatal(err)
	}
	// Whole rows only: the corpus's last line is cut short.
	body := corpus.Dumps(6, 1<<18, set)
	f.run(body[:bytes.LastIndexByte(body, '\n')+1])
	if f.rejected != 0 || f.passed != f.probes || f.probes != 14*f.rows || f.rows < 1000 {
		t.Fatalf("set's dumps: %d probes on %d rows, %d passed, %d fields rejected", f.probes, f.rows, f.passed, f.rejected)
	}
	g, _ := newFieldFloor(m)
	g.run(corpus.Dumps(6, 1<<18, others))
	if g.rejected != 0 || g.passed*4 > g.probes {
		t.Fatalf("strangers' dumps: %d probes, %d passed, %d fields rejected", g.probes, g.passed, g.rejected)
	}
	t.Logf("strangers' dumps: %d probes on %d rows, %d passed", g.probes, g.rows, g.passed)
}
