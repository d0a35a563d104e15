package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/crawler/fixtures"
	"github.com/leakwatch/leakwatch/store/storetest"
)

// Scaling of a fleet on one Redis. Not a timed assertion: run it as
//
//	go test -run '^$' -bench BenchmarkFleetScaling -benchtime 1x ./cmd/leakwatch/
//
// and read pages/s. Each run starts 1, 2 or 3 `leakwatch run` processes on
// a fresh Redis, publishes benchPastes pastes on each of benchSites paste
// sites whose every response is delayed by benchLatency (a slow site, so
// the crawl is latency-bound, not CPU-bound), and measures the requests
// the sites served per second from the publication to the last paste
// fetched. Per-process `workers` is the number of sources one process
// visits at once; the work queue gives each source to one worker at a
// time, so more processes help only while there are sources no process is
// visiting.
const (
	benchSites   = 6
	benchPastes  = 100
	benchLatency = 50 * time.Millisecond
)

func BenchmarkFleetScaling(b *testing.B) {
	for _, perProcess := range []int{1, 4} {
		for _, procs := range []int{1, 2, 3} {
			b.Run(fmt.Sprintf("workers=%d/processes=%d", perProcess, procs), func(b *testing.B) {
				for range b.N {
					pps := fleetPagesPerSecond(b, procs, perProcess)
					b.ReportMetric(pps, "pages/s")
				}
			})
		}
	}
}

func fleetPagesPerSecond(b *testing.B, procs, perProcess int) float64 {
	b.StopTimer()
	defer b.StartTimer()
	dir := b.TempDir()
	rs := storetest.StartRedis(b, storetest.StartOptions{})
	env := map[string]string{"HOME": filepath.Join(dir, "home")}
	lwRun := func(args ...string) {
		var out, errOut bytes.Buffer
		if code := Main(args, strings.NewReader(""), &out, &errOut, func(k string) string { return env[k] }); code != 0 {
			b.Fatalf("leakwatch %s: exit %d\n%s", strings.Join(args, " "), code, errOut.String())
		}
	}
	key := filepath.Join(dir, "key")
	csv := filepath.Join(dir, "customers.csv")
	os.WriteFile(csv, []byte(canaryCSV), 0o600)
	lwRun("keygen", "--key", key)
	lwRun("sets", "load", "customers", csv, "--redis", rs.URL(), "--key", key, "--schema", "ref=ref,name=name,phone=phone,email=email:strong")

	var sites []*fixtures.PasteSite
	var srcs strings.Builder
	for i := range benchSites {
		p := fixtures.NewPasteSite()
		b.Cleanup(p.Close)
		// The delay wraps the fixture's own handler (which counts hits
		// and builds scrape URLs from the request's Host) behind a
		// second loopback server.
		inner := p.Config.Handler
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(benchLatency)
			inner.ServeHTTP(w, r)
		}))
		b.Cleanup(slow.Close)
		sites = append(sites, p)
		fmt.Fprintf(&srcs, "  - {name: slow-%d, kind: paste-api, url: %s/api_scraping.php, limit: %d, max_items: %d, interval: 1s, rate: 100, allow_private: true}\n",
			i, slow.URL, benchPastes, benchPastes)
	}
	config := filepath.Join(dir, "leakwatch.yaml")
	cfg := fmt.Sprintf("redis: %s\nkey: key\nworkers: %d\nsources:\n%s", rs.URL(), perProcess, srcs.String())
	if err := os.WriteFile(config, []byte(cfg), 0o600); err != nil {
		b.Fatal(err)
	}
	for range procs {
		startWorker(b, config, env["HOME"])
	}
	time.Sleep(2 * time.Second) // every source visited once, empty
	for _, p := range sites {
		p.Hits().Reset()
	}
	start := time.Now()
	for _, p := range sites {
		for i := range benchPastes {
			p.Publish(fmt.Sprintf("paste %d", i), fmt.Sprintf("ordinary paste number %d, nothing leaked here", i))
		}
	}
	b.StartTimer()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		fetched := 0
		for _, p := range sites {
			fetched += p.Hits().Count("/api_scrape_item.php")
		}
		if fetched >= benchSites*benchPastes {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d pastes fetched in 2 minutes", fetched, benchSites*benchPastes)
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.StopTimer()
	pages, last := 0, start
	for _, p := range sites {
		for _, at := range p.Hits().AllTimes() {
			pages++
			if at.After(last) {
				last = at
			}
		}
	}
	return float64(pages) / last.Sub(start).Seconds()
}
