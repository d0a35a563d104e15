package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/crawler"
	"github.com/leakwatch/leakwatch/store/storetest"
)

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// inproc is the daemon run in-process, as `leakwatch run` runs it, with
// its HTTP side on a free loopback port.
type inproc struct {
	d      *daemon
	base   string // http://127.0.0.1:PORT
	logs   *syncBuffer
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

// prependConfig adds top-level fields to the fixture's config.
func (f *daemonFixture) prependConfig(t *testing.T, top string) {
	t.Helper()
	b, err := os.ReadFile(f.config)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.config, append([]byte(top), b...), 0o600); err != nil {
		t.Fatal(err)
	}
}

// startInProcess starts the fixture's daemon in this process, debug logs
// captured, and stops it when the test ends.
func startInProcess(t *testing.T, f *daemonFixture) *inproc {
	t.Helper()
	cfg, err := loadDaemonConfig(f.config)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	p := &inproc{logs: &syncBuffer{}, done: make(chan error, 1)}
	e := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: p.logs,
		getenv: func(k string) string { return f.lw.env[k] },
		log:    slog.New(slog.NewJSONHandler(p.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	if p.d, err = startDaemon(ctx, e, cfg); err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := p.d.listenHTTP(); err != nil {
		p.d.close()
		cancel()
		t.Fatal(err)
	}
	p.base = "http://" + p.d.httpAddr()
	go func() { p.done <- p.d.run(ctx) }()
	t.Cleanup(func() { p.stop(t) })
	return p
}

// stop stops the daemon like a signal does and returns run's error.
func (p *inproc) stop(t *testing.T) (err error) {
	t.Helper()
	p.once.Do(func() {
		p.cancel()
		select {
		case err = <-p.done:
		case <-time.After(40 * time.Second):
			t.Errorf("in-process daemon did not stop within 40s")
		}
		p.d.close()
	})
	return err
}

// get fetches a path from the daemon and returns the status and body.
func (p *inproc) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(p.base + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading: %v", path, err)
	}
	return resp.StatusCode, string(b)
}

// waitUntil polls cond until it holds, or fails the test.
func waitUntil(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// metricValue returns the value of the series whose line starts with
// series (name and labels exactly as exposed), or fails.
func metricValue(t *testing.T, metrics, series string) float64 {
	t.Helper()
	for line := range strings.Lines(metrics) {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil {
				t.Fatalf("series %s: %v", series, err)
			}
			return v
		}
	}
	t.Fatalf("/metrics lacks series %s", series)
	return 0
}

func noNeedles(t *testing.T, where, s string) {
	t.Helper()
	for _, n := range canaryNeedles(t) {
		if strings.Contains(s, n) {
			t.Errorf("raw value %q found in %s", n, where)
		}
	}
}

// TestDaemonHTTP runs the daemon in-process with its HTTP side, lets it
// find a leak and email it, and checks every endpoint: /healthz, /readyz,
// /metrics (every family, with plausible values), the status page (source,
// finding, outbox; nothing raw), the read-only and Host guards, and the
// graceful shutdown.
func TestDaemonHTTP(t *testing.T) {
	f := newDaemonFixture(t, "")
	p := startInProcess(t, f)
	if code, body := p.get(t, "/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("/healthz: %d %q", code, body)
	}
	if code, body := p.get(t, "/readyz"); code != 200 || body != "ready\n" {
		t.Fatalf("/readyz: %d %q", code, body)
	}
	f.site.Publish("customer db part 1", canaryLeak)
	f.site.Publish("weather notes", "明日の天気は晴れ。最高気温は18度の予想です。")
	f.mail.waitFor(t, 1, 30*time.Second)
	var metrics string
	// The email can go out before the visit ends and records the
	// source's health.
	waitUntil(t, 10*time.Second, "the delivery and the visit show in /metrics", func() bool {
		_, metrics = p.get(t, "/metrics")
		return strings.Contains(metrics, `leakwatch_notify_outbox{state="sent"} 1`) &&
			strings.Contains(metrics, `leakwatch_source_items_seen_total{kind="paste-api",source="pastes"} 2`)
	})
	for series, min := range map[string]float64{
		`leakwatch_crawler_requests_total{code="200",source="pastes"}`:            3, // listing + 2 items
		`leakwatch_crawler_response_bytes_total{source="pastes"}`:                 200,
		`leakwatch_crawler_request_errors_total{source="pastes"}`:                 0,
		`leakwatch_crawler_request_duration_seconds_count{source="pastes"}`:       3,
		`leakwatch_matcher_documents_total`:                                       2,
		`leakwatch_matcher_bytes_total`:                                           200,
		`leakwatch_matcher_candidates_total`:                                      5,
		`leakwatch_matcher_lookups_total`:                                         5,
		`leakwatch_matcher_prefiltered_total`:                                     1,
		`leakwatch_matcher_deferred_total`:                                        0,
		`leakwatch_matcher_hits_total`:                                            4,
		`leakwatch_findings_total`:                                                1,
		`leakwatch_findings_new_total`:                                            1,
		`leakwatch_findings_stored`:                                               1,
		`leakwatch_notify_enqueued_total`:                                         1,
		`leakwatch_notify_outbox{state="queued"}`:                                 0,
		`leakwatch_matcher_ready`:                                                 1,
		`leakwatch_index_fingerprints{set="customers"}`:                           10,
		`leakwatch_index_records{set="customers"}`:                                2,
		`leakwatch_index_bytes{part="fingerprints",set="customers"}`:              100,
		`leakwatch_source_items_seen_total{kind="paste-api",source="pastes"}`:     2,
		`leakwatch_source_consecutive_failures{kind="paste-api",source="pastes"}`: 0,
		`leakwatch_source_stalled{kind="paste-api",source="pastes"}`:              0,
		`leakwatch_source_stale_after_seconds{kind="paste-api",source="pastes"}`:  3600,
		`leakwatch_store_up`:                                                      1,
	} {
		if v := metricValue(t, metrics, series); v < min {
			t.Errorf("%s = %v, want at least %v", series, v, min)
		}
	}
	if v := metricValue(t, metrics, `leakwatch_source_stalled{kind="paste-api",source="pastes"}`); v != 0 {
		t.Errorf("a healthy source is flagged stalled")
	}
	if v := metricValue(t, metrics, `leakwatch_index_forms_stale{set="customers"}`); v != 0 {
		t.Errorf("a set loaded by this leakwatch is flagged stale")
	}
	metricValue(t, metrics, `leakwatch_source_last_success_timestamp_seconds{kind="paste-api",source="pastes"}`)
	metricValue(t, metrics, `leakwatch_source_last_new_item_timestamp_seconds{kind="paste-api",source="pastes"}`)
	noNeedles(t, "/metrics", metrics)

	// The page reads the outbox afresh; under load it can lag the
	// metrics' view by a moment, so its outbox line is awaited.
	var code int
	var page string
	const outboxLine = "queued 0 · failed 0 · sent 1"
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, page = p.get(t, "/")
		if code != 200 {
			t.Fatalf("status page: %d\n%s", code, page)
		}
		if strings.Contains(page, outboxLine) || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if i := strings.Index(page, "queued "); !strings.Contains(page, outboxLine) && i >= 0 {
		t.Logf("the page's outbox line: %s", page[i:min(len(page), i+120)])
	}
	for _, want := range []string{"<strong>pastes</strong>", "paste-api", ">OK<", "customers", "k1, k2", "hxxp://127[.]0[.]0[.]1:", outboxLine, "READY", "1 stored"} {
		if !strings.Contains(page, want) {
			t.Errorf("status page lacks %q", want)
		}
	}
	if strings.Contains(page, "<a ") || strings.Contains(page, "<script") {
		t.Errorf("status page has a link or a script")
	}
	noNeedles(t, "the status page", page)

	// Read-only, and only for loopback host names.
	resp, err := http.Post(p.base+"/", "text/plain", strings.NewReader("x"))
	if err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %v %v", resp, err)
	}
	req, _ := http.NewRequest("GET", p.base+"/", nil)
	req.Host = "rebound.example:80"
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("GET / with a foreign Host: %v %v", resp, err)
	}
	if code, _ := p.get(t, "/nosuch"); code != 404 {
		t.Errorf("/nosuch: %d", code)
	}

	// Graceful shutdown: run returns nil and the port is closed.
	if err := p.stop(t); err != nil {
		t.Fatalf("run after stop: %v", err)
	}
	if _, err := http.Get(p.base + "/healthz"); err == nil {
		t.Errorf("still serving after the daemon stopped")
	}
	noNeedles(t, "the daemon's debug log", p.logs.String())
}

