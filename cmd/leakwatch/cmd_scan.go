package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/leakwatch/leakwatch/fingerprints"
	"github.com/leakwatch/leakwatch/matcher"
	"github.com/leakwatch/leakwatch/store"
)

// scanOptions are the options of `leakwatch scan`.
type scanOptions struct {
	json     bool
	sets     []string
	encoding string
	window   int
	maxBody  int64
	targets  []string
}

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func runScan(ctx context.Context, e *env, args []string) error {
	var o scanOptions
	fs := e.flags("scan", true, true)
	fs.BoolVar(&o.json, "json", false, "print one JSON object per (record, document) found")
	fs.Var((*stringList)(&o.sets), "set", "match only this `set` (repeatable; default: every set)")
	fs.StringVar(&o.encoding, "encoding", "", "the documents' encoding (default: detected per document)")
	fs.IntVar(&o.window, "window", matcher.DefaultWindow, "proximity window in `characters` within which a record's fields count together")
	fs.Int64Var(&o.maxBody, "max-body", 64<<20, "largest URL body to read, in `bytes` (after decompression)")
	fs.StringVar(&e.oprfKeyPath, "oprf-key", e.getenv("LEAKWATCH_OPRF_KEY"), "the key service's oprf key `file`, to match sets loaded blind (env LEAKWATCH_OPRF_KEY)")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, `usage: leakwatch scan [--json] [--set NAME]... PATH|URL|-...

Scans files, directories (recursively), standard input (-) or URLs once for
the records of the loaded sets. Exit status: 0 nothing found, 1 records
found, 2 error (an error wins over findings: the scan was incomplete).`)
		fs.PrintDefaults()
	}
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("scan needs at least one PATH, URL or -")
	}
	o.targets = pos
	return scan(ctx, e, o)
}

// errNoSets is returned when there is no set to match against.
var errNoSets = errors.New("no sets loaded")

// loadMatcher builds the matcher for the named sets (all when none).
func loadMatcher(ctx context.Context, e *env, st store.Store, names []string, opts matcher.Options) (*matcher.Matcher, error) {
	key, err := e.loadKey()
	if err != nil {
		return nil, err
	}
	return buildMatcher(ctx, e, st, key, names, opts)
}

// buildMatcher indexes the named sets (all when none) for matching, each
// with the fingerprint function of its mode.
func buildMatcher(ctx context.Context, e *env, st store.Store, keys *keyring, names []string, opts matcher.Options) (*matcher.Matcher, error) {
	if len(names) == 0 {
		sets, err := st.ListSets(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing sets: %w", err)
		}
		for _, m := range sets {
			names = append(names, m.Name)
		}
		if len(names) == 0 {
			return nil, withHint(errNoSets, "load the lost records first: leakwatch sets load NAME FILE --schema SPEC")
		}
	}
	var sets []matcher.Set
	for _, name := range names {
		ix, err := fingerprints.BuildIndex(ctx, st, name)
		if errors.Is(err, store.ErrNotFound) {
			return nil, withHint(fmt.Errorf("no set named %q", name), "'leakwatch sets list' shows the sets")
		}
		if err != nil {
			return nil, err
		}
		fpr, err := keys.forSet(ix.Meta())
		if err != nil {
			return nil, err
		}
		if msg := staleForms(ix.Meta()); msg != "" && e.log != nil {
			e.log.Warn(msg, "set", name, "version", ix.Meta().Version)
		}
		if ix.Meta().Mode == fingerprints.ModeKeyed && !ix.HasPrefilter() && e.log != nil {
			e.log.Warn("set has no prefilter: it was loaded by an older leakwatch, and is matched several times slower; load it again to add one",
				"set", name, "version", ix.Meta().Version)
		} else if ix.HasPrefilter() && !ix.HasPairs() && pairable(ix.Meta()) && e.log != nil {
			e.log.Warn("set has no pair fingerprints: it was loaded by an older leakwatch, and a leak of a name with only a postal code or birthdate that many records share is not found; load it again to add them",
				"set", name, "version", ix.Meta().Version)
		}
		sets = append(sets, matcher.Set{Index: ix, FPR: fpr})
	}
	return matcher.New(sets, opts)
}

