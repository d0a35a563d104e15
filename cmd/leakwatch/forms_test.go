package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/fingerprints"
	"github.com/leakwatch/leakwatch/store"
)

// TestStaleForms: a set loaded with canonical forms of another version
// than this leakwatch's (fingerprints.FormsVersion) is still scanned, and
// sets info, sets list and scan say so, naming both versions and telling
// to load the set again. A set of the current version, or one loaded
// before versions were recorded (version 1), gets no such note.
func TestStaleForms(t *testing.T) {
	dir := t.TempDir()
	l := &lw{t: t, env: map[string]string{"HOME": filepath.Join(dir, "home")}}
	data, key, csv, leak := filepath.Join(dir, "data"), filepath.Join(dir, "key"), filepath.Join(dir, "customers.csv"), filepath.Join(dir, "leak.txt")
	os.WriteFile(csv, []byte(canaryCSV), 0o600)
	os.WriteFile(leak, []byte("leaked: 黒澤 明美 090-4412-7786 akemi.kurosawa@example.jp\n"), 0o600)
	l.run(0, "keygen", "--key", key)
	l.run(0, "sets", "load", "customers", csv, "--data", data, "--key", key, "--schema", "ref=ref,name=name,phone=phone,email=email")

	check := func(stamp, want int) {
		t.Helper()
		info, _ := l.run(0, "sets", "info", "customers", "--data", data)
		list, _ := l.run(0, "sets", "list", "--data", data)
		listJSON, _ := l.run(0, "sets", "list", "--json", "--data", data)
		scanOut, scanErr := l.run(1, "scan", "--json", "--data", data, "--key", key, leak)
		var sets []setSummary
		if err := json.Unmarshal([]byte(listJSON), &sets); err != nil || len(sets) != 1 {
			t.Fatalf("sets list --json: %v\n%s", err, listJSON)
		}
		if !strings.Contains(info, fmt.Sprintf("forms:        %d\n", want)) || sets[0].Forms != want {
			t.Errorf("forms stamped %d: want version %d shown:\n%s\n%s", stamp, want, info, listJSON)
		}
		if !strings.Contains(scanOut, `"ref":"k1"`) {
			t.Errorf("forms stamped %d: the set's record is not found:\n%s", stamp, scanOut)
		}
		note := fmt.Sprintf("loaded with canonical forms of version %d, and this leakwatch writes version %d", want, fingerprints.FormsVersion)
		stale := want != fingerprints.FormsVersion
		for name, out := range map[string]string{"sets info": info, "sets list": list, "scan": scanErr} {
			if got := strings.Contains(out, note) && strings.Contains(out, "load the set again"); got != stale {
				t.Errorf("forms stamped %d: %s notes stale forms: %v, want %v:\n%s", stamp, name, got, stale, out)
			}
			if !stale && strings.Contains(out, "canonical forms") {
				t.Errorf("forms stamped %d: %s notes forms of a current set:\n%s", stamp, name, out)
			}
		}
	}
	if m := storedMeta(t, data, "customers"); m.Forms != fingerprints.FormsVersion {
		t.Fatalf("a keyed load records forms version %d, want %d", m.Forms, fingerprints.FormsVersion)
	}
	check(fingerprints.FormsVersion, fingerprints.FormsVersion)
	for _, stamp := range []int{0, fingerprints.FormsVersion + 1} {
		restampForms(t, data, "customers", stamp)
		check(stamp, fingerprints.SetForms(store.SetMeta{Forms: stamp}))
	}
}

// TestStaleFormsMetric: status and the daemon's /metrics flag a set
// loaded with canonical forms of another version (TestStatusOfAnEmbeddedStore
// and TestDaemonHTTP check that a current one is not).
func TestStaleFormsMetric(t *testing.T) {
	f := newDaemonFixture(t, "")
	restampForms(t, filepath.Join(f.dir, "data"), "customers", fingerprints.FormsVersion+1)
	// status says so, in text and JSON (before the daemon holds the
	// embedded store).
	out, _ := f.lw.run(0, "status", "--config", f.config)
	want := fmt.Sprintf("sets:     1, 1 with canonical forms of another version\n  customers: forms version %d, this leakwatch writes %d; load the set again", fingerprints.FormsVersion+1, fingerprints.FormsVersion)
	if !strings.Contains(out, want) {
		t.Errorf("status does not flag the stale set:\n%s", out)
	}
	out, _ = f.lw.run(0, "status", "--config", f.config, "--json")
	var s fleetStatus
	if err := json.Unmarshal([]byte(out), &s); err != nil || len(s.Sets) != 1 || !s.Sets[0].Stale || s.Sets[0].Forms != fingerprints.FormsVersion+1 {
		t.Errorf("status --json sets: %v\n%s", err, out)
	}
	p := startInProcess(t, f)
	var metrics string
	waitUntil(t, 10*time.Second, "the matcher is ready", func() bool {
		_, metrics = p.get(t, "/metrics")
		return strings.Contains(metrics, "leakwatch_matcher_ready 1")
	})
	if v := metricValue(t, metrics, `leakwatch_index_forms_stale{set="customers"}`); v != 1 {
		t.Errorf("a set of forms version %d is not flagged stale: %v", fingerprints.FormsVersion+1, v)
	}
}

// restampForms commits the set again, chunks unchanged, with its forms
// version set to v, as a leakwatch of that version would have loaded it.
func restampForms(t *testing.T, data, name string, v int) {
	t.Helper()
	ctx := context.Background()
	st := openDataBolt(t, data)
	defer st.Close()
	var meta store.SetMeta
	var chunks [][]byte
	err := st.ReadSet(ctx, name, func(m store.SetMeta) error { meta = m; return nil },
		func(c []byte) error { chunks = append(chunks, append([]byte(nil), c...)); return nil })
	if err != nil {
		t.Fatal(err)
	}
	meta.Forms = v
	stage, err := st.StageSet(ctx, meta)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range chunks {
		if err := stage.Append(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := stage.Commit(ctx, meta); err != nil {
		t.Fatal(err)
	}
}

// storedMeta returns the set's metadata as the embedded store in data
// holds it (sets info shows the forms version of a set that records none
// as 1).
func storedMeta(t *testing.T, data, name string) store.SetMeta {
	t.Helper()
	st := openDataBolt(t, data)
	defer st.Close()
	m, err := st.GetSet(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func openDataBolt(t *testing.T, data string) *store.Bolt {
	t.Helper()
	st, err := store.OpenBolt(filepath.Join(data, "leakwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	return st
}
