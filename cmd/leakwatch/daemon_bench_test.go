package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/crawler/fixtures"
	"github.com/leakwatch/leakwatch/matcher/corpus"
)

// Pages fetched and matched per second by one `leakwatch run` process on
// the embedded store, politeness lifted, against loopback paste sites. Not
// a timed assertion: run it as
//
//	go test -run '^$' -bench BenchmarkDaemonPages -benchtime 1x ./cmd/leakwatch/
//
// and read pages/s. The set holds daemonBenchSet synthetic records; each
// paste is a daemonBenchPage-byte slice of the matcher benchmark's mixed
// corpus (prose, logs, CSV rows of people not in the set), and every
// daemonBenchLeakEvery-th paste also carries a row of a set record. The
// clock runs from the publication of the pastes to the end of the last
// visit that handed them over (every document matched: the crawler hands
// a document to the matcher before it counts it new), and the benchmark
// fails unless every planted record, and no other, was found.
const (
	daemonBenchSites     = 4
	daemonBenchPastes    = 250
	daemonBenchSet       = 10_000
	daemonBenchPage      = 4 << 10
	daemonBenchLeakEvery = 25
)

func BenchmarkDaemonPages(b *testing.B) {
	for range b.N {
		pps, docs := daemonPagesPerSecond(b)
		b.ReportMetric(pps, "pages/s")
		b.ReportMetric(float64(docs), "documents")
	}
}

func daemonPagesPerSecond(b *testing.B) (float64, int) {
	b.StopTimer()
	defer b.StartTimer()
	dir := b.TempDir()
	env := map[string]string{"HOME": filepath.Join(dir, "home")}
	lwRun := func(args ...string) {
		var out, errOut bytes.Buffer
		if code := Main(args, strings.NewReader(""), &out, &errOut, func(k string) string { return env[k] }); code != 0 {
			b.Fatalf("leakwatch %s: exit %d\n%s", strings.Join(args, " "), code, errOut.String())
		}
	}
	set, others := corpus.Population(31, daemonBenchSet, 5_000)
	var csv bytes.Buffer
	if err := corpus.WriteCSV(&csv, set, corpus.WriteOptions{}); err != nil {
		b.Fatal(err)
	}
	csvPath := filepath.Join(dir, "customers.csv")
	os.WriteFile(csvPath, csv.Bytes(), 0o600)
	key := filepath.Join(dir, "key")
	lwRun("keygen", "--key", key)
	lwRun("sets", "load", "customers", csvPath, "--data", filepath.Join(dir, "data"), "--key", key, "--schema",
		"ref=ref,name=name,kana=name,birthdate=birthdate,phone=phone,email=email:strong,postal=postal,address=address,mynumber=mynumber:strong,card=card:strong,custno=ignore")

	mixed := corpus.Mixed(32, daemonBenchSites*daemonBenchPastes*daemonBenchPage, others)
	var sites []*fixtures.PasteSite
	var srcs strings.Builder
	for i := range daemonBenchSites {
		p := fixtures.NewPasteSite()
		b.Cleanup(p.Close)
		sites = append(sites, p)
		fmt.Fprintf(&srcs, "  - {name: pastes-%d, kind: paste-api, url: %s/api_scraping.php, limit: %d, max_items: %d, interval: 1s, rate: 1000, allow_private: true}\n",
			i, p.URL, daemonBenchPastes, daemonBenchPastes)
	}
	config := filepath.Join(dir, "leakwatch.yaml")
	cfg := fmt.Sprintf("data: data\nkey: key\nworkers: %d\nsources:\n%s", daemonBenchSites, srcs.String())
	if err := os.WriteFile(config, []byte(cfg), 0o600); err != nil {
		b.Fatal(err)
	}
	w := startWorker(b, config, env["HOME"])
	time.Sleep(2 * time.Second) // every source visited once, empty

	planted := map[string]bool{}
	n := 0
	start := time.Now()
	for _, p := range sites {
		for i := range daemonBenchPastes {
			page := mixed[n*daemonBenchPage : (n+1)*daemonBenchPage]
			text := string(bytes.ToValidUTF8(page, nil))
			if n%daemonBenchLeakEvery == 0 {
				r := set[(n/daemonBenchLeakEvery)%len(set)]
				planted[r.Ref] = true
				text += "\n" + strings.Join([]string{r.Name, r.Phone, r.Email}, ",") + "\n"
			}
			p.Publish(fmt.Sprintf("paste %d", i), text)
			n++
		}
	}
	b.StartTimer()
	deadline := time.Now().Add(5 * time.Minute)
	var handed int
	var last time.Time
	for {
		handed, last = visitsDone(b, w.log())
		if handed >= n {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d pastes handed over in 5 minutes", handed, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.StopTimer()
	found := map[string]bool{}
	var out bytes.Buffer
	lwRun2 := func(args ...string) {
		out.Reset()
		var errOut bytes.Buffer
		if code := Main(args, strings.NewReader(""), &out, &errOut, func(k string) string { return env[k] }); code != 0 {
			b.Fatalf("leakwatch %s: exit %d\n%s", strings.Join(args, " "), code, errOut.String())
		}
	}
	w.cmd.Process.Signal(os.Interrupt)
	<-w.exited
	lwRun2("findings", "list", "--json", "--data", filepath.Join(dir, "data"))
	var listed []struct{ Refs []string }
	if err := json.Unmarshal(out.Bytes(), &listed); err != nil {
		b.Fatalf("findings list: %v", err)
	}
	for _, f := range listed {
		for _, r := range f.Refs {
			found[r] = true
		}
	}
	missed := 0
	for ref := range planted {
		if !found[ref] {
			missed++
			b.Errorf("planted record %s not found", ref)
		}
	}
	b.Logf("%d pastes, %d planted records, %d found, %d records in all findings", n, len(planted), len(planted)-missed, len(found))
	for ref := range found {
		if !planted[ref] {
			// The rest of every paste is people not in the set.
			b.Errorf("record %s reported, but only strangers' rows carry its fields", ref)
		}
	}
	return float64(n) / last.Sub(start).Seconds(), n
}

// visitsDone sums the documents the daemon's finished visits handed over
// and returns the time of the last such visit's end, from its JSON log.
func visitsDone(b *testing.B, log string) (int, time.Time) {
	total, last := 0, time.Time{}
	for line := range strings.Lines(log) {
		if !strings.Contains(line, `"msg":"visit done"`) {
			continue
		}
		var v struct {
			Time time.Time `json:"time"`
			New  int       `json:"new"`
		}
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			b.Fatalf("log line %q: %v", line, err)
		}
		if v.New > 0 {
			total += v.New
			last = v.Time
		}
	}
	return total, last
}
