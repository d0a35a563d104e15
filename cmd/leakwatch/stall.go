package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/leakwatch/leakwatch/crawler"
	"github.com/leakwatch/leakwatch/notify"
	"github.com/leakwatch/leakwatch/store"
)

// bucketStalls holds one stall episode per stalled source, by name: when it
// began and whether the operator was told. A source that recovers loses
// its entry, so its next stall is a new episode and a new email.
const bucketStalls = "stalls"

// stallClaim is how long one worker reserves an episode's email: longer
// than a delivery can take, after which another worker may send it.
const stallClaim = 5 * time.Minute

// sourceState is one source's health with the daemon's verdict on it.
type sourceState struct {
	crawler.SourceHealth
	// StaleAfter and FailureLimit are the source's stall limits.
	StaleAfter   time.Duration
	FailureLimit int
	// Stalled says the source is stalled, Reason why (notify.StallFailing
	// or notify.StallStale) and Since when (zero if unknown).
	Stalled bool
	Reason  string
	Since   time.Time
}

// stallEpisode is the stored record of one stall of a source.
type stallEpisode struct {
	Reason     string    `json:"reason"`
	Since      time.Time `json:"since,omitzero"`
	Detected   time.Time `json:"detected"`
	Notified   time.Time `json:"notified,omitzero"`
	ClaimUntil time.Time `json:"claim_until,omitzero"`
}

// judge decides whether a source is stalled: its last failures visits all
// failed, or it handed over nothing new for longer than staleAfter
// (counted from the daemon's start for a source that never did).
func judge(h crawler.SourceHealth, staleAfter time.Duration, failures int, started, now time.Time) sourceState {
	s := sourceState{SourceHealth: h, StaleAfter: staleAfter, FailureLimit: failures}
	if failures > 0 && h.ConsecutiveFailures >= failures {
		s.Stalled, s.Reason, s.Since = true, notify.StallFailing, h.LastSuccess
		return s
	}
	base := h.LastNewItem
	if base.IsZero() {
		base = started
	}
	if now.Sub(base) > staleAfter {
		s.Stalled, s.Reason, s.Since = true, notify.StallStale, h.LastNewItem
	}
	return s
}

// sourceStates returns every source's health and stall verdict, in
// configuration order.
func (d *daemon) sourceStates(ctx context.Context) ([]sourceState, error) {
	hs, err := d.crawler.Health(ctx)
	if err != nil {
		return nil, err
	}
	now := d.pipe.now()
	out := make([]sourceState, 0, len(hs))
	for i, h := range hs {
		staleAfter, failures := d.cfg.stallLimits(&d.cfg.Sources[i])
		out = append(out, judge(h, staleAfter, failures, d.started, now))
	}
	return out, nil
}

// stallCheckEvery is how often stalls are looked for: a quarter of the
// shortest stale_after, between 200ms and 30s.
func (d *daemon) stallCheckEvery() time.Duration {
	every := 30 * time.Second
	for i := range d.cfg.Sources {
		staleAfter, _ := d.cfg.stallLimits(&d.cfg.Sources[i])
		every = min(every, staleAfter/4)
	}
	return max(every, 200*time.Millisecond)
}

// watchStalls checks the sources for stalls until ctx ends.
func (d *daemon) watchStalls(ctx context.Context) {
	t := time.NewTicker(d.stallCheckEvery())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := d.checkStalls(ctx); err != nil && ctx.Err() == nil {
			d.pipe.log.Warn("checking sources for stalls", "err", err)
		}
	}
}

// checkStalls starts an episode for each newly stalled source, emails the
// operator once per episode (with the notify relay, to the default
// recipients), and ends the episodes of recovered sources. Processes
// sharing a store share the episodes, so they send one email between them.
func (d *daemon) checkStalls(ctx context.Context) error {
	states, err := d.sourceStates(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, s := range states {
		if !s.Stalled {
			if _, err := d.st.Get(ctx, bucketStalls, s.Source); err == nil {
				if err := d.st.Delete(ctx, bucketStalls, s.Source); err != nil {
					errs = append(errs, fmt.Errorf("ending stall of %q: %w", s.Source, err))
					continue
				}
				d.pipe.log.Info("source recovered", "source", s.Source)
			} else if !errors.Is(err, store.ErrNotFound) {
				errs = append(errs, fmt.Errorf("reading stall of %q: %w", s.Source, err))
			}
			continue
		}
		now := d.pipe.now()
		var ep stallEpisode
		var fresh, claimed bool
		err := d.st.Update(ctx, bucketStalls, s.Source, func(old []byte, exists bool) ([]byte, bool, time.Duration, error) {
			ep, fresh, claimed = stallEpisode{}, false, false
			if exists {
				if err := json.Unmarshal(old, &ep); err != nil {
					return nil, false, 0, fmt.Errorf("decoding stall episode: %w", err)
				}
			} else {
				ep = stallEpisode{Reason: s.Reason, Since: s.Since, Detected: now}
				fresh = true
			}
			if d.mailer != nil && ep.Notified.IsZero() && !now.Before(ep.ClaimUntil) {
				ep.ClaimUntil, claimed = now.Add(stallClaim), true
			}
			b, err := json.Marshal(ep)
			return b, true, 0, err
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("recording stall of %q: %w", s.Source, err))
			continue
		}
		if fresh {
			d.pipe.log.Warn("source stalled", "source", s.Source, "reason", s.Reason,
				"consecutive_failures", s.ConsecutiveFailures, "stale_after", s.StaleAfter)
		}
		if claimed {
			if err := d.sendStall(ctx, s, ep); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// sendStall emails the operator about one stall episode and records that
// it did; after a failed send the claim is released so that the next check
// tries again.
func (d *daemon) sendStall(ctx context.Context, s sourceState, ep stallEpisode) error {
	pol := d.cfg.Notify.PolicyFor("")
	msg, err := notify.RenderStall(notify.Stall{
		Source: s.Source, Kind: s.Kind, Reason: ep.Reason, Since: ep.Since,
		Limit: s.StaleAfter, Failures: s.ConsecutiveFailures, FailureLimit: s.FailureLimit,
		LastSuccess: s.LastSuccess, LastNewItem: s.LastNewItem, LastError: s.LastError,
		Detected: ep.Detected,
	}, pol.Language)
	if err == nil {
		err = d.mailer.Send(ctx, pol.Recipients, msg)
	}
	sendErr := err
	mark := func(old []byte, exists bool) ([]byte, bool, time.Duration, error) {
		if !exists {
			return nil, false, 0, nil // recovered meanwhile
		}
		var cur stallEpisode
		if err := json.Unmarshal(old, &cur); err != nil {
			return nil, false, 0, fmt.Errorf("decoding stall episode: %w", err)
		}
		if sendErr == nil {
			cur.Notified = d.pipe.now()
		}
		cur.ClaimUntil = time.Time{}
		b, merr := json.Marshal(cur)
		return b, true, 0, merr
	}
	if err := d.st.Update(ctx, bucketStalls, s.Source, mark); err != nil {
		return fmt.Errorf("recording stall email of %q: %w", s.Source, err)
	}
	if sendErr != nil {
		d.stallEmails.failed.Add(1)
		return fmt.Errorf("stall email for source %q: %w", s.Source, sendErr)
	}
	d.stallEmails.sent.Add(1)
	d.pipe.log.Info("stall email sent", "source", s.Source, "reason", ep.Reason)
	return nil
}
