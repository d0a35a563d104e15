package matcher

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"unicode/utf8"

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
	// Costly marks a set whose fingerprints are expensive to compute (an
	// OPRF evaluation, about 130 µs, against 200 ns for a keyed HMAC). The
	// matcher then tries name and address candidates, which are many and
	// have no pattern, for this set only in the windows around this set's
	// own hits, never at every block number or around another set's hits.
	// A set whose index says it was not loaded in fingerprints.ModeKeyed is
	// treated as costly whatever this field says.
	Costly bool
}

// Matcher finds the records of some sets in documents. It is immutable and
// safe for concurrent use; each goroutine scans with its own Scanner.
type Matcher struct {
	sets      []matcherSet
	opts      Options
	anyCostly bool
	anyPairs  bool     // some set has pair fingerprints (pairs.go)
	hasKind   [16]bool // some set has fields of the kind
}

type matcherSet struct {
	name    string
	ix      *fingerprints.Index
	fpr     fingerprints.Fingerprinter
	idRe    *regexp.Regexp
	idLit   []byte // the literal prefix every match of idRe starts with, if any
	idLitFW []byte // idLit's first byte in full width, if it has one
	// idAt is idRe anchored at the start of its input, when idLit is
	// not empty and the pattern has no empty-width assertion (see
	// findIDs); nil otherwise.
	idAt    *regexp.Regexp
	hasKind [16]bool
	costly  bool // see Set.Costly
	// deferOK[k]: a lookup of the weak kind k whose value is common in
	// this set (fingerprints.Index.Common), or of any value of kind k if
	// the set has pairs, may wait until a record near it needs it (see
	// deferrable and segment): the set has a prefilter, is not costly,
	// and no field of kind k is strong.
	deferOK [16]bool
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
		ms := matcherSet{name: meta.Name, ix: s.Index, fpr: s.FPR,
			costly: s.Costly || (meta.Mode != "" && meta.Mode != fingerprints.ModeKeyed)}
		if meta.IDPattern != "" {
			re, err := regexp.Compile(meta.IDPattern)
			if err != nil {
				return nil, fmt.Errorf("set %q: id pattern: %w", meta.Name, err)
			}
			ms.idRe = re
			lit, _ := re.LiteralPrefix()
			ms.idLit = []byte(lit)
			ms.idAt = anchoredID(meta.IDPattern, lit)
			if len(lit) > 0 && lit[0] >= 0x21 && lit[0] <= 0x7E {
				ms.idLitFW = utf8.AppendRune(nil, rune(lit[0])-0x21+0xFF01)
			}
		}
		var strong [16]bool
		for c := 0; c < s.Index.Columns(); c++ {
			k, st := s.Index.Column(uint8(c))
			ms.hasKind[k] = true
			strong[k] = strong[k] || st
		}
		for k := range ms.deferOK {
			ms.deferOK[k] = ms.hasKind[k] && !fingerprints.Kind(k).Identifying() && !strong[k] &&
				s.Index.HasPrefilter() && !ms.costly
		}
		m.sets = append(m.sets, ms)
	}
	sort.Slice(m.sets, func(i, j int) bool { return m.sets[i].name < m.sets[j].name })
	for _, s := range m.sets {
		m.anyCostly = m.anyCostly || s.costly
		m.anyPairs = m.anyPairs || s.ix.HasPairs()
		for k, has := range s.hasKind {
			m.hasKind[k] = m.hasKind[k] || has
		}
	}
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
