package main

import (
	"context"
	"fmt"

	"github.com/leakwatch/leakwatch/fingerprints"
	"github.com/leakwatch/leakwatch/notify"
)

// keygenOptions are the options of `leakwatch keygen`.
type keygenOptions struct {
	keyPath  string
	operator bool
	pub      string
	identity string
	kem      string
}

func runKeygen(ctx context.Context, e *env, args []string) error {
	var o keygenOptions
	fs := e.flags("keygen", false, true)
	fs.BoolVar(&o.operator, "operator", false, "make the operator's evidence key pair instead (see --pub and --identity)")
	fs.StringVar(&o.pub, "pub", "operator.pub", "with --operator: public key `file` (goes in the config's notify.operator_key)")
	fs.StringVar(&o.identity, "identity", "operator.key", "with --operator: private identity `file`, mode 0600 (keep it off the monitoring host)")
	fs.StringVar(&o.kem, "kem", notify.KEMXWing, "with --operator: X-Wing (hybrid post-quantum) or X25519")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: leakwatch keygen [--key PATH]\n       leakwatch keygen --operator [--pub FILE] [--identity FILE]\n\nCreates a new random fingerprint key (mode 0600), or the operator's key pair\nthat sealed evidence is encrypted to. It never overwrites a key.")
		fs.PrintDefaults()
	}
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("keygen takes no arguments")
	}
	if o.operator {
		return keygenOperator(e, o)
	}
	o.keyPath = e.resolvedKeyPath()
	return keygen(e, o)
}

func keygenOperator(e *env, o keygenOptions) error {
	pub, priv, err := notify.GenerateOperatorKeyKEM(o.kem)
	if err != nil {
		return err
	}
	if err := notify.WriteOperatorKey(o.pub, o.identity, pub, priv); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote the operator's public key to %s and identity to %s (%s)\n", o.pub, o.identity, o.kem)
	fmt.Fprintln(e.stderr, "leakwatch: hint: put the public key in notify.operator_key; keep the identity with the people who may read evidence, not on the monitor")
	return nil
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
