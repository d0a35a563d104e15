package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/leakwatch/leakwatch/fingerprints"
	"github.com/leakwatch/leakwatch/store"
	"golang.org/x/term"
)

// env is what a command runs with: its streams, its environment and the
// options every verb shares.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string

	dataDir  string
	redisURL string
	keyPath  string
	// oprfKeyPath is the key service's OPRF key (--oprf-key, or the
	// config's key_service.oprf_key), for matching sets loaded blind.
	oprfKeyPath string
	logFormat   string
	logLevel    string
	log         *slog.Logger
}

// command is one verb (or verb group, like "sets").
type command struct {
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

var commands map[string]command

func init() {
	commands = map[string]command{
		"demo":     {"run leakwatch end to end on loopback, with synthetic data, in under a minute", runDemo},
		"keygen":   {"create a new fingerprint key", runKeygen},
		"sets":     {"load, list, inspect and remove fingerprint sets", runSets},
		"scan":     {"scan files, directories, standard input or URLs once", runScan},
		"run":      {"the daemon: watch sources, match, record findings, email the operator", runRun},
		"sources":  {"check a config's sources", runSources},
		"findings": {"list, show (and open sealed evidence) and acknowledge findings", runFindings},
		"notify":   {"send a test email, or show the outbox", runNotify},
		"status":   {"show the workers alive, overdue sources, the outbox and findings of a store", runStatus},
	}
}

func (e *env) dispatch(ctx context.Context, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		e.usage(e.stdout)
		if len(args) == 0 {
			return exitError
		}
		return exitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		printError(e.stderr, withHint(fmt.Errorf("unknown command %q", args[0]), "run 'leakwatch help' for the list of commands"))
		return exitError
	}
	err := cmd.run(ctx, e, args[1:])
	return e.exit(ctx, err)
}

// exit turns a command's error into an exit code, printing it.
func (e *env) exit(ctx context.Context, err error) int {
	var code exitCode
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &code):
		return int(code)
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		printError(e.stderr, errors.New("interrupted"))
		return exitInterrupted
	}
	printError(e.stderr, err)
	var u *usageError
	if errors.As(err, &u) {
		fmt.Fprintln(e.stderr, "leakwatch: hint: run 'leakwatch help' for usage")
	}
	return exitError
}

// exitCode is returned by commands that finish with a code but no message
// (scan's "found something").
type exitCode int

func (c exitCode) Error() string { return fmt.Sprintf("exit %d", int(c)) }

func (e *env) usage(w io.Writer) {
	fmt.Fprintln(w, "usage: leakwatch <command> [options] [arguments]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nrun 'leakwatch <command> -h' for a command's options.")
}

// flags returns a flag set for a verb with the shared options on it.
func (e *env) flags(name string, withStore, withKey bool) *flag.FlagSet {
	fs := flag.NewFlagSet("leakwatch "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	if withStore {
		fs.StringVar(&e.dataDir, "data", e.getenv("LEAKWATCH_DATA"), "data `directory` of the embedded store (env LEAKWATCH_DATA; default "+defaultDataDir(e.getenv)+")")
		fs.StringVar(&e.redisURL, "redis", e.getenv("LEAKWATCH_REDIS"), "Redis `URL` to use instead of the embedded store (env LEAKWATCH_REDIS)")
	}
	if withKey {
		fs.StringVar(&e.keyPath, "key", e.getenv("LEAKWATCH_KEY"), "fingerprint key `file` (env LEAKWATCH_KEY; default "+defaultKeyPath(e.getenv)+")")
	}
	fs.StringVar(&e.logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&e.logLevel, "log-level", "warn", "log level: debug, info, warn or error")
	return fs
}

// parse parses a verb's flags, allowing flags after positional arguments
// (leakwatch sets load NAME FILE --schema ...).
func (e *env) parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			pos = append(pos, args[1:]...)
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if err := e.setupLog(); err != nil {
		return nil, err
	}
	return pos, nil
}

func (e *env) setupLog() error {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(e.logLevel)); err != nil {
		return usagef("--log-level: %v", err)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch e.logFormat {
	case "text":
		e.log = slog.New(slog.NewTextHandler(e.stderr, opts))
	case "json":
		e.log = slog.New(slog.NewJSONHandler(e.stderr, opts))
	default:
		return usagef("--log-format must be text or json, not %q", e.logFormat)
	}
	return nil
}

func defaultDataDir(getenv func(string) string) string {
	if d := getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "leakwatch")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "share", "leakwatch")
	}
	return "leakwatch-data"
}

func defaultKeyPath(getenv func(string) string) string {
	if d := getenv("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, "leakwatch", "key")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".config", "leakwatch", "key")
	}
	return "leakwatch.key"
}

