package matcher

import "github.com/leakwatch/leakwatch/fingerprints"

// SetInfo describes one set a Matcher holds: sizes for metrics and status
// pages, never a fingerprint or a reference.
type SetInfo struct {
	// Name is the set's name.
	Name string
	// Records is how many records the set holds.
	Records int
	// Fingerprints is how many field fingerprints its index holds.
	Fingerprints int
	// FingerprintBytes and RefBytes are the memory the index holds for
	// fingerprints (with its directory) and for record references.
	FingerprintBytes, RefBytes int
	// Forms is the version of the canonical forms the set was loaded with
	// (fingerprints.SetForms).
	Forms int
}

// Info describes the Matcher's sets, in the order they were given to New.
func (m *Matcher) Info() []SetInfo {
	out := make([]SetInfo, 0, len(m.sets))
	for _, s := range m.sets {
		fb, rb := s.ix.MemStats()
		out = append(out, SetInfo{Name: s.name, Records: s.ix.Records(), Fingerprints: s.ix.Len(), FingerprintBytes: fb, RefBytes: rb,
			Forms: fingerprints.SetForms(s.ix.Meta())})
	}
	return out
}
