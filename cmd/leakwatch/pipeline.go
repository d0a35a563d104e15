package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leakwatch/leakwatch/crawler"
	"github.com/leakwatch/leakwatch/matcher"
	"github.com/leakwatch/leakwatch/notify"
	"github.com/leakwatch/leakwatch/store"
)

// bucketFindings holds one storedFinding per (set, page content), by ID.
const bucketFindings = "findings"

// withheldTitle replaces a page title that holds a matched value.
const withheldTitle = "(title withheld: it contains matched personal data)"

// evidenceContext is how much text around the matched span is sealed.
const evidenceContext = 200

// storedFinding is what the store keeps of a finding: references, kinds,
// where and when — the attacker-controlled title and URL in their
// sanitized form — and, when an operator key is configured, the matched
// span with its context sealed to that key, which the monitor itself cannot
// read back.
type storedFinding struct {
	notify.Finding
	Evidence []byte    `json:"evidence,omitempty"`
	EvidKEM  bool      `json:"sealed,omitempty"`
	Acked    time.Time `json:"acked,omitzero"`
}

// pipeline is the crawler's Handler: it matches each document, records
// what it finds, and queues the notifications.
type pipeline struct {
	st       store.Store
	key      *keyring // the keys of keyed and blind sets
	sets     []string
	window   int
	notifier *notify.Notifier // nil: findings are only recorded
	opPub    []byte           // nil: no evidence is kept
	log      *slog.Logger
	now      func() time.Time
	// retention is how long a finding (and its sealed evidence) is
	// kept: the TTL it is stored with.
	retention time.Duration

	cur   atomic.Pointer[matcherGen]
	mu    sync.Mutex // serializes reloads
	stats pipelineStats
}

// pipelineStats are the pipeline's counters since the process started,
// for /metrics: the matcher's Scanner.Stats summed over every scan, and
// what came of the documents.
type pipelineStats struct {
	documents, unreadable, refused         atomic.Int64
	bytes, candidates, lookups, hits       atomic.Int64
	filtered                               atomic.Int64
	deferred                               atomic.Int64
	findings, findingsNew, queued, reloads atomic.Int64
	reloadFailures                         atomic.Int64
}

// current returns the matcher in use and its sets generation; nil before
// the first build or after every set was removed.
func (p *pipeline) current() (*matcher.Matcher, uint64) {
	g := p.cur.Load()
	if g == nil {
		return nil, 0
	}
	return g.m, g.gen
}

// matcherGen is a matcher built from one generation of the sets, with
// scanners to lend (a Scanner serves one goroutine at a time).
type matcherGen struct {
	m    *matcher.Matcher
	gen  uint64
	pool sync.Pool
}

// reload rebuilds the matcher when the sets changed since the last build.
// Until the first successful build there is no matcher and documents are
// refused (the crawler offers them again later).
func (p *pipeline) reload(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	gen, err := p.st.SetsGeneration(ctx)
	if err != nil {
		return fmt.Errorf("reading sets generation: %w", err)
	}
	if cur := p.cur.Load(); cur != nil && cur.gen == gen {
		return nil
	}
	start := time.Now()
	e := &env{log: p.log}
	names, err := p.loadedSets(ctx)
	if err != nil {
		return err
	}
	m, err := buildMatcher(ctx, e, p.st, p.key, names, matcher.Options{Window: p.window})
	if errors.Is(err, errNoSets) && p.cur.Load() != nil {
		// Every set was removed: stop matching them at once. Documents
		// wait (the crawler offers them again) until a set is loaded.
		p.cur.Store(nil)
		p.log.Warn("every set was removed: documents wait until one is loaded", "generation", gen)
	}
	if err != nil {
		p.stats.reloadFailures.Add(1)
		return err
	}
	p.stats.reloads.Add(1)
	g := &matcherGen{m: m, gen: gen}
	g.pool.New = func() any { return m.NewScanner() }
	p.cur.Store(g)
	p.log.Info("matcher ready", "sets", m.Sets(), "generation", gen, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// loadedSets returns the configured sets that are loaded, or nil for
// every loaded set. A configured set that `leakwatch sets rm` removed is
// left out with a warning, so a running daemon stops matching it at its
// next reload instead of going on with the old matcher; with none left,
// it is errNoSets.
func (p *pipeline) loadedSets(ctx context.Context) ([]string, error) {
	if len(p.sets) == 0 {
		return nil, nil
	}
	var names []string
	for _, name := range p.sets {
		_, err := p.st.GetSet(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			p.log.Warn("configured set is not loaded: matching without it", "set", name)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading set %q: %w", name, err)
		}
		names = append(names, name)
	}
	if len(names) == 0 {
		return nil, withHint(errNoSets, "load the configured sets: leakwatch sets load NAME FILE --schema SPEC")
	}
	return names, nil
}

// watchSets reloads the matcher whenever the sets change, without a
// restart, until ctx ends.
func (p *pipeline) watchSets(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := p.reload(ctx); err != nil && ctx.Err() == nil {
				p.log.Warn("reloading sets failed; still matching with the previous ones", "err", err)
			}
		}
	}
}

