package main

import (
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/store"
)

// TestSummarizeQueue: workers heard from within the reclaim timeout are
// alive, others silent; the oldest pending visit is the one queued longest
// ago; dead letters name their sources once.
func TestSummarizeQueue(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	qs := store.QueueStats{
		Scheduled: 5, Overdue: 1, Ready: 2, Pending: 2,
		OldestPending: []store.PendingEntry{
			{ID: "1", Job: "a", Consumer: "w1", Age: 3 * time.Second, Idle: time.Second, Deliveries: 1},
			{ID: "2", Job: "b", Consumer: "w2", Age: 9 * time.Second, Idle: 8 * time.Second, Deliveries: 2},
		},
		Consumers: []store.Consumer{{Name: "w1", LastSeen: now.Add(-time.Second)}, {Name: "w2", LastSeen: now.Add(-time.Minute)}},
		Dead:      1,
		DeadLetters: []store.DeadLetter{
			{Job: "poison", Deliveries: 5}, {Job: "poison", Deliveries: 5},
		},
	}
	q := summarizeQueue(qs, now, 30*time.Second)
	if q.WorkersAlive != 1 || len(q.Consumers) != 2 || !q.Consumers[0].Alive || q.Consumers[1].Alive {
		t.Errorf("consumers: alive %d, %+v; want w1 alive, w2 silent", q.WorkersAlive, q.Consumers)
	}
	if q.Consumers[0].Pending != 1 || q.Consumers[1].Pending != 1 {
		t.Errorf("pending per consumer: %+v", q.Consumers)
	}
	if q.Depth != 4 || q.Scheduled != 5 || q.Overdue != 1 {
		t.Errorf("depth %d scheduled %d overdue %d; want 4 5 1", q.Depth, q.Scheduled, q.Overdue)
	}
	if p := q.OldestPending; p == nil || p.Source != "b" || p.Consumer != "w2" || p.AgeSeconds != 9 || p.IdleSeconds != 8 || p.Deliveries != 2 {
		t.Errorf("oldest pending %+v, want b held by w2", p)
	}
	if q.DeadLetters != 1 || strings.Join(q.DeadSources, ",") != "poison" {
		t.Errorf("dead letters %d %q, want 1, poison", q.DeadLetters, q.DeadSources)
	}
}

// TestDaemonQueueMetrics: a daemon on the embedded store reports its work
// queue at /metrics: itself alive, its one source in the queue, nothing
// dead.
func TestDaemonQueueMetrics(t *testing.T) {
	f := newDaemonFixture(t, "")
	p := startInProcess(t, f)
	var metrics string
	waitUntil(t, 10*time.Second, "the queue shows in /metrics", func() bool {
		_, metrics = p.get(t, "/metrics")
		return strings.Contains(metrics, "leakwatch_queue_workers_alive 1")
	})
	total := 0.0
	for _, state := range []string{"scheduled", "ready", "pending"} {
		total += metricValue(t, metrics, `leakwatch_queue_sources{state="`+state+`"}`)
	}
	if total != 1 {
		t.Errorf("sources in the queue: %v, want 1\n%s", total, metrics)
	}
	if v := metricValue(t, metrics, `leakwatch_queue_sources{state="dead"}`); v != 0 {
		t.Errorf("dead letters: %v", v)
	}
	if v := metricValue(t, metrics, "leakwatch_queue_reclaim_after_seconds"); v != 30 {
		t.Errorf("reclaim timeout: %v, want the default 30", v)
	}
	if _, page := p.get(t, "/"); !strings.Contains(page, "Work queue") || !strings.Contains(page, "1 worker alive") {
		t.Errorf("status page lacks the work queue")
	}
}
