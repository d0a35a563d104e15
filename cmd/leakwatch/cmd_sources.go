package main

import (
	"context"
	"fmt"
	"time"
)

// sourcesOptions are the options of `leakwatch sources check`.
type sourcesOptions struct {
	config string
}

func runSources(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "check" {
		return usagef("usage: leakwatch sources check FILE")
	}
	fs := e.flags("sources check", false, false)
	pos, err := e.parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("sources check needs the config FILE")
	}
	o := sourcesOptions{config: pos[0]}
	cfg, err := loadDaemonConfig(o.config)
	if err != nil {
		return err
	}
	for _, s := range cfg.Sources {
		fmt.Fprintf(e.stdout, "%-20s %-13s every %-8s %s\n", s.Name, s.Kind, time.Duration(s.Interval), s.URL)
	}
	fmt.Fprintf(e.stdout, "%s: %d sources ok\n", o.config, len(cfg.Sources))
	return nil
}
