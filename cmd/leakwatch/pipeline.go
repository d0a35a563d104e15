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
	"github.com/leakwatch/leakwatch/fingerprints"
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
	key      *fingerprints.Key
	sets     []string
	window   int
	notifier *notify.Notifier // nil: findings are only recorded
	opPub    []byte           // nil: no evidence is kept
	log      *slog.Logger
	now      func() time.Time

	cur atomic.Pointer[matcherGen]
	mu  sync.Mutex // serializes reloads
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
	m, err := buildMatcher(ctx, e, p.st, p.key, p.sets, matcher.Options{Window: p.window})
	if err != nil {
		return err
	}
	g := &matcherGen{m: m, gen: gen}
	g.pool.New = func() any { return m.NewScanner() }
	p.cur.Store(g)
	p.log.Info("matcher ready", "sets", m.Sets(), "generation", gen, "took", time.Since(start).Round(time.Millisecond))
	return nil
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
		return errNoMatcher
	}
	sc := g.pool.Get().(*matcher.Scanner)
	defer g.pool.Put(sc)
	in := matcher.Input{Source: d.URL, R: bytes.NewReader(d.Body), MediaType: d.MediaType, Charset: "utf-8"}
	found, err := sc.Scan(ctx, in)
	if err != nil {
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
		if err := p.record(ctx, f, d, set.spans); err != nil {
			return err
		}
		if p.notifier != nil {
			if _, err := p.notifier.Enqueue(ctx, f); err != nil {
				return fmt.Errorf("queueing notification of finding %s: %w", f.ID, err)
			}
		}
		p.log.Info("finding", "id", f.ID, "set", f.Set, "records", f.Records, "source", d.Source)
	}
	return nil
}

// record stores the finding once; a second worker or a retry finds it
// there and leaves it.
func (p *pipeline) record(ctx context.Context, f notify.Finding, d crawler.Document, spans [][2]int64) error {
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
		return err
	}
	if _, err := p.st.PutIfAbsent(ctx, bucketFindings, f.ID, b, 0); err != nil {
		return fmt.Errorf("recording finding %s: %w", f.ID, err)
	}
	return nil
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
