package notify

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Reasons of a Stall.
const (
	// StallFailing: the source's last visits all failed.
	StallFailing = "failing"
	// StallStale: the source has handed over nothing new for too long.
	StallStale = "stale"
)

// Stall says that a crawler source has stopped working: it keeps failing,
// or it has yielded nothing new for longer than its limit. The operator is
// told once per stall episode (the daemon keeps track); a watched site that
// went quiet, blocked the crawler or changed its layout is as much a blind
// spot as one never watched. A Stall carries only the source's name and
// kind, counts, times and the crawler's own error message — never page
// text — and every string is sanitized like a finding's title.
type Stall struct {
	// Source and Kind name the crawler source.
	Source, Kind string
	// Reason is StallFailing or StallStale.
	Reason string
	// Since is when the episode began: the last new item (stale) or the
	// last success (failing); zero if never.
	Since time.Time
	// Limit is the stale_after that was exceeded (stale), and Failures
	// the consecutive failures counted (failing) against FailureLimit.
	Limit                  time.Duration
	Failures, FailureLimit int
	// LastSuccess and LastNewItem are from the source's health; zero if
	// never.
	LastSuccess, LastNewItem time.Time
	// LastError is the crawler's message for the last failed visit.
	LastError string
	// Detected is when the daemon noticed the stall.
	Detected time.Time
}

type stallView struct {
	Source, Kind, Reason            string
	Failing                         bool
	Since, LastSuccess, LastNewItem string
	Detected, Limit                 string
	Failures, FailureLimit          int
	LastError                       string
}

// RenderStall renders the email telling the operator that a source
// stalled, in lang ("ja" or "en").
func RenderStall(s Stall, lang string) (Message, error) {
	if s.Reason != StallFailing && s.Reason != StallStale {
		return Message{}, fmt.Errorf("render stall: unknown reason %q", s.Reason)
	}
	v := stallView{
		Source:       sanitizeLine(redact(s.Source), maxSourceRunes),
		Kind:         sanitizeLine(redact(s.Kind), maxKindRunes),
		Reason:       s.Reason,
		Failing:      s.Reason == StallFailing,
		Since:        formatTime(s.Since, lang),
		LastSuccess:  formatTime(s.LastSuccess, lang),
		LastNewItem:  formatTime(s.LastNewItem, lang),
		Detected:     formatTime(s.Detected, lang),
		Limit:        formatLimit(s.Limit),
		Failures:     s.Failures,
		FailureLimit: s.FailureLimit,
		LastError:    SanitizeText(s.LastError, 300),
	}
	return render("stall", lang, v)
}

// formatLimit writes a duration the way the configuration does, without
// trailing zero units ("24h", "1h30m", "90s").
func formatLimit(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	if d%time.Hour == 0 {
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	}
	s := d.String()
	if d%time.Minute == 0 {
		s = strings.TrimSuffix(s, "0s")
	}
	return s
}

// SanitizeText makes attacker-influenced text safe to store and show, the
// way a finding's title is: one line of valid UTF-8 of at most maxRunes,
// without control, bidirectional or zero-width characters, with email
// addresses and long digit runs masked and links defanged. Status pages
// and other reports use it for error messages that may quote a URL.
func SanitizeText(s string, maxRunes int) string {
	return sanitizeLine(defangText(redact(s)), maxRunes)
}

// DefangURL is a stored finding's URL as messages show it: sanitized,
// masked and defanged (hxxps://example[.]com/...), so that no mail client
// or browser makes it a link.
func DefangURL(u string) string {
	return defangURL(sanitizeLine(redact(u), maxURLRunes))
}
