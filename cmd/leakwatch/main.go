// Command leakwatch watches the open internet for personal data an
// organization has lost, knowing only keyed hashes of it.
//
// Usage:
//
//	leakwatch keygen [--key PATH]
//	leakwatch sets load NAME FILE --schema SPEC [--encoding E] [--format F] [--skip-invalid]
//	leakwatch sets list [--json]
//	leakwatch sets info NAME
//	leakwatch sets rm NAME
//	leakwatch scan [--json] [--set NAME...] PATH|URL|-...
//
// Every verb takes --data DIR (or LEAKWATCH_DATA) for the embedded store,
// --redis URL (or LEAKWATCH_REDIS) for a shared Redis instead, and --key
// PATH (or LEAKWATCH_KEY) for the fingerprint key, which lives outside the
// data directory (default ~/.config/leakwatch/key).
//
// Exit codes: 0 success (for scan: nothing found), 1 scan found records,
// 2 error or bad usage, 130 interrupted.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// Main runs one command line and returns its exit code. Tests call it
// in-process (testscript) with their own streams and environment.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// After the first signal, let a second one kill the process.
		<-ctx.Done()
		stop()
	}()
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	return e.dispatch(ctx, args)
}