func (e *env) resolvedDataDir() string {
	if e.dataDir != "" {
		return e.dataDir
	}
	return defaultDataDir(e.getenv)
}

func (e *env) resolvedKeyPath() string {
	if e.keyPath != "" {
		return e.keyPath
	}
	return defaultKeyPath(e.getenv)
}

// openStore opens the Redis store when a URL is set, else the embedded one.
func (e *env) openStore(ctx context.Context) (store.Store, error) {
	if e.redisURL != "" {
		st, err := store.OpenRedis(ctx, e.redisURL)
		if err != nil {
			return nil, withHint(err, "check that Redis is running and --redis / LEAKWATCH_REDIS is right")
		}
		return st, nil
	}
	dir := e.resolvedDataDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	return store.OpenBolt(filepath.Join(dir, "leakwatch.db"))
}

// loadFingerprintKey loads the fingerprint key, refusing one inside the
// data directory: the key must never travel with the store.
func (e *env) loadFingerprintKey() (*fingerprints.Key, error) {
	path := e.resolvedKeyPath()
	if e.redisURL == "" && inside(path, e.resolvedDataDir()) {
		return nil, withHint(fmt.Errorf("key file %s is inside the data directory %s", path, e.resolvedDataDir()),
			"keep the key apart from the store: a thief of the data directory must not get both")
	}
	k, err := fingerprints.LoadKey(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, withHint(err, "run 'leakwatch keygen' first")
		}
		return nil, err
	}
	return k, nil
}

// loadOPRFKey loads the key service's OPRF key from e.oprfKeyPath, under
// the fingerprint key's rules (mode 0600, outside the data directory).
func (e *env) loadOPRFKey() (*fingerprints.OPRFKey, error) {
	path := e.oprfKeyPath
	if e.redisURL == "" && inside(path, e.resolvedDataDir()) {
		return nil, withHint(fmt.Errorf("oprf key file %s is inside the data directory %s", path, e.resolvedDataDir()),
			"keep the key apart from the store: a thief of the data directory must not get both")
	}
	k, err := fingerprints.LoadOPRFKey(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, withHint(err, "create the key service's key with 'leakwatch keygen --oprf %s'", path)
		}
		return nil, err
	}
	return k, nil
}

// keyring holds the keys a process matches with: the fingerprint key for
// keyed sets and, where the key service runs, the OPRF key for sets loaded
// blind. Either may be missing; a set that needs a missing key is refused
// with a hint when the matcher is built.
type keyring struct {
	keyed    *fingerprints.Key
	keyedErr error // why keyed is nil
	oprf     *fingerprints.OPRFKey
}

// loadKey loads the keys to match with. Without an OPRF key configured it
// is the fingerprint key, which must load. With one, the OPRF key must
// load and a missing fingerprint key is fine (a monitor may hold only blind
// sets) until a keyed set needs it; an unreadable one is still an error.
func (e *env) loadKey() (*keyring, error) {
	if e.oprfKeyPath == "" {
		k, err := e.loadFingerprintKey()
		if err != nil {
			return nil, err
		}
		return &keyring{keyed: k}, nil
	}
	ok, err := e.loadOPRFKey()
	if err != nil {
		return nil, err
	}
	kr := &keyring{oprf: ok}
	kr.keyed, err = e.loadFingerprintKey()
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	kr.keyedErr = err
	return kr, nil
}

// forSet returns the Fingerprinter of a set by its mode: keyed sets hash
// under the fingerprint key, sets loaded blind under the OPRF key.
func (k *keyring) forSet(meta store.SetMeta) (fingerprints.Fingerprinter, error) {
	switch meta.Mode {
	case fingerprints.ModeKeyed:
		if k.keyed == nil {
			return nil, withHint(fmt.Errorf("set %q is keyed and needs the fingerprint key: %w", meta.Name, k.keyedErr),
				"point --key or LEAKWATCH_KEY (or key in the config) at the key the set was loaded with")
		}
		return k.keyed.ForSet(meta)
	case fingerprints.ModeOPRF:
		if k.oprf == nil {
			return nil, withHint(fmt.Errorf("set %q was loaded blind and needs the key service's oprf key (key id %x)", meta.Name, meta.KeyID),
				"pass --oprf-key PATH (or set key_service.oprf_key in the daemon's config) on the monitor that runs the key service")
		}
		return k.oprf.ForSet(meta)
	}
	return nil, fmt.Errorf("set %q has unknown mode %q", meta.Name, meta.Mode)
}

func inside(path, dir string) bool {
	p, err1 := filepath.Abs(path)
	d, err2 := filepath.Abs(dir)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(d, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// isTerminal reports whether w is a terminal (for progress bars).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