// TestListenLoopbackOnly: a non-loopback listen address is refused, with
// the reason, unless listen_public is set; --listen is checked alike.
func TestListenLoopbackOnly(t *testing.T) {
	f := newDaemonFixture(t, "")
	orig, _ := os.ReadFile(f.config)
	for _, c := range []struct {
		top, wantErr string
	}{
		{"listen: 0.0.0.0:9464\n", `listen: "0.0.0.0:9464" is not a loopback address`},
		{"listen: ':9464'\n", "is not a loopback address"},
		{"listen: 192.0.2.1:9464\n", "set listen_public: true"},
		{"listen: 127.0.0.1\n", "want HOST:PORT"},
		{"listen: 127.0.0.1:9464\n", ""},
		{"listen: '[::1]:9464'\n", ""},
		{"listen: localhost:9464\n", ""},
		{"listen: 0.0.0.0:9464\nlisten_public: true\n", ""},
	} {
		os.WriteFile(f.config, append([]byte(c.top), orig...), 0o600)
		_, err := loadDaemonConfig(f.config)
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("%q: %v", c.top, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%q: error %v, want %q", c.top, err, c.wantErr)
		}
	}
	os.WriteFile(f.config, orig, 0o600)
	_, errOut := f.lw.run(2, "run", "--config", f.config, "--listen", "0.0.0.0:9464")
	if !strings.Contains(errOut, "--listen: \"0.0.0.0:9464\" is not a loopback address") || !strings.Contains(errOut, "no authentication") {
		t.Errorf("run --listen 0.0.0.0: %s", errOut)
	}
}

