package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/leakwatch/leakwatch/fingerprints"
	"github.com/leakwatch/leakwatch/store"
)

// setsListOptions are the options of `leakwatch sets list`.
type setsListOptions struct {
	json bool
}

func runSetsList(ctx context.Context, e *env, args []string) error {
	var o setsListOptions
	fs := e.flags("sets list", true, false)
	fs.BoolVar(&o.json, "json", false, "print a JSON array")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("sets list takes no arguments")
	}
	return setsList(ctx, e, o)
}

// setSummary is the public view of a set: counts and provenance, no salt.
type setSummary struct {
	Name         string            `json:"name"`
	Version      string            `json:"version"`
	Created      string            `json:"created"`
	Mode         string            `json:"mode"`
	Rows         int64             `json:"rows"`
	Fingerprints int64             `json:"fingerprints"`
	Pairs        int64             `json:"pairs"`
	Forms        int               `json:"forms"`
	Fields       []store.FieldSpec `json:"fields"`
	Skipped      map[string]int64  `json:"skipped,omitempty"`
	Source       string            `json:"source,omitempty"`
}

func summarize(m store.SetMeta) setSummary {
	return setSummary{Name: m.Name, Version: m.Version, Created: m.Created.UTC().Format("2006-01-02T15:04:05Z"), Mode: m.Mode,
		Rows: m.Rows, Fingerprints: m.Fingerprints, Pairs: m.Pairs, Forms: fingerprints.SetForms(m), Fields: m.Fields, Skipped: m.Skipped, Source: m.Source}
}

// staleForms says, for a set loaded with canonical forms of another
// version than this leakwatch's (fingerprints.FormsVersion), what that
// costs and what to do; "" for a set of the current version.
func staleForms(m store.SetMeta) string {
	v := fingerprints.SetForms(m)
	if v == fingerprints.FormsVersion {
		return ""
	}
	return fmt.Sprintf("set %q was loaded with canonical forms of version %d, and this leakwatch writes version %d: "+
		"a value written differently in the two is not found; load the set again from its records", m.Name, v, fingerprints.FormsVersion)
}

func setsList(ctx context.Context, e *env, o setsListOptions) error {
	st, err := e.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	sets, err := st.ListSets(ctx)
	if err != nil {
		return fmt.Errorf("listing sets: %w", err)
	}
	if o.json {
		out := make([]setSummary, 0, len(sets))
		for _, m := range sets {
			out = append(out, summarize(m))
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if len(sets) == 0 {
		fmt.Fprintln(e.stdout, "no sets (load one with 'leakwatch sets load NAME FILE --schema SPEC')")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROWS\tFIELDS\tFINGERPRINTS\tMODE\tLOADED")
	for _, m := range sets {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\n", m.Name, m.Rows, len(m.Fields), m.Fingerprints, m.Mode, m.Created.UTC().Format("2006-01-02 15:04Z"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, m := range sets {
		if msg := staleForms(m); msg != "" {
			fmt.Fprintln(e.stdout, "note:", msg)
		}
	}
	return nil
}
