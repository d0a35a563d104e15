package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/leakwatch/leakwatch/crawler"
	"github.com/leakwatch/leakwatch/fingerprints"
	"github.com/leakwatch/leakwatch/notify"
	"github.com/leakwatch/leakwatch/store"
)

// statusOptions are the options of `leakwatch status`.
type statusOptions struct {
	config       string
	json         bool
	overdueAfter time.Duration
}

// fleetStatus is what `leakwatch status` reports about a store and the
// daemons sharing it. It holds names, counts and times only.
type fleetStatus struct {
	Generated time.Time      `json:"generated"`
	Store     string         `json:"store"`
	Workers   []workerBeat   `json:"workers"`
	Sources   []sourceStatus `json:"sources"`
	Overdue   int            `json:"overdue"`
	// Outbox is nil when no notify section is known (no --config).
	Outbox   *outboxStatus `json:"outbox,omitempty"`
	Findings int           `json:"findings"`
	// Queue is the crawl's work queue, shared by the workers.
	Queue *queueStatus `json:"queue,omitempty"`
	// Sets are the loaded sets, with the version of their canonical forms.
	Sets []setStatus `json:"sets"`
}

// setStatus is one loaded set as status shows it: Stale when its
// canonical forms are of another version than this leakwatch's (see
// staleForms).
type setStatus struct {
	Name  string `json:"name"`
	Rows  int64  `json:"rows"`
	Forms int    `json:"forms"`
	Stale bool   `json:"stale"`
}

// queueStatus is the crawl's work queue as status shows it.
type queueStatus struct {
	// ReclaimAfter is the reclaim timeout status judged liveness by
	// (the configuration's, or the default).
	ReclaimAfter string `json:"reclaim_after"`
	// WorkersAlive counts the consumers heard from (a Claim or a Touch)
	// within ReclaimAfter: an idle worker claims every 2s at most, a busy
	// one touches every ReclaimAfter/3.
	WorkersAlive int              `json:"workers_alive"`
	Consumers    []consumerStatus `json:"consumers"`
	// Scheduled sources wait for their due time; Overdue of them are due
	// but not yet in the stream (no promoter runs, or it lags).
	Scheduled int64 `json:"scheduled"`
	Overdue   int64 `json:"overdue"`
	// Ready visits wait for a worker; Pending ones are being visited (or
	// were, by a worker that died: they are reclaimed). Depth is both.
	Ready   int64 `json:"ready"`
	Pending int64 `json:"pending"`
	Depth   int64 `json:"depth"`
	// OldestPending is the pending visit queued longest ago.
	OldestPending *queuePending `json:"oldest_pending,omitempty"`
	// DeadLetters counts sources taken out of the queue after too many
	// deliveries (their workers kept dying); DeadSources names the most
	// recent. `leakwatch sources visit NAME` puts one back.
	DeadLetters int64    `json:"dead_letters"`
	DeadSources []string `json:"dead_sources,omitempty"`
}

type consumerStatus struct {
	Name     string    `json:"name"`
	LastSeen time.Time `json:"last_seen"`
	Alive    bool      `json:"alive"`
	Pending  int       `json:"pending"`
}

type queuePending struct {
	Source      string  `json:"source"`
	Consumer    string  `json:"consumer"`
	AgeSeconds  float64 `json:"age_seconds"`
	IdleSeconds float64 `json:"idle_seconds"`
	Deliveries  int     `json:"deliveries"`
}

