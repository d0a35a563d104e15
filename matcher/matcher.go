package matcher

import (
	"context"
	"fmt"
	"regexp"
	"sort"

	"github.com/leakwatch/leakwatch/fingerprints"
)

// Defaults of Options.
const (
	DefaultWindow     = 500 // characters within which a record's fields count together
	DefaultNameWindow = 160 // characters around a hit searched for names
)

// Options tune matching.
type Options struct {
	// Window is the proximity window in characters (default 500).
	Window int
	// NameWindow is how far around each hit names are looked for
	// (default 160 characters each side).
	NameWindow int
}

// Set is one fingerprint set to match against: its index and the function
// that fingerprints candidates for it.
type Set struct {
	Index *fingerprints.Index
	FPR   fingerprints.Fingerprinter
}

// Matcher finds the records of some sets in documents. It is immutable and
// safe for concurrent use; each goroutine scans with its own Scanner.
type Matcher struct {
	sets []matcherSet
	opts Options
}

type matcherSet struct {
	name    string
	ix      *fingerprints.Index
	fpr     fingerprints.Fingerprinter
	idRe    *regexp.Regexp
	hasKind [16]bool
}

// New returns a Matcher for the given sets.
func New(sets []Set, opts Options) (*Matcher, error) {
	if opts.Window <= 0 {
		opts.Window = DefaultWindow
	}
	if opts.NameWindow <= 0 {
		opts.NameWindow = DefaultNameWindow
	}
	m := &Matcher{opts: opts}
	for _, s := range sets {
		meta := s.Index.Meta()
		ms := matcherSet{name: meta.Name, ix: s.Index, fpr: s.FPR}
		if meta.IDPattern != "" {
			re, err := regexp.Compile(meta.IDPattern)
			if err != nil {
				return nil, fmt.Errorf("set %q: id pattern: %w", meta.Name, err)
			}
			ms.idRe = re
		}
		for c := 0; c < s.Index.Columns(); c++ {
			k, _ := s.Index.Column(uint8(c))
			ms.hasKind[k] = true
		}
		m.sets = append(m.sets, ms)
	}
	sort.Slice(m.sets, func(i, j int) bool { return m.sets[i].name < m.sets[j].name })
	return m, nil
}

// Sets returns the names of the sets matched, sorted.
func (m *Matcher) Sets() []string {
	names := make([]string, len(m.sets))
	for i, s := range m.sets {
		names[i] = s.name
	}
	return names
}

// Finding is one record of a set found in one document. It says which
// record (the operator's ref), which kinds of field were found and where,
// and never the values.
type Finding struct {
	Set    string   `json:"set"`
	Ref    string   `json:"ref"`
	Fields []string `json:"fields"`
	Source string   `json:"source"`
	// Start and End are byte offsets in the document's text (decoded to
	// UTF-8 and extracted from HTML or JSON) spanning the fields found.
	Start int64   `json:"start"`
	End   int64   `json:"end"`
	Score float64 `json:"score"`
}

// Scan scans one document with a fresh Scanner. Use NewScanner to scan
// many documents in one goroutine without reallocating.
func (m *Matcher) Scan(ctx context.Context, in Input) ([]Finding, error) {
	return m.NewScanner().Scan(ctx, in)
}
