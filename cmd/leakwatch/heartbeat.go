package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/leakwatch/leakwatch/store"
)

// Every running daemon announces itself in the store, so that `leakwatch
// status` can tell which workers of a fleet are alive: one key per worker
// in bucketWorkers, rewritten every heartbeatEvery with a TTL of
// heartbeatTTL, and deleted when the daemon stops gracefully. A worker
// that dies (SIGKILL, a lost machine) disappears when its TTL runs out.
const (
	bucketWorkers  = "workers"
	heartbeatEvery = 5 * time.Second
	heartbeatTTL   = 3 * heartbeatEvery
)

// workerBeat is a worker's heartbeat record. It names the process, never
// anything it crawled.
type workerBeat struct {
	ID       string    `json:"id"`
	Host     string    `json:"host"`
	PID      int       `json:"pid"`
	Started  time.Time `json:"started"`
	LastBeat time.Time `json:"last_beat"`
	Sources  int       `json:"sources"`
}

// newWorkerBeat describes this process: host/pid/random, so two daemons
// on one host, or a PID reused after a restart, never share an ID.
func newWorkerBeat(started time.Time, sources int) workerBeat {
	host, _ := os.Hostname()
	if host == "" {
		host = "unknown"
	}
	var r [4]byte
	_, _ = rand.Read(r[:])
	pid := os.Getpid()
	return workerBeat{
		ID:   fmt.Sprintf("%s/%d/%s", host, pid, hex.EncodeToString(r[:])),
		Host: host, PID: pid, Started: started.UTC(), Sources: sources,
	}
}

// heartbeat announces the daemon in its store until ctx ends.
func (d *daemon) heartbeat(ctx context.Context) {
	heartbeat(ctx, d.st, d.beat, d.pipe.log)
}

// heartbeat writes the worker's record now and every heartbeatEvery until
// ctx ends, then deletes it. A failed write (the store is down) is logged
// once per outage and retried at the next beat: the daemon goes on.
func heartbeat(ctx context.Context, kv store.KV, w workerBeat, log *slog.Logger) {
	failing := false
	beat := func() {
		w.LastBeat = time.Now().UTC()
		b, _ := json.Marshal(w)
		err := kv.Put(ctx, bucketWorkers, w.ID, b, heartbeatTTL)
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			failing = true
			log.Warn("heartbeat not written; retrying", "worker", w.ID, "err", err)
		case err == nil && failing:
			failing = false
			log.Info("heartbeat written again", "worker", w.ID)
		}
	}
	beat()
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := kv.Delete(dctx, bucketWorkers, w.ID); err != nil {
				log.Warn("heartbeat not deleted; it expires by itself", "worker", w.ID, "err", err, "within", heartbeatTTL)
			}
			return
		case <-t.C:
			beat()
		}
	}
}

// readWorkers returns the workers whose heartbeat is current, oldest
// first. A record older than heartbeatTTL (a store without exact expiry
// may still hold it) is left out.
func readWorkers(ctx context.Context, kv store.KV, now time.Time) ([]workerBeat, error) {
	var out []workerBeat
	err := kv.Scan(ctx, bucketWorkers, "", func(_ string, v []byte) error {
		var w workerBeat
		if json.Unmarshal(v, &w) != nil || now.Sub(w.LastBeat) > heartbeatTTL {
			return nil
		}
		out = append(out, w)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading worker heartbeats: %w", err)
	}
	slices.SortFunc(out, func(a, b workerBeat) int { return a.Started.Compare(b.Started) })
	return out, nil
}