// TestSourceStallFlaggedAndEmailedOnce: a source that stops yielding new
// items for longer than its stale_after is flagged on the status page and
// in /metrics, and the operator gets one email for the episode however
// many checks see it; when it yields again it recovers, and a new stall is
// a new email.
func TestSourceStallFlaggedAndEmailedOnce(t *testing.T) {
	f := newDaemonFixture(t, "")
	f.prependConfig(t, "stale_after: 2s\n")
	f.site.Publish("weather notes", "明日の天気は晴れ。")
	p := startInProcess(t, f)
	stallMails := func() int {
		n := 0
		for _, m := range f.mail.messages() {
			if bytes.Contains(m, []byte("stalled")) {
				n++
			}
		}
		return n
	}
	stalled := func() bool {
		_, m := p.get(t, "/metrics")
		return strings.Contains(m, `leakwatch_source_stalled{kind="paste-api",source="pastes"} 1`)
	}
	start := time.Now()
	waitUntil(t, 20*time.Second, "the quiet source is flagged stalled in /metrics", stalled)
	t.Logf("flagged %s after the start (stale_after 2s)", time.Since(start).Round(10*time.Millisecond))
	waitUntil(t, 10*time.Second, "a stall email", func() bool { return stallMails() == 1 })
	_, page := p.get(t, "/")
	for _, want := range []string{"STALLED", "nothing new for over 2s", "1 STALLED"} {
		if !strings.Contains(page, want) {
			t.Errorf("status page lacks %q", want)
		}
	}
	var mail string
	for _, m := range f.mail.messages() {
		if bytes.Contains(m, []byte("stalled")) {
			mail = string(m)
		}
	}
	for _, want := range []string{"Subject: [leakwatch] Source pastes stalled: nothing new", "pastes (paste-api)", "nothing new for longer than 2s"} {
		if !strings.Contains(mail, want) {
			t.Errorf("stall email lacks %q:\n%s", want, mail)
		}
	}
	time.Sleep(2 * time.Second) // four more checks of the same episode
	if n := stallMails(); n != 1 {
		t.Fatalf("%d stall emails for one episode, want 1", n)
	}

	// A new item ends the episode; silence again starts a new one.
	f.site.Publish("more weather", "週末は雨の予報です。")
	waitUntil(t, 10*time.Second, "the source recovers", func() bool { return !stalled() })
	waitUntil(t, 20*time.Second, "the second episode's email", func() bool { return stallMails() == 2 })
	if !strings.Contains(p.logs.String(), `"msg":"source recovered"`) {
		t.Errorf("no recovery in the log")
	}
	// The SMTP server holds the message a moment before the client sees the
	// server's reply and counts it, so the counter is awaited, not sampled.
	var sent float64
	waitUntil(t, 10*time.Second, "the sent-stall-emails counter at 2", func() bool {
		_, m := p.get(t, "/metrics")
		sent = metricValue(t, m, `leakwatch_stall_emails_total{result="sent"}`)
		return sent >= 2
	})
	if sent != 2 {
		t.Errorf("stall emails sent = %v, want 2", sent)
	}
}

