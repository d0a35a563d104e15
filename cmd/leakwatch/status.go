package main

import (
	"bytes"
	"cmp"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leakwatch/leakwatch/matcher"
	"github.com/leakwatch/leakwatch/notify"
)

// statusFindings is how many of the most recent findings the page lists.
const statusFindings = 50

// statusRefs is how many record references a finding's row shows.
const statusRefs = 10

//go:embed status.html.tmpl
var statusHTML string

var statusTemplate = template.Must(template.New("status").Parse(statusHTML))

// statusView is what the status page shows. Every string comes from the
// configuration, the crawler's health (errors masked again), sanitized
// stored findings or the outbox's identifiers: nothing raw.
type statusView struct {
	Generated     string
	Ready         bool
	NotReady      []string
	Sets          []matcher.SetInfo
	Sources       []sourceRow
	Stalled       int
	StoreError    string
	Findings      []findingRow
	FindingsTotal int
	Retention     string
	Notify        bool
	Outbox        notify.Status
	OutboxItems   []outboxRow
	Sent          []sentRow
	OutboxError   string
	Queue         *queueStatus
	QueueError    string
	QueueOldest   string
}

type sourceRow struct {
	Name, Kind                          string
	LastSuccess, LastNewItem, LastError string
	LastErrorAt, StaleAfter             string
	Failures, FailureLimit              int
	Items                               int64
	Stalled                             bool
	Reason                              string
}

type findingRow struct {
	ID, Set, Refs, Kinds, URL, Source, Score, FirstSeen string
	Records                                             int
	Acked, Evidence                                     bool
}

type outboxRow struct {
	Key, FindingID, Set, State, Mode, Enqueued, NextAttempt, LastError string
	Records, Attempts                                                  int
}

type sentRow struct {
	FindingID, Set, SentAt string
	Attempts               int
	Digest                 bool
}

