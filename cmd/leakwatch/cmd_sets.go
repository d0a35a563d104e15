package main

import (
	"context"
	"fmt"
)

var setsVerbs = map[string]func(ctx context.Context, e *env, args []string) error{
	"load": runSetsLoad,
	"list": runSetsList,
	"info": runSetsInfo,
	"rm":   runSetsRm,
}

func runSets(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(e.stderr, "usage: leakwatch sets load|list|info|rm ...")
		if len(args) == 0 {
			return usagef("sets needs a verb: load, list, info or rm")
		}
		return nil
	}
	verb, ok := setsVerbs[args[0]]
	if !ok {
		return usagef("unknown verb 'sets %s' (load, list, info, rm)", args[0])
	}
	return verb(ctx, e, args[1:])
}
