package main

import (
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/fingerprints"
	"github.com/leakwatch/leakwatch/matcher/corpus"
	"github.com/leakwatch/leakwatch/store"
)

// BenchmarkBlindScan measures `leakwatch scan` over examples/pastes and
// over a benign corpus (corpus.Mixed: prose, logs and dumps of people
// outside the set) with examples/customers.csv loaded keyed, and with the
// same records loaded blind through a key service: one sub-benchmark per
// corpus and set, reporting MB/s. It is the source of the figures in
// docs/blind-loading.md, and runs in `make bench` (LEAKWATCH_BENCH_MB
// sets the benign corpus size, default 16).
func BenchmarkBlindScan(b *testing.B) {
	mb := 16
	if v, err := strconv.Atoi(os.Getenv("LEAKWATCH_BENCH_MB")); err == nil && v > 0 {
		mb = v
	}
	t := b
	dir := t.TempDir()
	examples := filepath.Join("..", "..", "examples")
	data, key, oprfKey := filepath.Join(dir, "data"), filepath.Join(dir, "key"), filepath.Join(dir, "oprf.key")
	l := &lw{t: t, env: map[string]string{"HOME": filepath.Join(dir, "home"), "LEAKWATCH_DATA": data, "LEAKWATCH_KEY": key}}
	l.run(0, "keygen")
	l.run(0, "keygen", "--oprf", oprfKey)
	tokOut, _ := l.run(0, "keygen", "--token", "bench", "--tokens", filepath.Join(dir, "tokens"), "--token-sets", "*")
	os.WriteFile(filepath.Join(dir, "bench.tok"), []byte(tokOut), 0o600)
	l.run(0, "sets", "load", "keyed", filepath.Join(examples, "customers.csv"), "--schema", blindSchema, "--id-pattern", "C[0-9]{8}")

	// The key service in this process, on the same store, for the load.
	st, err := store.OpenBolt(filepath.Join(data, "leakwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	ok, err := fingerprints.LoadOPRFKey(oprfKey)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := newKeyService(&keyServiceConfig{Tokens: filepath.Join(dir, "tokens"), EvaluationsPerDay: 1 << 40}, ok, st, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ks.mount(nil))
	start := time.Now()
	out, _ := l.run(0, "sets", "load", "blind", filepath.Join(examples, "customers.csv"), "--schema", blindSchema, "--id-pattern", "C[0-9]{8}",
		"--blind", "--server", srv.URL, "--token-file", filepath.Join(dir, "bench.tok"))
	t.Logf("blind load of examples/customers.csv: %s (%s)", strings.SplitN(out, "\n", 2)[0], time.Since(start).Round(time.Millisecond))
	srv.Close()
	st.Close()

	// The benign corpus, in documents of about 16 KB.
	benign := filepath.Join(dir, "benign")
	os.MkdirAll(benign, 0o700)
	_, others := corpus.Population(4242, 10, 3000)
	mixed := corpus.Mixed(4242, mb<<20, others)
	for i := 0; len(mixed) > 0; i++ {
		n := min(len(mixed), 16<<10)
		for n < len(mixed) && mixed[n-1] != '\n' {
			n++
		}
		os.WriteFile(filepath.Join(benign, fmt.Sprintf("doc%05d.txt", i)), mixed[:n], 0o600)
		mixed = mixed[n:]
	}

	for _, c := range []struct{ name, path string }{{"pastes", filepath.Join(examples, "pastes")}, {fmt.Sprintf("benign-%dMB", mb), benign}} {
		size := dirSize(b, c.path)
		for _, set := range []string{"keyed", "blind"} {
			b.Run(c.name+"/"+set, func(b *testing.B) {
				b.SetBytes(size)
				found := ""
				for b.Loop() {
					code := Main([]string{"scan", "--set", set, "--oprf-key", oprfKey, c.path}, strings.NewReader(""), io.Discard, &lastLine{&found},
						func(k string) string { return l.env[k] })
					if code != exitOK && code != exitFindings {
						b.Fatalf("scan %s: exit %d: %s", set, code, found)
					}
				}
				b.Logf("%s", found)
			})
		}
	}
}

// lastLine keeps the last line written to it.
type lastLine struct{ s *string }

func (l *lastLine) Write(p []byte) (int, error) {
	if s := strings.TrimSpace(string(p)); s != "" {
		*l.s = s
	}
	return len(p), nil
}

func dirSize(t testing.TB, dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return nil
	})
	return n
}
