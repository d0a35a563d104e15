package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/leakwatch/leakwatch/fingerprints"
)

// setsLoadOptions are the options of `leakwatch sets load`.
type setsLoadOptions struct {
	name, file  string
	schema      string
	format      string
	encoding    string
	noHeader    bool
	idPattern   string
	skipInvalid bool
	// Blind loading through a key service (cmd_sets_load_blind.go).
	blind     bool
	server    string
	tokenFile string
	pin       string
	batch     int
}

func runSetsLoad(ctx context.Context, e *env, args []string) error {
	var o setsLoadOptions
	fs := e.flags("sets load", true, true)
	fs.StringVar(&o.schema, "schema", "", "column `mapping`, e.g. 'ref=ref,name=name,phone=phone,email=email:strong' (required)")
	fs.StringVar(&o.format, "format", "", "csv, tsv or jsonl (default: by file extension, else csv)")
	fs.StringVar(&o.encoding, "encoding", "", "utf-8, shift_jis (cp932), euc-jp, iso-2022-jp or utf-16 (default: detected)")
	fs.BoolVar(&o.noHeader, "no-header", false, "the file has no header row (use column numbers in --schema)")
	fs.StringVar(&o.idPattern, "id-pattern", "", "regular `expression` of the operator's ids (for id fields), e.g. 'C[0-9]{8}'; ids compare upper-cased, so '(?i)C[0-9]{8}' also finds c00098765")
	fs.BoolVar(&o.skipInvalid, "skip-invalid", false, "load the valid rows and report invalid ones by reason, instead of stopping")
	fs.BoolVar(&o.blind, "blind", false, "load blind through a monitor's key service (--server, --token-file): no key needed, no record leaves this machine")
	fs.StringVar(&o.server, "server", "", "with --blind: the key service's base `URL`, e.g. https://monitor.example.jp")
	fs.StringVar(&o.tokenFile, "token-file", "", "with --blind: `file` (mode 0600) holding the token the monitor's operator gave you")
	fs.StringVar(&o.pin, "pin", "", "with --blind: the key service's key `id` (hex); refuse any other key")
	fs.IntVar(&o.batch, "batch", fingerprints.DefaultBlindBatch, "with --blind: values per evaluation request (at most 4096)")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, `usage: leakwatch sets load NAME FILE|- --schema SPEC [options]
       leakwatch sets load NAME FILE|- --schema SPEC --blind --server URL --token-file PATH [--pin KEYID]

Fingerprints the records in FILE as set NAME, replacing the set's previous
version atomically. With --blind, the fingerprints are made by the monitor's
key service without it seeing any value (docs/blind-loading.md): only
blinded values, then fingerprints and refs, leave this machine.`)
		fs.PrintDefaults()
	}
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("sets load needs NAME and FILE")
	}
	o.name, o.file = pos[0], pos[1]
	if o.schema == "" {
		return usagef("sets load needs --schema (e.g. --schema 'name=name,phone=phone,email=email:strong')")
	}
	if o.blind {
		return setsLoadBlind(ctx, e, o)
	}
	if o.server != "" || o.tokenFile != "" || o.pin != "" {
		return usagef("--server, --token-file and --pin go with --blind")
	}
	return setsLoad(ctx, e, o)
}

func setsLoad(ctx context.Context, e *env, o setsLoadOptions) error {
	if err := validSetName(o.name); err != nil {
		return err
	}
	schema, err := fingerprints.ParseSchema(o.schema)
	if err != nil {
		return err
	}
	key, err := e.loadFingerprintKey()
	if err != nil {
		return err
	}
	in, size, closeIn, err := openRecords(e, o.file)
	if err != nil {
		return err
	}
	defer closeIn()
	st, err := e.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()

	start := time.Now()
	bar := newProgress(e.stderr, o.file, size, start)
	res, err := fingerprints.Load(ctx, st, key, in, fingerprints.LoadOptions{
		Name: o.name, Source: o.file, Format: o.format, Encoding: o.encoding, NoHeader: o.noHeader,
		Schema: schema, IDPattern: o.idPattern, SkipInvalid: o.skipInvalid,
		Progress: bar.update, Logger: e.log,
	})
	bar.finish()
	if err != nil {
		return err
	}
	printLoad(e, res, time.Since(start))
	return nil
}