// serveStatus renders the status page.
func (d *daemon) serveStatus(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), scrapeTimeout)
	defer cancel()
	v := d.statusView(ctx)
	var buf bytes.Buffer
	if err := statusTemplate.Execute(&buf, v); err != nil {
		d.pipe.log.Warn("rendering the status page", "err", err)
		http.Error(w, "status page failed to render", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}

// statusView gathers the page's data; a part that cannot be read says so
// on the page instead of failing it.
func (d *daemon) statusView(ctx context.Context) statusView {
	now := d.pipe.now()
	v := statusView{Generated: fmtTime(now), Notify: d.notifier != nil, Retention: fmtDuration(time.Duration(d.cfg.FindingsRetention))}
	if _, err := d.st.SetsGeneration(ctx); err != nil {
		v.NotReady = append(v.NotReady, "store unreachable")
	}
	if m, _ := d.pipe.current(); m != nil {
		v.Sets = m.Info()
	} else {
		v.NotReady = append(v.NotReady, "no matcher: no set loaded")
	}
	v.Ready = len(v.NotReady) == 0

	states, err := d.sourceStates(ctx)
	if err != nil {
		v.StoreError = "source health unavailable: " + notify.SanitizeText(err.Error(), 200)
	}
	for _, s := range states {
		row := sourceRow{
			Name: s.Source, Kind: s.Kind,
			LastSuccess: fmtAgo(s.LastSuccess, now), LastNewItem: fmtAgo(s.LastNewItem, now),
			LastError: notify.SanitizeText(s.LastError, 300), LastErrorAt: fmtAgo(s.LastErrorAt, now),
			StaleAfter: fmtDuration(s.StaleAfter), Failures: s.ConsecutiveFailures, FailureLimit: s.FailureLimit,
			Items: s.ItemsSeen, Stalled: s.Stalled,
		}
		if s.Stalled {
			v.Stalled++
			if s.Reason == notify.StallFailing {
				row.Reason = fmt.Sprintf("%d failed visits in a row", s.ConsecutiveFailures)
			} else {
				row.Reason = "nothing new for over " + fmtDuration(s.StaleAfter)
			}
		}
		v.Sources = append(v.Sources, row)
	}

	if qs, err := d.crawler.QueueStats(ctx); err != nil {
		v.QueueError = "work queue unavailable: " + notify.SanitizeText(err.Error(), 200)
	} else {
		v.Queue = summarizeQueue(qs, now, d.crawler.ReclaimAfter())
		if p := v.Queue.OldestPending; p != nil {
			v.QueueOldest = fmt.Sprintf("%s, queued %s ago, held by %s (idle %s, delivery %d)", p.Source,
				fmtDuration(time.Duration(p.AgeSeconds*float64(time.Second))), p.Consumer,
				fmtDuration(time.Duration(p.IdleSeconds*float64(time.Second))), p.Deliveries)
		}
	}

	var all []storedFinding
	err = d.st.Scan(ctx, bucketFindings, "", func(_ string, value []byte) error {
		var sf storedFinding
		if json.Unmarshal(value, &sf) == nil {
			all = append(all, sf)
		}
		return nil
	})
	if err != nil {
		v.StoreError = cmp.Or(v.StoreError, "findings unavailable: "+notify.SanitizeText(err.Error(), 200))
	}
	v.FindingsTotal = len(all)
	slices.SortFunc(all, func(a, b storedFinding) int { return b.FirstSeen.Compare(a.FirstSeen) })
	for _, sf := range all[:min(len(all), statusFindings)] {
		f := sf.Finding.Sanitized() // stored sanitized; again, to be sure
		refs := f.Refs[:min(len(f.Refs), statusRefs)]
		refText := strings.Join(refs, ", ")
		if more := f.Records - len(refs); more > 0 {
			refText += fmt.Sprintf(" and %d more", more)
		}
		v.Findings = append(v.Findings, findingRow{
			ID: f.ID, Set: f.Set, Refs: refText, Kinds: strings.Join(f.Kinds, ", "), URL: notify.DefangURL(f.URL),
			Source: f.Source, Score: strconv.FormatFloat(f.Score, 'f', 2, 64), FirstSeen: fmtTime(f.FirstSeen),
			Records: f.Records, Acked: !sf.Acked.IsZero(), Evidence: len(sf.Evidence) > 0,
		})
	}

	if d.notifier != nil {
		s, err := d.notifier.Status(ctx)
		if err != nil {
			v.OutboxError = "outbox unavailable: " + notify.SanitizeText(err.Error(), 200)
		}
		v.Outbox = s
		for _, it := range s.Items {
			v.OutboxItems = append(v.OutboxItems, outboxRow{
				Key: it.Key, FindingID: it.FindingID, Set: it.Set, State: it.State, Mode: it.Mode,
				Enqueued: fmtTime(it.Enqueued), NextAttempt: fmtTime(it.NextAttempt),
				LastError: notify.SanitizeText(it.LastError, 200), Records: it.Records, Attempts: it.Attempts,
			})
		}
		for _, it := range s.Recent[:min(len(s.Recent), 20)] {
			v.Sent = append(v.Sent, sentRow{FindingID: it.FindingID, Set: it.Set, SentAt: fmtTime(it.SentAt), Attempts: it.Attempts, Digest: it.Digest})
		}
	}
	return v
}

// fmtTime writes a time in UTC to the second, "-" for none.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// fmtAgo writes a time and how long ago it was.
func fmtAgo(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return fmtTime(t) + " (" + fmtDuration(now.Sub(t).Round(time.Second)) + " ago)"
}

// fmtDuration writes a duration in days, hours, minutes or seconds.
func fmtDuration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	case d >= time.Hour:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h" + fmtMinutes(d%time.Hour)
	case d >= time.Minute:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	default:
		return strconv.FormatInt(int64(max(d, 0)/time.Second), 10) + "s"
	}
}

func fmtMinutes(d time.Duration) string {
	if d < time.Minute {
		return ""
	}
	return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
}
