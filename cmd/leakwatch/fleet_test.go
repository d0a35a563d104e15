package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/crawler"
	"github.com/leakwatch/leakwatch/crawler/fixtures"
	"github.com/leakwatch/leakwatch/store"
	"github.com/leakwatch/leakwatch/store/storetest"
)

// fleet is a Redis server, a loaded set, three paste sites, a phpBB forum,
// a mail sink and one config every worker of the fleet runs with.
type fleet struct {
	t      *testing.T
	redis  *storetest.RedisServer
	lw     *lw
	dir    string
	config string
	pastes []*fixtures.PasteSite
	forum  *fixtures.Forum
	mail   *mailSink
}

// fleetInterval is every source's polling interval.
const fleetInterval = time.Second

// fleetReclaim is the workers' reclaim timeout: long against the noise of
// a loaded 2-core machine (a live worker shows life every third of it),
// short enough for the test.
const fleetReclaim = 4 * time.Second

func newFleet(t *testing.T) *fleet {
	t.Helper()
	f := &fleet{t: t, dir: t.TempDir(), mail: startMailSink(t)}
	f.redis = storetest.StartRedis(t, storetest.StartOptions{AOF: true})
	f.lw = &lw{t: t, env: map[string]string{"HOME": filepath.Join(f.dir, "home")}}
	key := filepath.Join(f.dir, "key")
	csv := filepath.Join(f.dir, "customers.csv")
	if err := os.WriteFile(csv, []byte(canaryCSV), 0o600); err != nil {
		t.Fatal(err)
	}
	f.lw.run(0, "keygen", "--key", key)
	f.lw.run(0, "sets", "load", "customers", csv, "--redis", f.redis.URL(), "--key", key,
		"--schema", "ref=ref,name=name,kana=name,birthdate=birthdate,phone=phone,email=email:strong,postal=postal,address=address")
	var srcs strings.Builder
	for i := range 3 {
		p := fixtures.NewPasteSite()
		t.Cleanup(p.Close)
		f.pastes = append(f.pastes, p)
		fmt.Fprintf(&srcs, `  - name: pastes-%d
    kind: paste-api
    url: %s/api_scraping.php
    interval: %s
    jitter: 0
    rate: 100
    allow_private: true
`, i, p.URL, fleetInterval)
	}
	f.forum = fixtures.NewForum(fixtures.ForumOptions{})
	t.Cleanup(f.forum.Close)
	fmt.Fprintf(&srcs, `  - name: forum
    kind: html-listing
    url: %s
    item_selector: 'a.topictitle, dd.lastpost a[href*="#p"]'
    next_selector: 'a[rel=next]'
    content_selector: 'div[id^=p] .content'
    interval: %s
    jitter: 0
    rate: 100
    allow_private: true
`, f.forum.ListingURL(), fleetInterval)
	f.config = filepath.Join(f.dir, "leakwatch.yaml")
	cfg := fmt.Sprintf(`redis: %s
key: key
reload: 1s
reclaim: %s
sources:
%snotify:
  smtp:
    host: 127.0.0.1
    port: %d
    tls: none
    from: leakwatch@example.jp
  poll: 200ms
  retry: {base: 200ms, max: 1s}
  default:
    recipients: [security@example.jp]
    language: en
    rate_limit: 1000
`, f.redis.URL(), fleetReclaim, srcs.String(), f.mail.port)
	if err := os.WriteFile(f.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// start starts one worker: `leakwatch run` as a real process.
func (f *fleet) start() *daemonProc {
	f.t.Helper()
	return startDaemonProc(f.t, &daemonFixture{dir: f.dir, config: f.config})
}

// queueStats reads the crawl queue's stats from the fleet's Redis.
func (f *fleet) queueStats(ctx context.Context) (store.QueueStats, error) {
	st, err := store.OpenRedis(ctx, f.redis.URL())
	if err != nil {
		return store.QueueStats{}, err
	}
	defer st.Close()
	return st.Stats(ctx, crawler.QueueName, time.Now())
}

// pendingOf returns a visit the worker holds in the queue, if any. A
// worker's consumer name is its heartbeat ID, host/pid/random.
func pendingOf(qs store.QueueStats, w *daemonProc) (store.PendingEntry, bool) {
	mark := fmt.Sprintf("/%d/", w.cmd.Process.Pid)
	for _, p := range qs.OldestPending {
		if strings.Contains(p.Consumer, mark) {
			return p, true
		}
	}
	return store.PendingEntry{}, false
}

// killMidVisit SIGKILLs a worker while it holds a visit from the queue,
// and returns that visit and when the worker was killed. Visits take
// milliseconds, so the queue is polled until the worker holds one; the
// worker is then frozen (SIGSTOP), checked to still hold it, and killed.
func (f *fleet) killMidVisit(ctx context.Context, w *daemonProc) (store.PendingEntry, time.Time) {
	f.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		qs, err := f.queueStats(ctx)
		if err != nil {
			f.t.Fatalf("reading the queue: %v", err)
		}
		if _, ok := pendingOf(qs, w); !ok {
			time.Sleep(2 * time.Millisecond)
			continue
		}
		w.cmd.Process.Signal(syscall.SIGSTOP)
		if qs, err = f.queueStats(ctx); err != nil {
			f.t.Fatalf("reading the queue: %v", err)
		}
		p, ok := pendingOf(qs, w)
		if !ok { // finished it just before the freeze
			w.cmd.Process.Signal(syscall.SIGCONT)
			continue
		}
		killed := time.Now()
		if code := w.stop(f.t, syscall.SIGKILL, 10*time.Second); code != -int(syscall.SIGKILL) {
			f.t.Fatalf("SIGKILL: exit code %d", code)
		}
		return p, killed
	}
	f.t.Fatal("the worker held no visit to be killed in within 20s")
	return store.PendingEntry{}, time.Time{}
}

// listings returns the times of a source's listing requests.
func (f *fleet) listings(source string) []time.Time {
	if source == "forum" {
		return f.forum.Hits().Times("/viewforum.php")
	}
	var i int
	if _, err := fmt.Sscanf(source, "pastes-%d", &i); err != nil || i < 0 || i >= len(f.pastes) {
		f.t.Fatalf("unknown source %q", source)
	}
	return f.pastes[i].Hits().Times("/api_scraping.php")
}

// findingIDs lists the IDs of the findings in the store.
func (f *fleet) findingIDs() []string {
	f.t.Helper()
	out, _ := f.lw.run(0, "findings", "list", "--json", "--redis", f.redis.URL())
	var list []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		f.t.Fatalf("findings list --json: %v\n%s", err, out)
	}
	ids := make([]string, len(list))
	for i, x := range list {
		ids[i] = x.ID
	}
	return ids
}