// summarizeQueue turns the queue's stats into what status shows.
func summarizeQueue(qs store.QueueStats, now time.Time, reclaim time.Duration) *queueStatus {
	q := &queueStatus{
		ReclaimAfter: reclaim.String(), Consumers: []consumerStatus{},
		Scheduled: qs.Scheduled, Overdue: qs.Overdue, Ready: qs.Ready, Pending: qs.Pending,
		Depth: qs.Ready + qs.Pending, DeadLetters: qs.Dead,
	}
	held := map[string]int{}
	for _, p := range qs.OldestPending {
		held[p.Consumer]++
	}
	for _, c := range qs.Consumers {
		alive := now.Sub(c.LastSeen) <= reclaim
		if alive {
			q.WorkersAlive++
		}
		q.Consumers = append(q.Consumers, consumerStatus{Name: c.Name, LastSeen: c.LastSeen.UTC(), Alive: alive, Pending: held[c.Name]})
	}
	if len(qs.OldestPending) > 0 {
		p := qs.OldestPending[0]
		for _, e := range qs.OldestPending[1:] {
			if e.Age > p.Age {
				p = e
			}
		}
		q.OldestPending = &queuePending{Source: p.Job, Consumer: p.Consumer, AgeSeconds: p.Age.Seconds(),
			IdleSeconds: p.Idle.Seconds(), Deliveries: p.Deliveries}
	}
	if qs.Dead > 0 {
		seen := map[string]bool{}
		for _, l := range qs.DeadLetters {
			if !seen[l.Job] && len(q.DeadSources) < 10 {
				seen[l.Job] = true
				q.DeadSources = append(q.DeadSources, l.Job)
			}
		}
	}
	return q
}

type sourceStatus struct {
	Name                string    `json:"name"`
	Kind                string    `json:"kind,omitempty"`
	NextDue             time.Time `json:"next_due"`
	Overdue             bool      `json:"overdue"`
	LastSuccess         time.Time `json:"last_success"`
	ConsecutiveFailures int       `json:"consecutive_failures"`
	LastError           string    `json:"last_error,omitempty"`
}

type outboxStatus struct {
	Queued        int          `json:"queued"`
	Failed        int          `json:"failed"`
	Sent          int          `json:"sent"`
	OldestPending *pendingItem `json:"oldest_pending,omitempty"`
}

