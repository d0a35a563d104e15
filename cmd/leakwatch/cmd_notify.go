package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/leakwatch/leakwatch/notify"
)

// notifyOptions are the options of `leakwatch notify test|status`.
type notifyOptions struct {
	verb   string
	config string
	json   bool
}

func runNotify(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("notify needs a verb: test or status")
	}
	o := notifyOptions{verb: args[0]}
	fs := e.flags("notify "+o.verb, true, false)
	fs.StringVar(&o.config, "config", "", "the daemon's YAML `file`")
	fs.BoolVar(&o.json, "json", false, "print JSON (status)")
	pos, err := e.parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 0 || o.config == "" {
		return usagef("notify %s needs --config FILE and no arguments", o.verb)
	}
	cfg, err := loadDaemonConfig(o.config)
	if err != nil {
		return err
	}
	if cfg.Notify == nil {
		return fmt.Errorf("%s has no notify section", o.config)
	}
	switch o.verb {
	case "test":
		if err := notify.SendTest(ctx, *cfg.Notify); err != nil {
			return withHint(fmt.Errorf("test email not sent: %w", err), "check notify.smtp in %s", o.config)
		}
		fmt.Fprintf(e.stdout, "test email sent through %s:%d\n", cfg.Notify.SMTP.Host, cfg.Notify.SMTP.Port)
		return nil
	case "status":
	default:
		return usagef("unknown verb 'notify %s' (test, status)", o.verb)
	}
	if e.dataDir == "" {
		e.dataDir = cfg.Data
	}
	if e.redisURL == "" {
		e.redisURL = cfg.Redis
	}
	st, err := e.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := notify.New(st, *cfg.Notify, e.log)
	if err != nil {
		return err
	}
	s, err := n.Status(ctx)
	if err != nil {
		return fmt.Errorf("reading the outbox: %w", err)
	}
	if o.json {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	fmt.Fprintf(e.stdout, "queued %d, failed %d, sent %d (recent receipts kept)\n", s.Queued, s.Failed, s.Sent)
	if len(s.Items) > 0 {
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "FINDING\tSET\tSTATE\tMODE\tRECORDS\tATTEMPTS\tNEXT\tLAST ERROR")
		for _, it := range s.Items {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", it.FindingID, it.Set, it.State, it.Mode, it.Records, it.Attempts,
				it.NextAttempt.UTC().Format(time.RFC3339), lastError(it))
		}
		tw.Flush()
	}
	if s.Failed > 0 {
		return errors.New("some notifications failed for good; see LAST ERROR")
	}
	return nil
}

func lastError(it notify.StatusItem) string {
	if len(it.LastError) > 80 {
		return it.LastError[:80] + "…"
	}
	return it.LastError
}
