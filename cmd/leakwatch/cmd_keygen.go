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
	oprf     string // key service's OPRF key file
	token    string // owner to make a key service token for
	tokens   string // the key service's tokens file
	sets     string // sets the token may load
	perDay   int64
}

func runKeygen(ctx context.Context, e *env, args []string) error {
	var o keygenOptions
	fs := e.flags("keygen", false, true)
	fs.BoolVar(&o.operator, "operator", false, "make the operator's evidence key pair instead (see --pub and --identity)")
	fs.StringVar(&o.pub, "pub", "operator.pub", "with --operator: public key `file` (goes in the config's notify.operator_key)")
	fs.StringVar(&o.identity, "identity", "operator.key", "with --operator: private identity `file`, mode 0600 (keep it off the monitoring host)")
	fs.StringVar(&o.kem, "kem", notify.KEMXWing, "with --operator: X-Wing (hybrid post-quantum) or X25519")
	fs.StringVar(&o.oprf, "oprf", "", "make the key service's oprf key for blind loading in `file` instead (mode 0600)")
	fs.StringVar(&o.token, "token", "", "make a key service token for `owner` instead (see --tokens, --token-sets)")
	fs.StringVar(&o.tokens, "tokens", "", "with --token: the key service's tokens `file`, where the token's hash is added (created 0600)")
	fs.StringVar(&o.sets, "token-sets", "", "with --token: the `sets` the token may load: names, prefixes ending in '*', or '*' (required)")
	fs.Int64Var(&o.perDay, "token-per-day", 0, "with --token: the token's evaluations per day (default: the config's evaluations_per_day)")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, `usage: leakwatch keygen [--key PATH]
       leakwatch keygen --operator [--pub FILE] [--identity FILE]
       leakwatch keygen --oprf PATH
       leakwatch keygen --token OWNER --tokens FILE --token-sets SETS [--token-per-day N]

Creates a new random fingerprint key (mode 0600); or the operator's key pair
that sealed evidence is encrypted to; or the key service's oprf key; or a
data owner's token for the key service, printed once on standard output
(only its hash goes in the tokens file). It never overwrites a key.`)
		fs.PrintDefaults()
	}
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("keygen takes no arguments")
	}
	modes := 0
	for _, on := range []bool{o.operator, o.oprf != "", o.token != ""} {
		if on {
			modes++
		}
	}
	if modes > 1 {
		return usagef("keygen takes one of --operator, --oprf and --token")
	}
	switch {
	case o.operator:
		return keygenOperator(e, o)
	case o.oprf != "":
		return keygenOPRF(e, o)
	case o.token != "":
		return keygenToken(e, o)
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

func keygenOPRF(e *env, o keygenOptions) error {
	k, err := fingerprints.GenerateOPRFKey(o.oprf)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote a new oprf key to %s (key id %x)\n", o.oprf, k.ID())
	fmt.Fprintf(e.stderr, "leakwatch: hint: set key_service.oprf_key to it and back it up; give owners the key id %x to pin (--pin)\n", k.ID())
	return nil
}

func keygenToken(e *env, o keygenOptions) error {
	if o.tokens == "" {
		return usagef("keygen --token needs --tokens FILE (the key service's tokens file)")
	}
	if o.sets == "" {
		return usagef("keygen --token needs --token-sets (the sets the owner may load, e.g. --token-sets 'acme-*')")
	}
	if o.perDay < 0 {
		return usagef("--token-per-day must be positive")
	}
	tok, err := addToken(o.tokens, o.token, o.sets, o.perDay)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, tok)
	fmt.Fprintf(e.stderr, "leakwatch: added owner %q to %s; the token above is shown only this once\n", o.token, o.tokens)
	fmt.Fprintln(e.stderr, "leakwatch: hint: hand it to the owner over a secure channel; they keep it in a file of mode 0600 for 'sets load --blind --token-file'; restart the daemon to use it")
	return nil
}
