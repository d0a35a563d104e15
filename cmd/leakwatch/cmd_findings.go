package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/leakwatch/leakwatch/notify"
	"github.com/leakwatch/leakwatch/store"
)

// findingsOptions are the options of `leakwatch findings list|show|ack`.
type findingsOptions struct {
	verb     string
	id       string
	json     bool
	identity string
}

func runFindings(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("findings needs a verb: list, show ID or ack ID")
	}
	o := findingsOptions{verb: args[0]}
	fs := e.flags("findings "+o.verb, true, false)
	fs.BoolVar(&o.json, "json", false, "print JSON")
	if o.verb == "show" {
		fs.StringVar(&o.identity, "identity", "", "operator identity `file` (from keygen --operator) to open the sealed evidence")
	}
	pos, err := e.parse(fs, args[1:])
	if err != nil {
		return err
	}
	switch o.verb {
	case "list":
		if len(pos) != 0 {
			return usagef("findings list takes no arguments")
		}
	case "show", "ack":
		if len(pos) != 1 {
			return usagef("findings %s needs a finding ID", o.verb)
		}
		o.id = pos[0]
	default:
		return usagef("unknown verb 'findings %s' (list, show, ack)", o.verb)
	}
	st, err := e.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	switch o.verb {
	case "list":
		return findingsList(ctx, e, st, o)
	case "show":
		return findingsShow(ctx, e, st, o)
	}
	return findingsAck(ctx, e, st, o)
}

// findingView is a finding as listed: no evidence bytes.
type findingView struct {
	notify.Finding
	Evidence bool       `json:"evidence"`
	Acked    *time.Time `json:"acked,omitempty"`
}

func viewOfFinding(sf storedFinding) findingView {
	v := findingView{Finding: sf.Finding, Evidence: len(sf.Evidence) > 0}
	if !sf.Acked.IsZero() {
		a := sf.Acked
		v.Acked = &a
	}
	return v
}

func findingsList(ctx context.Context, e *env, st store.Store, o findingsOptions) error {
	var all []findingView
	err := st.Scan(ctx, bucketFindings, "", func(key string, value []byte) error {
		var sf storedFinding
		if err := json.Unmarshal(value, &sf); err != nil {
			return fmt.Errorf("finding %s: %w", key, err)
		}
		all = append(all, viewOfFinding(sf))
		return nil
	})
	if err != nil {
		return fmt.Errorf("listing findings: %w", err)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].FirstSeen.Before(all[j].FirstSeen) })
	if o.json {
		if all == nil {
			all = []findingView{}
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(all)
	}
	if len(all) == 0 {
		fmt.Fprintln(e.stdout, "no findings")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEEN\tSET\tRECORDS\tKINDS\tSCORE\tACK\tURL")
	for _, f := range all {
		ack := ""
		if f.Acked != nil {
			ack = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%.2f\t%s\t%s\n", f.ID, f.FirstSeen.UTC().Format("2006-01-02 15:04Z"), f.Set, f.Records,
			strings.Join(f.Kinds, ","), f.Score, ack, f.URL)
	}
	return tw.Flush()
}

func getFinding(ctx context.Context, st store.Store, id string) (storedFinding, error) {
	var sf storedFinding
	b, err := st.Get(ctx, bucketFindings, id)
	if errors.Is(err, store.ErrNotFound) {
		return sf, withHint(fmt.Errorf("no finding %q", id), "'leakwatch findings list' shows the findings")
	}
	if err != nil {
		return sf, fmt.Errorf("reading finding %s: %w", id, err)
	}
	if err := json.Unmarshal(b, &sf); err != nil {
		return sf, fmt.Errorf("finding %s: %w", id, err)
	}
	return sf, nil
}

func findingsShow(ctx context.Context, e *env, st store.Store, o findingsOptions) error {
	sf, err := getFinding(ctx, st, o.id)
	if err != nil {
		return err
	}
	v := viewOfFinding(sf)
	if o.json {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(e.stdout, "finding:   %s\nset:       %s\nrecords:   %d (%s)\nkinds:     %s\nscore:     %.2f\nsource:    %s\nurl:       %s\ntitle:     %s\nseen:      %s\ncontent:   sha256 %s\n",
			v.ID, v.Set, v.Records, strings.Join(v.Refs, ", "), strings.Join(v.Kinds, ", "), v.Score, v.Source, v.URL, v.Title,
			v.FirstSeen.UTC().Format(time.RFC3339), v.ContentHash)
		if v.Acked != nil {
			fmt.Fprintf(e.stdout, "acked:     %s\n", v.Acked.UTC().Format(time.RFC3339))
		}
	}
	if o.identity == "" {
		if v.Evidence {
			fmt.Fprintln(e.stderr, "leakwatch: note: sealed evidence is kept; open it with --identity FILE")
		}
		return nil
	}
	if !v.Evidence {
		return errors.New("no evidence was kept for this finding (no operator_key was configured when it was found)")
	}
	priv, err := notify.LoadOperatorIdentity(o.identity)
	if err != nil {
		return err
	}
	plain, err := notify.Open(priv, sf.Evidence, []byte(sf.ID))
	if err != nil {
		return fmt.Errorf("opening the evidence of %s: %w", sf.ID, err)
	}
	fmt.Fprintln(e.stderr, "leakwatch: the evidence below holds personal data; do not paste it into tickets or chats")
	fmt.Fprintln(e.stdout, "evidence:")
	e.stdout.Write(plain)
	fmt.Fprintln(e.stdout)
	return nil
}

func findingsAck(ctx context.Context, e *env, st store.Store, o findingsOptions) error {
	if _, err := getFinding(ctx, st, o.id); err != nil {
		return err
	}
	now := time.Now().UTC()
	err := st.Update(ctx, bucketFindings, o.id, func(old []byte, exists bool) ([]byte, bool, time.Duration, error) {
		if !exists {
			return nil, false, 0, store.ErrNotFound
		}
		var sf storedFinding
		if err := json.Unmarshal(old, &sf); err != nil {
			return nil, false, 0, err
		}
		if sf.Acked.IsZero() {
			sf.Acked = now
		}
		b, err := json.Marshal(sf)
		return b, true, 0, err
	})
	if err != nil {
		return fmt.Errorf("acknowledging %s: %w", o.id, err)
	}
	fmt.Fprintf(e.stdout, "finding %s marked handled\n", o.id)
	return nil
}