var errNoMatcher = errors.New("no sets loaded yet")

// HandleDocument matches one crawled document. It returns an error only
// when something must be retried (the store is down, no sets yet): the
// crawler then offers the document again, and everything here is
// idempotent, so a retry records and notifies nothing twice.
func (p *pipeline) HandleDocument(ctx context.Context, d crawler.Document) error {
	g := p.cur.Load()
	if g == nil {
		p.stats.refused.Add(1)
		return errNoMatcher
	}
	sc := g.pool.Get().(*matcher.Scanner)
	defer g.pool.Put(sc)
	in := matcher.Input{Source: d.URL, R: bytes.NewReader(d.Body), MediaType: d.MediaType, Charset: "utf-8"}
	before := sc.Stats()
	found, err := sc.Scan(ctx, in)
	after := sc.Stats()
	p.stats.documents.Add(1)
	p.stats.bytes.Add(after.Bytes - before.Bytes)
	p.stats.candidates.Add(after.Candidates - before.Candidates)
	p.stats.lookups.Add(after.Lookups - before.Lookups)
	p.stats.filtered.Add(after.Filtered - before.Filtered)
	p.stats.deferred.Add(after.Deferred - before.Deferred)
	p.stats.hits.Add(after.Hits - before.Hits)
	if err != nil {
		p.stats.unreadable.Add(1)
		// A document the matcher cannot read will not get better.
		p.log.Warn("document not scanned", "source", d.Source, "key", d.Key, "err", err)
		return nil
	}
	if len(found) == 0 {
		return nil
	}
	hash := hex.EncodeToString(d.ContentHash[:])
	// The title is attacker-controlled and may itself hold a leaked
	// value; then it is not kept or mailed.
	title := d.Title
	if title != "" && sc.Mentions(title) {
		title = withheldTitle
	}
	for _, set := range groupBySet(found) {
		f := notify.Finding{
			ID:  findingID(set.name, d.URL, hash),
			Set: set.name, Refs: set.refs, Kinds: set.kinds, URL: d.URL, Source: d.Source, Title: title,
			FirstSeen: d.Fetched, Score: set.score, ContentHash: hash, Records: len(set.refs),
		}
		isNew, err := p.record(ctx, f, d, set.spans)
		if err != nil {
			return err
		}
		p.stats.findings.Add(1)
		if isNew {
			p.stats.findingsNew.Add(1)
		}
		if p.notifier != nil {
			queued, err := p.notifier.Enqueue(ctx, f)
			if err != nil {
				return fmt.Errorf("queueing notification of finding %s: %w", f.ID, err)
			}
			if queued {
				p.stats.queued.Add(1)
			}
		}
		p.log.Info("finding", "id", f.ID, "set", f.Set, "records", f.Records, "source", d.Source)
	}
	return nil
}

