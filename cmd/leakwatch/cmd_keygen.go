package main

import (
	"context"
	"fmt"

	"github.com/leakwatch/leakwatch/fingerprints"
)

// keygenOptions are the options of `leakwatch keygen`.
type keygenOptions struct {
	keyPath string
}

func runKeygen(ctx context.Context, e *env, args []string) error {
	fs := e.flags("keygen", false, true)
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: leakwatch keygen [--key PATH]\n\nCreates a new random fingerprint key (mode 0600). It refuses to overwrite an existing key.")
		fs.PrintDefaults()
	}
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("keygen takes no arguments")
	}
	return keygen(e, keygenOptions{keyPath: e.resolvedKeyPath()})
}

func keygen(e *env, o keygenOptions) error {
	k, err := fingerprints.GenerateKey(o.keyPath)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote a new fingerprint key to %s (key id %x)\n", o.keyPath, k.ID())
	fmt.Fprintln(e.stderr, "leakwatch: hint: back this file up and keep it off the machine's data directory; sets loaded with it are useless without it")
	return nil
}