// TestJudgeStall covers the stall rules, failures first.
func TestJudgeStall(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	started := now.Add(-2 * time.Hour)
	for _, c := range []struct {
		name   string
		h      crawler.SourceHealth
		reason string
	}{
		{"healthy", crawler.SourceHealth{LastNewItem: now.Add(-30 * time.Minute)}, ""},
		{"quiet too long", crawler.SourceHealth{LastNewItem: now.Add(-90 * time.Minute)}, "stale"},
		{"never new, since the start", crawler.SourceHealth{}, "stale"},
		{"failing", crawler.SourceHealth{ConsecutiveFailures: 5, LastNewItem: now}, "failing"},
		{"failing less", crawler.SourceHealth{ConsecutiveFailures: 4, LastNewItem: now}, ""},
	} {
		s := judge(c.h, time.Hour, 5, started, now)
		if s.Reason != c.reason || s.Stalled != (c.reason != "") {
			t.Errorf("%s: stalled %v reason %q, want %q", c.name, s.Stalled, s.Reason, c.reason)
		}
	}
	cfg := &daemonConfig{StallFailures: 5}
	src := &daemonSource{SourceConfig: crawler.SourceConfig{Interval: crawler.Duration(2 * time.Minute)}}
	if sa, _ := cfg.stallLimits(src); sa != 48*time.Minute+12*time.Minute {
		t.Errorf("default stale_after of a 2m source: %s, want 1h (24 intervals, at least 1h)", sa)
	}
	src.Interval = crawler.Duration(10 * time.Minute)
	if sa, _ := cfg.stallLimits(src); sa != 4*time.Hour {
		t.Errorf("default stale_after of a 10m source: %s, want 4h", sa)
	}
	cfg.StaleAfter = crawler.Duration(3 * time.Hour)
	src.StaleAfter, src.StallFailures = crawler.Duration(6*time.Hour), 9
	if sa, n := cfg.stallLimits(src); sa != 6*time.Hour || n != 9 {
		t.Errorf("per-source limits: %s %d", sa, n)
	}
}

// TestDaemonDropsRemovedSet: on a shared Redis store, `leakwatch sets rm`
// run while the daemon runs makes it stop matching the set at its next
// reload: /readyz turns 503, the matcher metrics say so, and no key of the
// set is left in Redis.
func TestDaemonDropsRemovedSet(t *testing.T) {
	f := newDaemonFixture(t, "")
	srv := storetest.StartRedis(t, storetest.StartOptions{})
	f.lw.run(0, "sets", "load", "customers", filepath.Join(f.dir, "customers.csv"), "--redis", srv.URL(), "--key", filepath.Join(f.dir, "key"),
		"--schema", "ref=ref,name=name,kana=name,birthdate=birthdate,phone=phone,email=email:strong,postal=postal,address=address")
	cfg, _ := os.ReadFile(f.config)
	os.WriteFile(f.config, bytes.Replace(cfg, []byte("data: data\n"), []byte("redis: "+srv.URL()+"\n"), 1), 0o600)
	c := srv.Client()
	defer c.Close()
	ctx := context.Background()
	before, err := c.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := c.HExists(ctx, "lw:{lwsets}:cur", "customers").Result(); !ok {
		t.Fatalf("the set directory does not name the loaded set (%v): the checks below would prove nothing", err)
	}
	p := startInProcess(t, f)
	if code, _ := p.get(t, "/readyz"); code != 200 {
		t.Fatalf("/readyz with the set loaded: %d", code)
	}
	out, _ := f.lw.run(0, "sets", "rm", "customers", "--redis", srv.URL())
	if !strings.Contains(out, `removed set "customers"`) {
		t.Fatalf("sets rm: %s", out)
	}
	start := time.Now()
	waitUntil(t, 10*time.Second, "/readyz reports the removed set (reload: 1s)", func() bool {
		code, body := p.get(t, "/readyz")
		return code == 503 && strings.Contains(body, "no matcher")
	})
	t.Logf("set dropped %s after sets rm", time.Since(start).Round(10*time.Millisecond))
	_, m := p.get(t, "/metrics")
	if v := metricValue(t, m, "leakwatch_matcher_ready"); v != 0 {
		t.Errorf("matcher_ready = %v after the set was removed", v)
	}
	if strings.Contains(m, `set="customers"`) {
		t.Errorf("/metrics still reports the removed set's index")
	}
	// Everywhere: the set's chunk lists (its fingerprints) and its
	// entries in the set directory are gone from Redis.
	after, _ := c.Keys(ctx, "*").Result()
	chunks := 0
	for _, k := range before {
		if strings.HasSuffix(k, ":chunks") {
			chunks++
			if n, _ := c.Exists(ctx, k).Result(); n != 0 {
				t.Errorf("fingerprint chunks %q left in Redis after sets rm", k)
			}
		}
	}
	if chunks == 0 {
		t.Fatalf("no chunk list among the keys of a loaded set: %v", before)
	}
	for _, dir := range []string{"lw:{lwsets}:cur", "lw:{lwsets}:meta", "lw:{lwsets}:stages"} {
		if ok, _ := c.HExists(ctx, dir, "customers").Result(); ok {
			t.Errorf("%s still names the removed set", dir)
		}
	}
	for _, k := range after {
		if strings.Contains(k, "customers") {
			t.Errorf("key %q left in Redis after sets rm", k)
		}
	}
	t.Logf("redis keys: %d with the set (%d chunk lists), %d after sets rm while the daemon ran (crawler and notify state)", len(before), chunks, len(after))
}

