package main

// This file is the command's voice: how it talks to people. Errors are
// lowercase, start with "leakwatch: ", say what went wrong and, when there
// is something to do about it, a "hint:" line says what. Results go to
// standard output; errors, hints, progress and logs go to standard error,
// so `leakwatch scan --json ... | jq` always sees clean JSON. Nothing the
// command prints ever contains a raw value from the operator's records or
// from a scanned page.

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// Exit codes, documented in main.go and the README.
const (
	exitOK          = 0
	exitFindings    = 1
	exitError       = 2
	exitInterrupted = 130
)

// hintError carries hints to print under an error.
type hintError struct {
	err   error
	hints []string
}

func (h *hintError) Error() string { return h.err.Error() }
func (h *hintError) Unwrap() error { return h.err }

// withHint adds a hint to an error.
func withHint(err error, format string, a ...any) error {
	return &hintError{err: err, hints: []string{fmt.Sprintf(format, a...)}}
}

// usageError is a command line that makes no sense; it prints usage.
type usageError struct{ msg string }

func (u *usageError) Error() string { return u.msg }

func usagef(format string, a ...any) error { return &usageError{msg: fmt.Sprintf(format, a...)} }

// printError writes err and its hints to w in the command's voice.
func printError(w io.Writer, err error) {
	msg := err.Error()
	fmt.Fprintf(w, "leakwatch: %s\n", strings.TrimPrefix(msg, "leakwatch: "))
	var h *hintError
	for e := err; errors.As(e, &h); e = h.err {
		for _, hint := range h.hints {
			fmt.Fprintf(w, "leakwatch: hint: %s\n", hint)
		}
	}
}
