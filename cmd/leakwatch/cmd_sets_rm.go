package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/leakwatch/leakwatch/store"
)

// setsRmOptions are the options of `leakwatch sets rm`.
type setsRmOptions struct {
	name string
}

func runSetsRm(ctx context.Context, e *env, args []string) error {
	var o setsRmOptions
	fs := e.flags("sets rm", true, false)
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("sets rm needs NAME")
	}
	o.name = pos[0]
	return setsRm(ctx, e, o)
}

func setsRm(ctx context.Context, e *env, o setsRmOptions) error {
	st, err := e.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.RemoveSet(ctx, o.name); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return withHint(fmt.Errorf("no set named %q", o.name), "'leakwatch sets list' shows the sets")
		}
		return fmt.Errorf("removing set %q: %w", o.name, err)
	}
	fmt.Fprintf(e.stdout, "removed set %q and all its fingerprints\n", o.name)
	return nil
}