func scan(ctx context.Context, e *env, o scanOptions) error {
	st, err := e.openStore(ctx)
	if err != nil {
		return err
	}
	m, err := loadMatcher(ctx, e, st, o.sets, matcher.Options{Window: o.window})
	st.Close()
	if err != nil {
		return err
	}
	sc := m.NewScanner()
	out := bufio.NewWriter(e.stdout)
	defer out.Flush()
	var nfound, ndocs, nerrs int
	report := func(src string, fs []matcher.Finding) {
		ndocs++
		nfound += len(fs)
		for _, f := range fs {
			if o.json {
				b, _ := json.Marshal(f)
				out.Write(b)
				out.WriteByte('\n')
			} else {
				fmt.Fprintf(out, "%s: set %s, record %s: %s (score %.2f, bytes %d-%d)\n",
					f.Source, f.Set, f.Ref, strings.Join(f.Fields, ", "), f.Score, f.Start, f.End)
			}
		}
	}
	fail := func(err error) {
		nerrs++
		out.Flush()
		printError(e.stderr, err)
	}
	scanOne := func(in matcher.Input) {
		fs, err := sc.Scan(ctx, in)
		if errors.Is(err, matcher.ErrBinary) {
			e.log.Info("skipped binary file", "source", in.Source)
			return
		}
		if err != nil {
			fail(err)
			return
		}
		report(in.Source, fs)
	}
	for _, t := range o.targets {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		switch {
		case t == "-":
			scanOne(matcher.Input{Source: "-", R: e.stdin, Charset: o.encoding})
		case strings.HasPrefix(t, "http://") || strings.HasPrefix(t, "https://"):
			if err := scanURL(ctx, t, o, scanOne); err != nil {
				fail(err)
			}
		default:
			if err := scanPath(ctx, t, o, scanOne); err != nil {
				fail(err)
			}
		}
	}
	out.Flush()
	if !o.json {
		fmt.Fprintf(e.stderr, "leakwatch: scanned %d documents: %d records found\n", ndocs, nfound)
	}
	switch {
	case nerrs > 0:
		return exitCode(exitError)
	case nfound > 0:
		return exitCode(exitFindings)
	}
	return nil
}

// scanPath scans a file, or every regular file under a directory in name
// order.
func scanPath(ctx context.Context, path string, o scanOptions, scanOne func(matcher.Input)) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("scanning %s: %w", path, err)
	}
	if !fi.IsDir() {
		return scanFile(path, o, scanOne)
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			files = append(files, p)
		}
		return ctx.Err()
	})
	if err != nil {
		return fmt.Errorf("scanning %s: %w", path, err)
	}
	sort.Strings(files)
	for _, f := range files {
		if err := scanFile(f, o, scanOne); err != nil {
			return err
		}
	}
	return nil
}

func scanFile(path string, o scanOptions, scanOne func(matcher.Input)) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("scanning %s: %w", path, err)
	}
	defer f.Close()
	scanOne(matcher.Input{Source: path, R: f, Charset: o.encoding})
	return nil
}

// scanURL fetches a URL once, with a timeout and a cap on the body.
func scanURL(ctx context.Context, url string, o scanOptions, scanOne func(matcher.Input)) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("fetching %s: %w", url, err)
	}
	req.Header.Set("User-Agent", "leakwatch-scan/1")
	client := &http.Client{CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return fmt.Errorf("more than 5 redirects")
		}
		return nil
	}}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("fetching %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetching %s: %s", url, resp.Status)
	}
	body := &capReader{r: resp.Body, left: o.maxBody, url: url}
	ct := resp.Header.Get("Content-Type")
	charset := o.encoding
	if _, params, err := mime.ParseMediaType(ct); err == nil && charset == "" {
		charset = params["charset"]
	}
	scanOne(matcher.Input{Source: url, R: body, MediaType: matcher.MediaTypeOf(ct, req.URL.Path), Charset: charset})
	return nil
}

// capReader fails, rather than truncating, when a body exceeds its cap.
type capReader struct {
	r    io.Reader
	left int64
	url  string
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, fmt.Errorf("%s: body larger than --max-body", c.url)
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// pairable reports whether a set's fields would give pair fingerprints
// (fingerprints/pair.go): some name and some weak field have values.
func pairable(m store.SetMeta) bool {
	var name, weak bool
	for _, f := range m.Fields {
		k, err := fingerprints.ParseKind(f.Kind)
		if err != nil || f.Count == 0 {
			continue
		}
		name = name || k == fingerprints.Name
		weak = weak || !k.Identifying()
	}
	return name && weak
}