// openRecords opens the owner's file ("-": standard input) and returns its
// size (-1 when unknown) and how to close it.
func openRecords(e *env, file string) (io.Reader, int64, func(), error) {
	if file == "-" {
		return e.stdin, -1, func() {}, nil
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("opening records: %w", err)
	}
	var size int64 = -1
	if fi, err := f.Stat(); err == nil {
		if fi.IsDir() {
			f.Close()
			return nil, 0, nil, fmt.Errorf("%s is a directory, not a file of records", file)
		}
		size = fi.Size()
	}
	return f, size, func() { f.Close() }, nil
}

// printLoad prints what a load did: the set, its fields, the rows skipped
// and the columns left out.
func printLoad(e *env, res fingerprints.LoadResult, elapsed time.Duration) {
	m := res.Meta
	fmt.Fprintf(e.stdout, "loaded set %q: %d rows, %d fingerprints in %.1fs (%.0f rows/s)\n",
		m.Name, m.Rows, m.Fingerprints, elapsed.Seconds(), float64(m.Rows)/elapsed.Seconds())
	for _, f := range m.Fields {
		strong := ""
		if f.Strong {
			strong = " (strong)"
		}
		fmt.Fprintf(e.stdout, "  %-14s %-10s %9d%s\n", f.Column, f.Kind, f.Count, strong)
	}
	if len(m.Skipped) > 0 {
		var total int64
		reasons := make([]string, 0, len(m.Skipped))
		for r, n := range m.Skipped {
			total += n
			reasons = append(reasons, r)
		}
		sort.Slice(reasons, func(i, j int) bool { return m.Skipped[reasons[i]] > m.Skipped[reasons[j]] })
		fmt.Fprintf(e.stdout, "skipped %d invalid rows:\n", total)
		for _, r := range reasons {
			fmt.Fprintf(e.stdout, "  %9d  %s\n", m.Skipped[r], r)
		}
	}
	if len(res.Unmapped) > 0 {
		fmt.Fprintf(e.stderr, "leakwatch: note: columns not in the schema were not loaded: %s\n", strings.Join(res.Unmapped, ", "))
	}
}

// validSetName keeps set names to what is safe in keys, file names and
// mail subjects.
func validSetName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("set name must be 1 to 64 characters")
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return fmt.Errorf("set name %q: use only letters, digits, '-', '_' and '.'", name)
		}
	}
	return nil
}

// progress draws a one-line progress bar on a terminal, or a plain line
// every few seconds otherwise.
type progress struct {
	w        io.Writer
	tty      bool
	name     string
	size     int64
	start    time.Time
	last     time.Time
	lastRows int64
	drawn    bool
}

func newProgress(w io.Writer, name string, size int64, start time.Time) *progress {
	return &progress{w: w, tty: isTerminal(w), name: name, size: size, start: start, last: start}
}

func (p *progress) update(pr fingerprints.Progress) {
	now := time.Now()
	interval := 10 * time.Second
	if p.tty {
		interval = 200 * time.Millisecond
	}
	if !pr.Done && now.Sub(p.last) < interval {
		return
	}
	p.last, p.lastRows = now, pr.Rows
	rate := float64(pr.Rows) / now.Sub(p.start).Seconds()
	if !p.tty {
		if !pr.Done {
			fmt.Fprintf(p.w, "leakwatch: %s: %d rows read (%.0f rows/s)\n", p.name, pr.Rows, rate)
		}
		return
	}
	pct := ""
	if p.size > 0 {
		frac := float64(pr.Bytes) / float64(p.size)
		if frac > 1 {
			frac = 1
		}
		n := int(frac * 30)
		pct = fmt.Sprintf("[%s%s] %3.0f%% ", strings.Repeat("=", n), strings.Repeat(" ", 30-n), frac*100)
	}
	fmt.Fprintf(p.w, "\r%s%d rows  %.0f rows/s  %d skipped\x1b[K", pct, pr.Rows, rate, pr.Skipped)
	p.drawn = true
}

func (p *progress) finish() {
	if p.tty && p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}
