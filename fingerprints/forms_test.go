package fingerprints

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

var updateForms = flag.Bool("update-forms", false, "rewrite testdata/forms.txt (refused while a recorded form changed and FormsVersion did not)")

const formsFile = "testdata/forms.txt"

// formsExtra are values beyond the fuzz seeds whose forms are kept: kana
// readings, whose romaji a load adds (kind "romaji"), and pair values
// ("pair": the weak kind, its value and a name, split by " | ").
var formsExtra = map[string][]string{
	"romaji": {"ヤマダ タロウ", "サトウ ハナコ", "スズキ イチロウ", "クロサワ アケミ", "ツボウチ ハルキ", "オオノ シンイチ",
		"キョウコ ジュンイチ", "ﾔﾏﾀﾞ ﾀﾛｳ", "やまだ たろう", "ヴィ", "シャチョウ", "ッ", "山田 太郎"},
	"pair": {"postal | 〒100-0005 | 山田 太郎", "birthdate | 昭和60年1月2日 | ヤマダ タロウ", "date | 1985/01/02 | Taro Yamada"},
}

// TestFormsFrozen: the canonical forms of every value recorded in
// testdata/forms.txt, of every fuzz seed of the normalizers and of every
// input in their committed fuzz corpora stay as recorded while
// FormsVersion stays (see forms.go). A value once rejected may become
// accepted; a form that changes, or a value that becomes rejected, needs
// FormsVersion bumped, after which -update-forms records the new forms.
func TestFormsFrozen(t *testing.T) {
	recorded, version, err := readForms(formsFile)
	if err != nil {
		t.Fatal(err)
	}
	inputs := map[string]bool{}
	for key := range recorded {
		inputs[key] = true
	}
	for k, seeds := range normalizeSeeds {
		for _, s := range seeds {
			inputs[formKey(k.String(), s)] = true
		}
		for _, s := range corpusInputs(t, k) {
			inputs[formKey(k.String(), s)] = true
		}
	}
	for kind, vals := range formsExtra {
		for _, v := range vals {
			inputs[formKey(kind, v)] = true
		}
	}
	if len(inputs) < 200 {
		t.Fatalf("only %d values", len(inputs))
	}
	current := map[string]string{}
	changed := 0
	for key := range inputs {
		kind, in, _ := strings.Cut(key, "\t")
		form := formOf(t, kind, in)
		current[key] = form
		old, ok := recorded[key]
		switch {
		case !ok:
			if !*updateForms {
				t.Errorf("%s %q has no recorded form: run go test ./fingerprints -run TestFormsFrozen -update-forms", kind, in)
			}
		case old == form:
		case old == rejected:
			if !*updateForms {
				t.Errorf("%s %q is accepted now (as %s): run go test ./fingerprints -run TestFormsFrozen -update-forms", kind, in, form)
			}
		default:
			changed++
			if version == FormsVersion {
				t.Errorf("the canonical form of %s %q changed from %s to %s while FormsVersion stayed %d: the sets loaded before no longer match it; bump FormsVersion in forms.go", kind, in, old, form, version)
			}
		}
	}
	if version > FormsVersion {
		t.Errorf("%s records forms of version %d, newer than FormsVersion %d", formsFile, version, FormsVersion)
	}
	if version < FormsVersion && changed == 0 && !*updateForms {
		t.Errorf("FormsVersion is %d but no form recorded in %s (version %d) changed: a bump without a change makes every set stale", FormsVersion, formsFile, version)
	}
	if *updateForms && !t.Failed() {
		if err := writeForms(formsFile, current); err != nil {
			t.Fatal(err)
		}
	} else if version < FormsVersion && !t.Failed() {
		t.Errorf("%s records version %d: run go test ./fingerprints -run TestFormsFrozen -update-forms", formsFile, version)
	}
}

// rejected stands for the form of a value the normalizer refuses.
const rejected = "!rejected"

func formKey(kind, in string) string { return kind + "\t" + in }

// formOf returns what a load makes of in as kind: its canonical form
// (Go-quoted), or rejected.
func formOf(t *testing.T, kind, in string) string {
	switch kind {
	case "romaji":
		rom, ok := kanaToRomaji(in)
		if !ok {
			return rejected
		}
		in, kind = rom, Name.String()
	case "pair":
		parts := strings.Split(in, " | ")
		if len(parts) != 3 {
			t.Fatalf("pair %q is not KIND | VALUE | NAME", in)
		}
		weak, err := ParseKind(parts[0])
		if err != nil {
			t.Fatal(err)
		}
		w, err1 := Normalize(weak, parts[1])
		n, err2 := Normalize(Name, parts[2])
		if err1 != nil || err2 != nil {
			t.Fatalf("pair %q: %v, %v", in, err1, err2)
		}
		return strconv.Quote(string(AppendPair(nil, weak, []byte(w), []byte(n))))
	}
	k, err := ParseKind(kind)
	if err != nil {
		t.Fatal(err)
	}
	form, err := Normalize(k, in)
	if err != nil {
		return rejected
	}
	return strconv.Quote(form)
}

// corpusInputs returns the inputs of FuzzNormalize<Kind>'s committed
// corpus.
func corpusInputs(t *testing.T, k Kind) []string {
	name := "FuzzNormalize" + map[Kind]string{MyNumber: "MyNumber", ID: "ID"}[k]
	if name == "FuzzNormalize" {
		name += strings.ToUpper(k.String()[:1]) + k.String()[1:]
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "fuzz", name, "*"))
	if len(files) == 0 {
		t.Fatalf("no committed corpus for %s", name)
	}
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "string("); ok {
				s, err := strconv.Unquote(strings.TrimSuffix(v, ")"))
				if err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				out = append(out, s)
			}
		}
	}
	return out
}

// readForms reads the recorded forms: a first line "forms N", then lines
// of kind, Go-quoted value and form, split by tabs.
func readForms(path string) (map[string]string, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	forms, version, line := map[string]string{}, 0, 0
	for sc.Scan() {
		line++
		if line == 1 {
			if _, err := fmt.Sscanf(sc.Text(), "forms %d", &version); err != nil {
				return nil, 0, fmt.Errorf("%s:1: want \"forms N\": %w", path, err)
			}
			continue
		}
		parts := strings.Split(sc.Text(), "\t")
		if len(parts) != 3 {
			return nil, 0, fmt.Errorf("%s:%d: want kind, value and form split by tabs", path, line)
		}
		in, err := strconv.Unquote(parts[1])
		if err != nil {
			return nil, 0, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		forms[formKey(parts[0], in)] = parts[2]
	}
	return forms, version, sc.Err()
}

func writeForms(path string, forms map[string]string) error {
	keys := make([]string, 0, len(forms))
	for k := range forms {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	fmt.Fprintf(&b, "forms %d\n", FormsVersion)
	for _, key := range keys {
		kind, in, _ := strings.Cut(key, "\t")
		fmt.Fprintf(&b, "%s\t%s\t%s\n", kind, strconv.Quote(in), forms[key])
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}