// record stores the finding once, for the retention, and reports whether
// it was new; a second worker or a retry finds it there and leaves it.
func (p *pipeline) record(ctx context.Context, f notify.Finding, d crawler.Document, spans [][2]int64) (bool, error) {
	sf := storedFinding{Finding: f.Sanitized()}
	if p.opPub != nil {
		ev, err := p.evidence(d, spans)
		if err != nil {
			p.log.Warn("evidence not kept", "finding", f.ID, "err", err)
		} else if sealed, err := notify.Seal(p.opPub, ev, []byte(f.ID)); err != nil {
			p.log.Warn("evidence not sealed", "finding", f.ID, "err", err)
		} else {
			sf.Evidence, sf.EvidKEM = sealed, true
		}
	}
	b, err := json.Marshal(sf)
	if err != nil {
		return false, fmt.Errorf("encoding finding %s: %w", f.ID, err)
	}
	isNew, err := p.st.PutIfAbsent(ctx, bucketFindings, f.ID, b, p.retention)
	if err != nil {
		return false, fmt.Errorf("recording finding %s: %w", f.ID, err)
	}
	return isNew, nil
}

// purgeFindings deletes the findings first seen longer than the retention
// ago, with their sealed evidence. Findings are stored with the retention
// as TTL; this also covers those whose TTL an acknowledgement rewrote, and
// those stored before the retention was configured.
func (p *pipeline) purgeFindings(ctx context.Context) (int, error) {
	cutoff := p.now().Add(-p.retention)
	var old []string
	err := p.st.Scan(ctx, bucketFindings, "", func(key string, value []byte) error {
		var sf storedFinding
		if json.Unmarshal(value, &sf) == nil && !sf.FirstSeen.IsZero() && sf.FirstSeen.Before(cutoff) {
			old = append(old, key)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("listing findings: %w", err)
	}
	for i, key := range old {
		if err := p.st.Delete(ctx, bucketFindings, key); err != nil {
			return i, fmt.Errorf("deleting finding %s: %w", key, err)
		}
	}
	return len(old), nil
}

// evidence is the text of each matched span with its context, in order,
// separated by a line of dashes.
func (p *pipeline) evidence(d crawler.Document, spans [][2]int64) ([]byte, error) {
	var out bytes.Buffer
	for i, sp := range spans {
		if i > 0 {
			out.WriteString("\n-----\n")
		}
		ex, err := matcher.Excerpt(matcher.Input{Source: d.URL, R: bytes.NewReader(d.Body), MediaType: d.MediaType, Charset: "utf-8"}, sp[0], sp[1], evidenceContext)
		if err != nil {
			return nil, err
		}
		out.Write(ex)
	}
	return out.Bytes(), nil
}

// findingID names a finding by its set, page and content, so every worker
// computes the same ID for the same finding.
func findingID(set, url, contentHash string) string {
	h := sha256.Sum256([]byte(set + "\x00" + url + "\x00" + contentHash))
	return hex.EncodeToString(h[:10])
}

type setFindings struct {
	name  string
	refs  []string
	kinds []string
	score float64
	spans [][2]int64
}

// groupBySet folds a document's findings into one per set.
func groupBySet(found []matcher.Finding) []setFindings {
	by := map[string]*setFindings{}
	var order []string
	for _, f := range found {
		s := by[f.Set]
		if s == nil {
			s = &setFindings{name: f.Set}
			by[f.Set] = s
			order = append(order, f.Set)
		}
		s.refs = append(s.refs, f.Ref)
		for _, k := range f.Fields {
			if !slices.Contains(s.kinds, k) {
				s.kinds = append(s.kinds, k)
			}
		}
		s.score = max(s.score, f.Score)
		s.spans = append(s.spans, [2]int64{f.Start, f.End})
	}
	out := make([]setFindings, 0, len(order))
	for _, name := range order {
		s := by[name]
		slices.Sort(s.kinds)
		out = append(out, *s)
	}
	return out
}
