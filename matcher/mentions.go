package matcher

// Mentions reports whether a short text (a page title, a file name) holds
// any value of any record of the matched sets — one field is enough, weak
// ones included. Callers use it to withhold attacker-controlled text that
// would otherwise carry a leaked value into stored findings and emails: a
// paste titled with a victim's name must not put that name in an alert.
// Text longer than 4 KiB is not examined and counts as mentioning.
func (s *Scanner) Mentions(text string) bool {
	if len(text) > 4<<10 {
		return true
	}
	buf := []byte(text)
	s.hits, s.refs = s.hits[:0], s.refs[:0]
	s.rowBuf = nil // buf may sit where an earlier text did
	s.extract(buf, 0, len(buf), 0)
	s.names(buf, 0, 0)
	// The text is short: a costly set's names and addresses are looked up
	// all over it, not only around its hits.
	for si := range s.m.sets {
		if s.m.sets[si].costly {
			s.costlyPass = si + 1
			s.extract(buf, 0, len(buf), 0)
			s.names(buf, 0, 0)
			s.costlyPass = 0
		}
	}
	found := len(s.refs) > 0
	s.hits, s.refs = s.hits[:0], s.refs[:0]
	return found
}
