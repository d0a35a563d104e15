package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/leakwatch/leakwatch/store"
)

// setsInfoOptions are the options of `leakwatch sets info`.
type setsInfoOptions struct {
	name string
	json bool
}

func runSetsInfo(ctx context.Context, e *env, args []string) error {
	var o setsInfoOptions
	fs := e.flags("sets info", true, false)
	fs.BoolVar(&o.json, "json", false, "print JSON")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("sets info needs NAME")
	}
	o.name = pos[0]
	return setsInfo(ctx, e, o)
}

func setsInfo(ctx context.Context, e *env, o setsInfoOptions) error {
	st, err := e.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	m, err := st.GetSet(ctx, o.name)
	if errors.Is(err, store.ErrNotFound) {
		return withHint(fmt.Errorf("no set named %q", o.name), "'leakwatch sets list' shows the sets")
	}
	if err != nil {
		return fmt.Errorf("reading set %q: %w", o.name, err)
	}
	s := summarize(m)
	if o.json {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	fmt.Fprintf(e.stdout, "set:          %s\nversion:      %s\nloaded:       %s\nsource:       %s\nmode:         %s\nforms:        %d\nrows:         %d\nfingerprints: %d\npairs:        %d\nfields:\n",
		s.Name, s.Version, s.Created, s.Source, s.Mode, s.Forms, s.Rows, s.Fingerprints, s.Pairs)
	for _, f := range s.Fields {
		strong := ""
		if f.Strong {
			strong = " strong"
		}
		fmt.Fprintf(e.stdout, "  %-14s %-10s %9d%s\n", f.Column, f.Kind, f.Count, strong)
	}
	for r, n := range s.Skipped {
		fmt.Fprintf(e.stdout, "skipped:      %d (%s)\n", n, r)
	}
	if msg := staleForms(m); msg != "" {
		fmt.Fprintln(e.stdout, "note:", msg)
	}
	return nil
}
