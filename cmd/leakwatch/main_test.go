package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	// Tests that need the daemon as a real process (signals, kills) run
	// this test binary with LEAKWATCH_TEST_MAIN=1: it is then leakwatch.
	if os.Getenv("LEAKWATCH_TEST_MAIN") == "1" {
		os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
	}
	testscript.Main(m, map[string]func(){
		"leakwatch": func() { os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)) },
	})
}

// TestScripts runs the CLI scripts in testdata/script: each is a session
// of a user at a shell, with its files, in a fresh HOME.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "script"),
		Setup: func(env *testscript.Env) error {
			env.Setenv("HOME", filepath.Join(env.WorkDir, "home"))
			env.Setenv("XDG_CONFIG_HOME", "")
			env.Setenv("XDG_DATA_HOME", "")
			env.Setenv("LEAKWATCH_DATA", filepath.Join(env.WorkDir, "data"))
			env.Setenv("LEAKWATCH_KEY", filepath.Join(env.WorkDir, "secret", "key"))
			env.Setenv("LEAKWATCH_REDIS", "")
			return nil
		},
	})
}