var subjectFindingID = regexp.MustCompile(`^\[leakwatch\] Possible leak: .* \(([0-9a-f]+)\)$`)

// emailsByFinding counts the finding emails at the sink by the finding ID
// their subject names, and returns the other emails' subjects.
func emailsByFinding(t *testing.T, msgs [][]byte) (map[string]int, []string) {
	t.Helper()
	n := map[string]int{}
	var other []string
	for _, raw := range msgs {
		m, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("unreadable email: %v\n%s", err, raw)
		}
		subj, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
		if err != nil {
			t.Fatalf("subject: %v", err)
		}
		if sm := subjectFindingID.FindStringSubmatch(subj); sm != nil {
			n[sm[1]]++
		} else {
			other = append(other, subj)
		}
	}
	return n, other
}

// TestFleetOnRedisSurvivesKillsAndRestarts runs three real daemon
// processes sharing one Redis (with AOF) over three paste sites and a
// phpBB forum, each polled every second, while documents holding lost
// records are published over time. Mid-crawl one worker is SIGKILLed (and
// a replacement started later) and Redis is stopped for two seconds and
// started again. Every document must become exactly one finding, every
// finding exactly one email, no source may be visited more often than its
// interval allows, the killed worker's visit must be taken over within
// twice the reclaim timeout, and the workers must ride out the outage.
func TestFleetOnRedisSurvivesKillsAndRestarts(t *testing.T) {
	f := newFleet(t)
	ctx := context.Background()
	began := time.Now()
	workers := []*daemonProc{f.start(), f.start(), f.start()}

	const docs = 24
	var pubWG sync.WaitGroup
	pubWG.Go(func() {
		for i := range docs {
			body := fmt.Sprintf("%s\ndump %d of the customer table\n", canaryLeak, i)
			if i%4 == 3 {
				f.forum.Post(fmt.Sprintf("dump %d", i), "seller", body)
			} else {
				f.pastes[i%4].Publish(fmt.Sprintf("dump %d", i), body)
			}
			time.Sleep(500 * time.Millisecond)
		}
	})

	// Mid-crawl: kill a worker in the middle of a visit; another worker
	// must take the visit over within twice the reclaim timeout (measured
	// from the kill to the takeover's listing request). Then take Redis
	// away for two seconds and start a replacement.
	time.Sleep(3 * time.Second)
	killedPID := workers[0].cmd.Process.Pid
	held, killed := f.killMidVisit(ctx, workers[0])
	t.Logf("worker 0 killed at %s holding the visit of %s (entry %s, idle %s)", killed.Sub(began).Round(time.Millisecond),
		held.Job, held.ID, held.Idle.Round(time.Millisecond))
	// A listing request the frozen worker had sent before SIGSTOP may reach
	// the server just after the kill (a run saw one 0 ms after it, then the
	// entry still held): no other worker can visit the source before the
	// reclaim timeout, so a listing that close to the kill is not the
	// takeover.
	const inFlight = 250 * time.Millisecond
	var pickup time.Duration
	for pickup == 0 {
		for _, at := range f.listings(held.Job) {
			if at.After(killed.Add(inFlight)) {
				pickup = at.Sub(killed)
				break
			}
		}
		if pickup == 0 && time.Since(killed) > 4*fleetReclaim {
			t.Fatalf("the killed worker's visit of %s was not taken over within %s\n%s", held.Job, 4*fleetReclaim, fleetLogs(workers[1:]))
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("the killed worker's visit of %s was taken over %s after the kill (reclaim timeout %s, bound %s)",
		held.Job, pickup.Round(time.Millisecond), fleetReclaim, 2*fleetReclaim)
	if pickup > 2*fleetReclaim {
		t.Errorf("the killed worker's visit was taken over %s after the kill, more than twice the reclaim timeout (%s)", pickup, 2*fleetReclaim)
	}
	// Every entry the killed worker held is taken over within the same
	// bound: it may have held another, delivered just after the one
	// watched, which passes the reclaim timeout a little later (a run saw
	// one idle 4.07s, 40 ms after the watched one was taken over).
	for {
		qs, err := f.queueStats(ctx)
		if err != nil {
			t.Errorf("reading the queue: %v", err)
			break
		}
		p, ok := pendingOf(qs, workers[0])
		if !ok {
			break
		}
		if time.Since(killed) > 2*fleetReclaim {
			t.Errorf("%s after the kill, the killed worker still holds %+v", time.Since(killed).Round(time.Millisecond), p)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	f.redis.Stop()
	outage := time.Now()
	time.Sleep(2 * time.Second)
	f.redis.Restart()
	t.Logf("redis down from %s for %s", outage.Sub(began).Round(time.Millisecond), time.Since(outage).Round(time.Millisecond))
	time.Sleep(time.Second)
	workers[0] = f.start()
	pubWG.Wait()
	published := time.Now()

	// Every document becomes one finding, every finding one email.
	var ids []string
	deadline := time.Now().Add(30 * time.Second)
	for {
		ids = f.findingIDs()
		byID, _ := emailsByFinding(t, f.mail.messages())
		if len(ids) >= docs && len(byID) >= len(ids) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s after the last document: %d findings, %d findings emailed, want %d\n%s",
				time.Since(published).Round(time.Millisecond), len(ids), len(byID), docs, fleetLogs(workers))
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("all %d findings emailed %s after the last document", len(ids), time.Since(published).Round(time.Millisecond))
	time.Sleep(3 * time.Second) // a few more polls and flushes: no second email
	elapsed := time.Since(began)

	ids = f.findingIDs()
	byID, other := emailsByFinding(t, f.mail.messages())
	if len(ids) != docs {
		t.Errorf("%d findings, want %d (one per document)", len(ids), docs)
	}
	for _, id := range ids {
		if byID[id] != 1 {
			t.Errorf("finding %s emailed %d times, want exactly 1", id, byID[id])
		}
	}
	for id, n := range byID {
		if !slices.Contains(ids, id) {
			t.Errorf("email for unknown finding %s (%d times)", id, n)
		}
	}
	if len(other) > 0 {
		t.Errorf("unexpected emails: %q", other)
	}

	// One lease per source: a source is visited at most once per interval.
	// A visit's next one is due interval ± jitter after it ended ("jitter:
	// 0" in YAML is the default, 10%), so over elapsed at most
	// elapsed/(0.9·interval)+1 visits fit. The tolerance of 2 more covers a
	// visit cut short by the Redis outage (its schedule could not be
	// written, so the next worker may find the source due again) and the
	// killed worker's last visit. Two workers visiting one source at once,
	// or each on its own schedule, would show two or three times as many
	// listings, and gaps far below the interval.
	minGap := fleetInterval * 9 / 10
	allowed := int(elapsed/minGap) + 1 + 2
	visits := map[string][]time.Time{}
	for i, p := range f.pastes {
		visits[fmt.Sprintf("pastes-%d", i)] = p.Hits().Times("/api_scraping.php")
	}
	visits["forum"] = f.forum.Hits().Times("/viewforum.php")
	for name, times := range visits {
		gap := time.Duration(0)
		for i := 1; i < len(times); i++ {
			if d := times[i].Sub(times[i-1]); gap == 0 || d < gap {
				gap = d
			}
		}
		t.Logf("source %s: %d listing requests in %s (allowed %d), shortest gap %s", name, len(times), elapsed.Round(time.Millisecond), allowed, gap.Round(time.Millisecond))
		if len(times) > allowed {
			t.Errorf("source %s listed %d times in %s: more than %d", name, len(times), elapsed.Round(time.Millisecond), allowed)
		}
		if gap < minGap/2 {
			t.Errorf("source %s listed twice within %s", name, gap)
		}
		if len(times) < 5 {
			t.Errorf("source %s listed only %d times", name, len(times))
		}
	}

	// The workers rode out the outage: they said so, and are still running.
	for i, w := range workers[1:] {
		if !strings.Contains(w.log(), "connection refused") {
			t.Errorf("worker %d's log does not mention the Redis outage:\n%s", i+1, w.log())
		}
	}
	for i, w := range workers {
		select {
		case <-w.exited:
			t.Fatalf("worker %d exited:\n%s", i, w.log())
		default:
		}
	}
	// status sees the fleet: the three live workers, no source overdue, an
	// empty outbox and every finding; after a graceful stop, no worker.
	out, _ := f.lw.run(0, "status", "--config", f.config, "--json")
	var s fleetStatus
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	pids := map[int]bool{}
	for _, w := range s.Workers {
		pids[w.PID] = true
	}
	for i, w := range workers {
		if !pids[w.cmd.Process.Pid] {
			t.Errorf("status does not list worker %d (pid %d): %s", i, w.cmd.Process.Pid, out)
		}
	}
	if s.Overdue != 0 || len(s.Sources) != 4 || s.Findings != docs || s.Outbox == nil || s.Outbox.Queued != 0 || s.Outbox.Failed != 0 || s.Outbox.Sent < docs {
		t.Errorf("status of the fleet: %s", out)
	}
	// The queue: three live consumers (the killed one is silent), the
	// four sources in it, none dead-lettered.
	if q := s.Queue; q == nil || q.WorkersAlive != 3 || q.Scheduled+q.Depth != 4 || q.DeadLetters != 0 || len(q.Consumers) != 4 {
		t.Errorf("status of the fleet's queue: %s", out)
	}
	text, _ := f.lw.run(0, "status", "--config", f.config)
	t.Logf("leakwatch status:\n%s", text)
	for i, w := range workers {
		if code := w.stop(t, syscall.SIGTERM, 40*time.Second); code != 0 {
			t.Errorf("worker %d: exit code %d after SIGTERM\n%s", i, code, w.log())
		}
	}
	// A graceful stop deletes the worker's heartbeat at once. The SIGKILLed
	// worker could not: its record may be listed until heartbeatTTL after
	// its last beat, and must be gone after that.
	var lastBeat time.Time
	for {
		out, _ = f.lw.run(0, "status", "--config", f.config, "--json")
		s = fleetStatus{}
		if err := json.Unmarshal([]byte(out), &s); err != nil {
			t.Fatalf("status --json after every worker stopped: %v\n%s", err, out)
		}
		var lingering *workerBeat
		for i, w := range s.Workers {
			if w.PID != killedPID || s.Generated.Sub(w.LastBeat) > heartbeatTTL {
				t.Fatalf("status after every worker stopped lists %s (pid %d; killed pid %d, heartbeat TTL %s): %s", w.ID, w.PID, killedPID, heartbeatTTL, out)
			}
			lingering = &s.Workers[i]
		}
		if lingering == nil {
			if !lastBeat.IsZero() {
				t.Logf("the killed worker was listed until %s after its last beat (heartbeat TTL %s)", time.Since(lastBeat).Round(time.Millisecond), heartbeatTTL)
			}
			break
		}
		lastBeat = lingering.LastBeat
		if time.Since(lingering.LastBeat) > heartbeatTTL+5*time.Second {
			t.Fatalf("the killed worker %s is still listed %s after its last beat (heartbeat TTL %s): %s", lingering.ID, time.Since(lingering.LastBeat).Round(time.Millisecond), heartbeatTTL, out)
		}
		time.Sleep(250 * time.Millisecond)
	}
	if t.Failed() {
		t.Log(fleetLogs(workers))
	}
}

func fleetLogs(ws []*daemonProc) string {
	var b strings.Builder
	for i, w := range ws {
		fmt.Fprintf(&b, "--- worker %d:\n%s\n", i, w.log())
	}
	return b.String()
}
