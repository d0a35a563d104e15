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
func TestCorpusRecallAndSilence(t *testing.T) { corpusRecallAndSilence(t, 1000) }

// TestCorpusRecallAndSilenceBigSet is the same with a set of 100,000,
// where a postal code is shared by hundreds of records, a birthdate by
// several and a name by a few: a leak of a name and a postal code alone
// (name-postal-rows, prose-honorific) is found through pair fingerprints
// there (see pairs.go), as the postal code is shared by too many records
// to open a name window.
func TestCorpusRecallAndSilenceBigSet(t *testing.T) {
	corpusRecallAndSilence(t, 100_000)
}

func corpusRecallAndSilence(t *testing.T, setSize int) {
	set, others := corpus.Population(7, setSize, 5000)
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
	benignShapes := map[string]bool{}
	for _, d := range benign {
		traps[d.Trap]++
		benignShapes[d.Shape] = true
		fs, err := sc.Scan(ctx, Input{Source: d.Name, R: bytes.NewReader(d.Body)})
		if err != nil {
			t.Fatalf("%s: %v", d.Name, err)
		}
		for _, f := range fs {
			t.Errorf("benign %s (trap %q): reported %s %v", d.Name, d.Trap, f.Ref, f.Fields)
		}
	}
	t.Logf("benign: %d documents, traps %v", len(benign), traps)
	// Among them the traps of the row rule and of name bounds (dumps of
	// strangers with set names cut out of longer ones, or with a set
	// record's namesake and its weak fields on other rows).
	for _, s := range corpus.BenignShapes {
		if !benignShapes[s] {
			t.Errorf("no benign document of shape %s scanned", s)
		}
	}
}

// TestCorpusMoreSeeds scans the leak and benign documents of more seeds
// against a set of 20,000, a size between the two above: the traps and
// the forms of each document are drawn anew for each seed, and what one
// seed misses another springs (seeds 30 and 32 here once reported a
// stranger 松井 ひかり香, read as a set record's 松井 ひかり beside its postal
// code). Every planted record of every seed must be found, nothing
// reported in a benign document, and no record reported in a leak
// document but those planted there.
func TestCorpusMoreSeeds(t *testing.T) {
	set, others := corpus.Population(20000, 20000, 5000)
	m := corpusMatcher(t, set)
	sc := m.NewScanner()
	scan := func(d corpus.Doc) map[string]bool {
		fs, err := sc.Scan(context.Background(), Input{Source: d.Name, R: bytes.NewReader(d.Body)})
		if err != nil {
			t.Fatalf("%s: %v", d.Name, err)
		}
		got := map[string]bool{}
		for _, f := range fs {
			got[f.Ref] = true
		}
		return got
	}
	planted, docs := 0, 0
	for seed := uint64(30); seed < 36; seed++ {
		for _, d := range corpus.Leaks(seed, set, others) {
			got := scan(d)
			for _, p := range d.Planted {
				planted++
				if !got[p.Ref] {
					t.Errorf("seed %d, %s: planted record %s not found", seed, d.Name, p.Ref)
				}
				delete(got, p.Ref)
			}
			for ref := range got {
				t.Errorf("seed %d, %s: reported %s, which was not planted", seed, d.Name, ref)
			}
		}
		for _, d := range corpus.Benign(seed, set, others) {
			docs++
			for ref := range scan(d) {
				t.Errorf("seed %d, benign %s (trap %q): reported %s", seed, d.Name, d.Trap, ref)
			}
		}
	}
	t.Logf("6 seeds: %d planted records, %d benign documents", planted, docs)
}

// TestMixedCorpusSilence scans the throughput corpus (prose, logs and CSV
// dumps of people outside the set) against a set drawn from the same
// population: nothing in it is a set record's, so nothing may be reported.
// The dumps are full of namesakes of set records and of postal codes and
// birthdates that set records share, which name windows bring together
// across rows and inside longer names (鈴木 明 in 鈴木 明美). The sizes can be
// raised for a longer run: LEAKWATCH_SILENCE_SET=100000
// LEAKWATCH_SILENCE_MB=4.
func TestMixedCorpusSilence(t *testing.T) {
	n, mb := envInt("LEAKWATCH_SILENCE_SET", 20_000), envInt("LEAKWATCH_SILENCE_MB", 1)
	set, others := corpus.Population(41, n, 5000)
	m := corpusMatcher(t, set)
	text := corpus.Mixed(42, mb<<20, others)
	sc := m.NewScanner()
	fs, err := sc.Scan(context.Background(), Input{Source: "mixed", R: bytes.NewReader(text), MediaType: MediaText, Charset: "utf-8"})
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range fs {
		if i == 20 {
			t.Errorf("… %d false reports in all", len(fs))
			break
		}
		t.Errorf("reported %s %v at %d: %q", f.Ref, f.Fields, f.Start, text[f.Start:min(f.End, f.Start+300)])
	}
	// Not vacuous: the corpus does hold the set's weak values (their
	// lookups hit), around which names are searched.
	if st := sc.Stats(); st.Refs == 0 {
		t.Error("no field of the set was hit at all: the test proves nothing")
	} else {
		t.Logf("%d-record set, %d MB: %d lookups with hits, %d field hits, %d reports", n, mb, st.Refs, st.Hits, len(fs))
	}
}
