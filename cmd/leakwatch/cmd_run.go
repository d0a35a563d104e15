package main

import (
	"context"
	"fmt"
)

// runOptions are the options of `leakwatch run`.
type runOptions struct {
	config string
	once   bool
	listen string
}

func runRun(ctx context.Context, e *env, args []string) error {
	var o runOptions
	fs := e.flags("run", true, true)
	fs.Set("log-level", "info")
	fs.StringVar(&o.config, "config", "", "the daemon's YAML `file` (sources, sets, notify)")
	fs.BoolVar(&o.once, "once", false, "visit every source once, deliver notifications, and exit")
	fs.StringVar(&o.listen, "listen", "", "serve the status page and /metrics on `HOST:PORT` (overrides listen in the config; loopback unless listen_public)")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, `usage: leakwatch run --config FILE [--once] [--listen HOST:PORT]

Watches the configured sources, matches every new item against the loaded
sets, records findings and emails the operator. With listen (or --listen),
it serves a status page at /, Prometheus metrics at /metrics, /healthz and
/readyz. The first SIGINT or SIGTERM stops gracefully; a second one exits
at once.`)
		fs.PrintDefaults()
	}
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || o.config == "" {
		return usagef("run needs --config FILE and no arguments")
	}
	return run(ctx, e, o)
}

func run(ctx context.Context, e *env, o runOptions) error {
	cfg, err := loadDaemonConfig(o.config)
	if err != nil {
		return err
	}
	if o.listen != "" {
		if err := checkListen(o.listen, cfg.ListenPublic); err != nil {
			return fmt.Errorf("--%w", err)
		}
		cfg.Listen = o.listen
	}
	d, err := startDaemon(ctx, e, cfg)
	if err != nil {
		return err
	}
	defer d.close()
	if o.once {
		visited, items, err := d.once(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "visited %d sources, %d new items\n", visited, items)
		return nil
	}
	if err := d.listenHTTP(); err != nil {
		return err
	}
	e.log.Info("leakwatch running", "sources", len(cfg.Sources), "config", o.config, "http", d.httpAddr())
	err = d.run(ctx)
	e.log.Info("leakwatch stopped")
	return err
}