// chromium finds a headless-capable Chromium, or fails with a hint.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no chromium on PATH: the status page is checked in headless Chromium; install it with `sudo apt-get install chromium` (make test-deps does)")
	return ""
}

// runChromium runs headless Chromium on url with extra flags and returns
// its standard output.
func runChromium(t *testing.T, bin, url string, extra ...string) []byte {
	t.Helper()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir=" + t.TempDir(),
		"--window-size=1280,900"}, extra...)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append(args, url)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", extra, err, errOut.String())
	}
	return out.Bytes()
}

// TestStatusPageInChromium renders the status page in headless Chromium:
// the screenshot is a 1280×900 PNG of plausible size, and the DOM Chromium
// built holds the source, its STALLED flag, the finding and the outbox, and
// no raw value. LEAKWATCH_SCREENSHOT=FILE keeps a copy of the screenshot.
func TestStatusPageInChromium(t *testing.T) {
	bin := chromium(t)
	f := newDaemonFixture(t, "")
	f.prependConfig(t, "stale_after: 3s\n")
	p := startInProcess(t, f)
	f.site.Publish("customer db part 1", canaryLeak)
	f.mail.waitFor(t, 1, 30*time.Second)
	waitUntil(t, 20*time.Second, "the status page flags the quiet source", func() bool {
		_, page := p.get(t, "/")
		return strings.Contains(page, "STALLED") && strings.Contains(page, "sent 1")
	})

	shot := filepath.Join(t.TempDir(), "status.png")
	start := time.Now()
	runChromium(t, bin, p.base+"/", "--screenshot="+shot, "--hide-scrollbars")
	t.Logf("screenshot took %s", time.Since(start).Round(time.Millisecond))
	png, err := os.ReadFile(shot)
	if err != nil {
		t.Fatalf("no screenshot written: %v", err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 24 {
		t.Fatalf("screenshot is not a PNG (%d bytes)", len(png))
	}
	w, h := binary.BigEndian.Uint32(png[16:20]), binary.BigEndian.Uint32(png[20:24])
	if w != 1280 || h != 900 {
		t.Errorf("screenshot is %d×%d, want 1280×900", w, h)
	}
	// A blank page compresses to a few kB; text and tables take more.
	if len(png) < 30_000 || len(png) > 5<<20 {
		t.Errorf("screenshot of %d bytes: implausible for the status page", len(png))
	}
	t.Logf("screenshot %d×%d, %d bytes", w, h, len(png))
	if keep := os.Getenv("LEAKWATCH_SCREENSHOT"); keep != "" {
		if err := os.WriteFile(keep, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	dom := string(runChromium(t, bin, p.base+"/", "--dump-dom"))
	for _, want := range []string{"<title>leakwatch status (1 stalled)</title>", "<strong>pastes</strong>", "paste-api", "STALLED",
		"customers", "k1, k2", "hxxp://127[.]0[.]0[.]1:", "sent 1"} {
		if !strings.Contains(dom, want) {
			t.Errorf("Chromium's DOM lacks %q", want)
		}
	}
	if regexp.MustCompile(`<a[\s>]|<script`).MatchString(dom) {
		t.Errorf("Chromium's DOM has a link or a script")
	}
	noNeedles(t, "Chromium's DOM", dom)
	if err := p.stop(t); err != nil {
		t.Errorf("daemon stopped with an error: %v", err)
	}
}
