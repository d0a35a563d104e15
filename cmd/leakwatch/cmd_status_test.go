package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/store"
)

// TestStatusOfAnEmbeddedStore: after one cycle of the daemon, status shows
// no worker alive (a --once run does not announce itself), the source with
// its schedule, overdue once its visit is late, the outbox and the
// findings; a heartbeat in the store is a worker alive until it expires.
func TestStatusOfAnEmbeddedStore(t *testing.T) {
	f := newDaemonFixture(t, "")
	f.site.Publish("dump", canaryLeak)
	f.lw.run(0, "run", "--config", f.config, "--once")
	f.mail.waitFor(t, 1, 5*time.Second)

	out, _ := f.lw.run(0, "status", "--config", f.config)
	for _, want := range []string{"workers:  0 alive", "sources:  1, 0 overdue", "pastes", "paste-api", "outbox:   queued 0, failed 0, sent 1", "findings: 1",
		"sets:     1, 0 with canonical forms of another version"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}

	// The source is due a second after the visit: with no daemon
	// running, it is overdue soon after.
	time.Sleep(1500 * time.Millisecond)
	out, _ = f.lw.run(0, "status", "--config", f.config, "--overdue-after", "100ms", "--json")
	var s fleetStatus
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	if s.Overdue != 1 || len(s.Sources) != 1 || !s.Sources[0].Overdue || s.Sources[0].Kind != "paste-api" ||
		s.Outbox == nil || s.Outbox.Sent != 1 || s.Outbox.Queued != 0 || s.Outbox.OldestPending != nil || s.Findings != 1 || len(s.Workers) != 0 {
		t.Fatalf("status --json: %s", out)
	}

	// Without --config: the sources come from the stored state, the
	// outbox is not known.
	data := filepath.Join(f.dir, "data")
	out, _ = f.lw.run(0, "status", "--data", data)
	for _, want := range []string{"sources:  1, ", "pastes", "outbox:   unknown", "findings: 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("status --data lacks %q:\n%s", want, out)
		}
	}

	// A current heartbeat is a worker alive; one that missed two beats is
	// silent, listed until it expires; an expired one is not listed.
	st, err := store.OpenBolt(filepath.Join(data, "leakwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	live := newWorkerBeat(time.Now().Add(-time.Minute), 1)
	live.LastBeat = time.Now()
	stale := newWorkerBeat(time.Now().Add(-time.Hour), 1)
	stale.LastBeat = time.Now().Add(-2 * heartbeatTTL)
	quiet := newWorkerBeat(time.Now().Add(-time.Hour), 1)
	quiet.LastBeat = time.Now().Add(-(2*heartbeatEvery + heartbeatTTL) / 2)
	for _, w := range []workerBeat{live, stale, quiet} {
		b, _ := json.Marshal(w)
		if err := st.Put(ctx, bucketWorkers, w.ID, b, 0); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	out, _ = f.lw.run(0, "status", "--data", data)
	lineOf := func(id string) string {
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, id) {
				return l
			}
		}
		return ""
	}
	if !strings.Contains(out, "workers:  1 alive, 1 silent") || !strings.HasSuffix(lineOf(live.ID), " alive") ||
		!strings.HasSuffix(lineOf(quiet.ID), " silent") || strings.Contains(out, stale.ID) {
		t.Errorf("status with a live, a silent and an expired heartbeat:\n%s", out)
	}
}
