package matcher

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/leakwatch/leakwatch/matcher/corpus"
)

// corpusSchema maps the generator's CSV (corpus.CSVHeader) to kinds.
const corpusSchema = "ref=ref,name=name,kana=name,birthdate=birthdate,phone=phone,email=email:strong,postal=postal,address=address,mynumber=mynumber:strong,card=card:strong,custno=id"

// corpusMatcher loads set into a fresh embedded store, as an operator would
// (through the CSV loader), and returns a matcher for it.
func corpusMatcher(t testing.TB, set []corpus.Person) *Matcher {
	t.Helper()
	var csv bytes.Buffer
	if err := corpus.WriteCSV(&csv, set, corpus.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	return loadMatcher(t, &csv, corpusSchema, "lost")
}

// TestCorpusRecallAndSilence measures recall per document shape on the
// generated leak corpus and false reports on the benign one. Targets:
// recall ≥ 99% in every shape, no record reported that was not planted,
// and nothing at all reported in a benign document.
func TestCorpusRecallAndSilence(t *testing.T) {
	set, others := corpus.Population(7, 1000, 5000)
	m := corpusMatcher(t, set)
	sc := m.NewScanner()
	ctx := context.Background()

	type tally struct{ planted, found, extra int }
	byShape := map[string]*tally{}
	var misses []string
	for _, d := range corpus.Leaks(11, set, others) {
		fs, err := sc.Scan(ctx, Input{Source: d.Name, R: bytes.NewReader(d.Body)})
		if err != nil {
			t.Fatalf("%s: %v", d.Name, err)
		}
		got := map[string]bool{}
		kinds := map[string]string{}
		for _, f := range fs {
			got[f.Ref] = true
			kinds[f.Ref] = strings.Join(f.Fields, ",")
		}
		tl := byShape[d.Shape]
		if tl == nil {
			tl = &tally{}
			byShape[d.Shape] = tl
		}
		planted := map[string]bool{}
		for _, p := range d.Planted {
			planted[p.Ref] = true
			tl.planted++
			if got[p.Ref] {
				tl.found++
				want := append([]string(nil), p.Kinds...)
				sort.Strings(want)
				if kinds[p.Ref] != strings.Join(want, ",") {
					t.Errorf("%s: %s found with kinds %s, planted %v", d.Name, p.Ref, kinds[p.Ref], want)
				}
			} else {
				misses = append(misses, fmt.Sprintf("%s: %s %v", d.Name, p.Ref, p.Kinds))
			}
		}
		for ref := range got {
			if !planted[ref] {
				tl.extra++
				t.Errorf("%s: reported %s, which was not planted", d.Name, ref)
			}
		}
	}
	shapes := make([]string, 0, len(byShape))
	for s := range byShape {
		shapes = append(shapes, s)
	}
	sort.Strings(shapes)
	for _, s := range shapes {
		tl := byShape[s]
		recall := float64(tl.found) / float64(tl.planted)
		t.Logf("%-22s planted %4d found %4d recall %.3f extra %d", s, tl.planted, tl.found, recall, tl.extra)
		if recall < 0.99 {
			t.Errorf("shape %s: recall %.3f < 0.99", s, recall)
		}
	}
	if len(byShape) != len(corpus.Shapes) {
		t.Errorf("corpus has %d shapes, scanned %d", len(corpus.Shapes), len(byShape))
	}
	if len(misses) > 0 {
		t.Logf("missed (first 20):\n%s", strings.Join(misses[:min(20, len(misses))], "\n"))
	}

	benign := corpus.Benign(13, set, others)
	traps := map[string]int{}
	for _, d := range benign {
		traps[d.Trap]++
		fs, err := sc.Scan(ctx, Input{Source: d.Name, R: bytes.NewReader(d.Body)})
		if err != nil {
			t.Fatalf("%s: %v", d.Name, err)
		}
		for _, f := range fs {
			t.Errorf("benign %s (trap %q): reported %s %v", d.Name, d.Trap, f.Ref, f.Fields)
		}
	}
	t.Logf("benign: %d documents, traps %v", len(benign), traps)
}
