package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/leakwatch/leakwatch/matcher"
	"github.com/leakwatch/leakwatch/matcher/corpus"
)

// TestExamplesMatchTheirTruth runs what `make try` runs — keygen, sets load
// of examples/customers.csv, scan --json of examples/pastes — and checks the
// findings against examples/truth.json: every planted record found with
// exactly its planted kinds, nothing else, and the benign pastes silent.
func TestExamplesMatchTheirTruth(t *testing.T) {
	root := filepath.Join("..", "..", "examples")
	var truth map[string]corpus.TruthEntry
	b, err := os.ReadFile(filepath.Join(root, "truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &truth); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	env := map[string]string{"LEAKWATCH_DATA": filepath.Join(dir, "data"), "LEAKWATCH_KEY": filepath.Join(dir, "key")}
	var out, errOut bytes.Buffer
	run := func(want int, args ...string) {
		t.Helper()
		if code := Main(args, strings.NewReader(""), &out, &errOut, func(k string) string { return env[k] }); code != want {
			t.Fatalf("%v: exit %d, want %d: %s", args, code, want, errOut.String())
		}
	}
	run(0, "keygen")
	schema := "ref=ref,name=name,kana=name,birthdate=birthdate,phone=phone,email=email:strong,postal=postal,address=address,mynumber=mynumber:strong,card=card:strong,custno=id"
	run(0, "sets", "load", "example", filepath.Join(root, "customers.csv"), "--id-pattern", "C[0-9]{8}", "--schema", schema)
	out.Reset()
	run(1, "scan", "--json", filepath.Join(root, "pastes"))

	got := map[string]map[string][]string{} // file → ref → kinds
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var f matcher.Finding
		if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
			t.Fatalf("bad JSON line %q: %v", sc.Text(), err)
		}
		name := filepath.Base(f.Source)
		if got[name] == nil {
			got[name] = map[string][]string{}
		}
		got[name][f.Ref] = f.Fields
	}
	planted := 0
	for name, tr := range truth {
		want := map[string][]string{}
		for _, p := range tr.Planted {
			kinds := append([]string(nil), p.Kinds...)
			sort.Strings(kinds)
			want[p.Ref] = kinds
			planted++
		}
		for ref, kinds := range want {
			if g, ok := got[name][ref]; !ok {
				t.Errorf("%s: planted %s %v not found", name, ref, kinds)
			} else if strings.Join(g, ",") != strings.Join(kinds, ",") {
				t.Errorf("%s: %s found with %v, planted %v", name, ref, g, kinds)
			}
		}
		for ref, kinds := range got[name] {
			if _, ok := want[ref]; !ok {
				t.Errorf("%s (%s): reported %s %v, which is not planted", name, tr.Shape, ref, kinds)
			}
		}
	}
	if planted < 50 || len(truth) < 20 {
		t.Fatalf("examples look truncated: %d files, %d planted records", len(truth), planted)
	}
}