type pendingItem struct {
	FindingID   string    `json:"finding_id"`
	Set         string    `json:"set"`
	Enqueued    time.Time `json:"enqueued"`
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"next_attempt"`
	LastError   string    `json:"last_error,omitempty"`
}

func runStatus(ctx context.Context, e *env, args []string) error {
	var o statusOptions
	fs := e.flags("status", true, false)
	fs.StringVar(&o.config, "config", "", "the daemon's YAML `file`: its store, its sources and its outbox")
	fs.BoolVar(&o.json, "json", false, "print JSON")
	fs.DurationVar(&o.overdueAfter, "overdue-after", time.Minute, "a source is overdue when its next visit was due longer ago than this `duration`")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, `usage: leakwatch status [--config FILE | --data DIR | --redis URL] [--json]

Shows the state of a store and of the daemons sharing it: the workers alive
(their heartbeats), the crawl's work queue (workers heard from, visits
ready and pending, the oldest pending visit, dead letters), the sources and
which are overdue, the outbox (with --config and a notify section) and the
number of findings. With the
embedded store the daemon must be stopped (only one process can open it);
with Redis it runs beside the fleet.`)
		fs.PrintDefaults()
	}
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("status takes no arguments")
	}
	var cfg *daemonConfig
	if o.config != "" {
		if cfg, err = loadDaemonConfig(o.config); err != nil {
			return err
		}
		if e.dataDir == "" {
			e.dataDir = cfg.Data
		}
		if e.redisURL == "" {
			e.redisURL = cfg.Redis
		}
	}
	st, err := e.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	s, err := readFleetStatus(ctx, st, cfg, time.Now(), o.overdueAfter)
	if err != nil {
		return err
	}
	s.Store = "embedded " + e.resolvedDataDir()
	if e.redisURL != "" {
		s.Store = "redis" // the URL may carry a password
	}
	if o.json {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	printFleetStatus(e, s)
	return nil
}

// readFleetStatus reads everything status shows. With cfg, the sources are
// the configured ones and the outbox is read; without, the sources are
// those with stored crawl state.
func readFleetStatus(ctx context.Context, st store.Store, cfg *daemonConfig, now time.Time, overdueAfter time.Duration) (*fleetStatus, error) {
	s := &fleetStatus{Generated: now.UTC(), Workers: []workerBeat{}, Sources: []sourceStatus{}}
	var err error
	if s.Workers, err = readWorkers(ctx, st, now); err != nil {
		return nil, err
	}
	if s.Workers == nil {
		s.Workers = []workerBeat{}
	}
	var names []string
	kinds := map[string]string{}
	if cfg != nil {
		for _, src := range cfg.Sources {
			names = append(names, src.Name)
			kinds[src.Name] = src.Kind
		}
	}
	if cfg == nil || len(names) > 0 {
		hs, err := crawler.ReadHealth(ctx, st, names...)
		if err != nil {
			return nil, err
		}
		for _, h := range hs {
			ss := sourceStatus{Name: h.Source, Kind: h.Kind, NextDue: h.NextDue, LastSuccess: h.LastSuccess,
				ConsecutiveFailures: h.ConsecutiveFailures, LastError: h.LastError}
			if k := kinds[h.Source]; k != "" {
				ss.Kind = k
			}
			ss.Overdue = !h.NextDue.IsZero() && now.Sub(h.NextDue) > overdueAfter
			if ss.Overdue {
				s.Overdue++
			}
			s.Sources = append(s.Sources, ss)
		}
	}
	if cfg != nil && cfg.Notify != nil {
		n, err := notify.New(st, *cfg.Notify, nil)
		if err != nil {
			return nil, fmt.Errorf("notify: %w", err)
		}
		ns, err := n.Status(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading the outbox: %w", err)
		}
		ob := &outboxStatus{Queued: ns.Queued, Failed: ns.Failed, Sent: ns.Sent}
		for _, it := range ns.Items {
			if it.State == notify.StateFailed {
				continue
			}
			if ob.OldestPending == nil || it.Enqueued.Before(ob.OldestPending.Enqueued) {
				ob.OldestPending = &pendingItem{FindingID: it.FindingID, Set: it.Set, Enqueued: it.Enqueued,
					Attempts: it.Attempts, NextAttempt: it.NextAttempt, LastError: it.LastError}
			}
		}
		s.Outbox = ob
	}
	metas, err := st.ListSets(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing sets: %w", err)
	}
	s.Sets = []setStatus{}
	for _, m := range metas {
		s.Sets = append(s.Sets, setStatus{Name: m.Name, Rows: m.Rows, Forms: fingerprints.SetForms(m), Stale: staleForms(m) != ""})
	}
	err = st.Scan(ctx, bucketFindings, "", func(string, []byte) error {
		s.Findings++
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("counting findings: %w", err)
	}
	reclaim := crawler.DefaultReclaimAfter
	if cfg != nil && cfg.Reclaim > 0 {
		reclaim = time.Duration(cfg.Reclaim)
	}
	qs, err := crawler.ReadQueue(ctx, st, now)
	if err != nil {
		return nil, fmt.Errorf("reading the work queue: %w", err)
	}
	s.Queue = summarizeQueue(qs, now, reclaim)
	return s, nil
}

func printFleetStatus(e *env, s *fleetStatus) {
	ago := func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		d := s.Generated.Sub(t).Round(time.Second)
		if d < 0 {
			return "in " + (-d).String()
		}
		return d.String() + " ago"
	}
	fmt.Fprintf(e.stdout, "store:    %s\n", s.Store)
	// A worker that missed two beats is listed as silent until its
	// record expires (heartbeatTTL): killed, frozen or cut off.
	silent := func(w workerBeat) bool { return s.Generated.Sub(w.LastBeat) > 2*heartbeatEvery }
	nSilent := 0
	for _, w := range s.Workers {
		if silent(w) {
			nSilent++
		}
	}
	if nSilent > 0 {
		fmt.Fprintf(e.stdout, "workers:  %d alive, %d silent (no beat for %s; listed until %s after their last)\n",
			len(s.Workers)-nSilent, nSilent, 2*heartbeatEvery, heartbeatTTL)
	} else {
		fmt.Fprintf(e.stdout, "workers:  %d alive\n", len(s.Workers))
	}
	if len(s.Workers) > 0 {
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  WORKER\tSTARTED\tLAST BEAT\tSOURCES\tSTATE")
		for _, w := range s.Workers {
			state := "alive"
			if silent(w) {
				state = "silent"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%s\n", w.ID, ago(w.Started), ago(w.LastBeat), w.Sources, state)
		}
		tw.Flush()
	}
	if q := s.Queue; q != nil {
		fmt.Fprintf(e.stdout, "queue:    %d workers alive (heard from within %s), depth %d (%d ready, %d pending), %d scheduled, %d overdue, %d dead letters\n",
			q.WorkersAlive, q.ReclaimAfter, q.Depth, q.Ready, q.Pending, q.Scheduled, q.Overdue, q.DeadLetters)
		if p := q.OldestPending; p != nil {
			fmt.Fprintf(e.stdout, "  oldest pending: %s, queued %s ago, held by %s (idle %s, delivery %d)\n", p.Source,
				time.Duration(p.AgeSeconds*float64(time.Second)).Round(time.Second), p.Consumer,
				time.Duration(p.IdleSeconds*float64(time.Second)).Round(time.Second), p.Deliveries)
		}
		if len(q.DeadSources) > 0 {
			fmt.Fprintf(e.stdout, "  dead letters: %s (put one back with: leakwatch sources visit NAME)\n", strings.Join(q.DeadSources, ", "))
		}
		if len(q.Consumers) > 0 {
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "  CONSUMER\tLAST SEEN\tPENDING\tSTATE")
			for _, c := range q.Consumers {
				state := "alive"
				if !c.Alive {
					state = "silent"
				}
				fmt.Fprintf(tw, "  %s\t%s\t%d\t%s\n", c.Name, ago(c.LastSeen), c.Pending, state)
			}
			tw.Flush()
		}
	}
	fmt.Fprintf(e.stdout, "sources:  %d, %d overdue\n", len(s.Sources), s.Overdue)
	if len(s.Sources) > 0 {
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  SOURCE\tKIND\tNEXT DUE\tLAST SUCCESS\tFAILURES\tSTATE")
		for _, src := range s.Sources {
			state := "ok"
			switch {
			case src.Overdue:
				state = "OVERDUE"
			case src.NextDue.IsZero():
				state = "never visited"
			case src.ConsecutiveFailures > 0:
				state = "failing: " + lastErrorText(src.LastError)
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%d\t%s\n", src.Name, src.Kind, ago(src.NextDue), ago(src.LastSuccess), src.ConsecutiveFailures, state)
		}
		tw.Flush()
	}
	if s.Outbox == nil {
		fmt.Fprintln(e.stdout, "outbox:   unknown (pass --config with a notify section)")
	} else {
		ob := s.Outbox
		fmt.Fprintf(e.stdout, "outbox:   queued %d, failed %d, sent %d\n", ob.Queued, ob.Failed, ob.Sent)
		if p := ob.OldestPending; p != nil {
			fmt.Fprintf(e.stdout, "  oldest pending: finding %s of %s, queued %s, %d attempts", p.FindingID, p.Set, ago(p.Enqueued), p.Attempts)
			if p.LastError != "" {
				fmt.Fprintf(e.stdout, ", last error: %s", lastErrorText(p.LastError))
			}
			fmt.Fprintln(e.stdout)
		}
	}
	stale := 0
	for _, set := range s.Sets {
		if set.Stale {
			stale++
		}
	}
	fmt.Fprintf(e.stdout, "sets:     %d, %d with canonical forms of another version\n", len(s.Sets), stale)
	for _, set := range s.Sets {
		if set.Stale {
			fmt.Fprintf(e.stdout, "  %s: forms version %d, this leakwatch writes %d; load the set again from its records\n", set.Name, set.Forms, fingerprints.FormsVersion)
		}
	}
	fmt.Fprintf(e.stdout, "findings: %d\n", s.Findings)
}

func lastErrorText(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
