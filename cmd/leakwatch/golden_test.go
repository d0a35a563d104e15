package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestScanJSONGolden pins the exact JSON output of `scan --json` over the
// examples: field names, order, kinds, offsets and scores. Findings do not
// depend on the key, so the output is the same on every machine.
// Regenerate with: go test ./cmd/leakwatch -run Golden -update
func TestScanJSONGolden(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"LEAKWATCH_DATA": filepath.Join(dir, "data"), "LEAKWATCH_KEY": filepath.Join(dir, "key")}
	var out, errOut bytes.Buffer
	run := func(want int, args ...string) {
		t.Helper()
		if code := Main(args, strings.NewReader(""), &out, &errOut, func(k string) string { return env[k] }); code != want {
			t.Fatalf("%v: exit %d: %s", args, code, errOut.String())
		}
	}
	// Relative paths, so "source" is the same wherever the tree is.
	wd, _ := os.Getwd()
	if err := os.Chdir(filepath.Join("..", "..")); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	run(0, "keygen")
	run(0, "sets", "load", "example", "examples/customers.csv", "--id-pattern", "C[0-9]{8}", "--schema",
		"ref=ref,name=name,kana=name,birthdate=birthdate,phone=phone,email=email:strong,postal=postal,address=address,mynumber=mynumber:strong,card=card:strong,custno=id")
	out.Reset()
	run(1, "scan", "--json", "examples/pastes")
	golden := filepath.Join(wd, "testdata", "scan-examples.golden.jsonl")
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		gl, wl := strings.Split(out.String(), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < max(len(gl), len(wl)); i++ {
			g, w := "", ""
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("output differs from %s at line %d:\n got: %s\nwant: %s\n(run with -update if the change is intended)", golden, i+1, g, w)
			}
		}
	}
}
