package corpus

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// TruthEntry is the ground truth of one file in truth.json.
type TruthEntry struct {
	Shape    string    `json:"shape"`
	Encoding string    `json:"encoding"`
	Planted  []Planted `json:"planted"` // empty for benign documents
	Trap     string    `json:"trap,omitempty"`
}

// TruthFile is the name of the ground-truth file WriteTree writes.
const TruthFile = "truth.json"

// WriteTree writes each document's Body to dir/Name and the ground truth
// of all of them to dir/truth.json: an object from file name to
// TruthEntry. It creates dir if needed and fails on duplicate names.
func WriteTree(dir string, docs []Doc) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	truth := make(map[string]TruthEntry, len(docs))
	for _, d := range docs {
		if d.Name == "" || d.Name == TruthFile || filepath.Base(d.Name) != d.Name {
			return fmt.Errorf("corpus: bad document name %q", d.Name)
		}
		if _, dup := truth[d.Name]; dup {
			return fmt.Errorf("corpus: two documents named %q", d.Name)
		}
		planted := d.Planted
		if planted == nil {
			planted = []Planted{}
		}
		truth[d.Name] = TruthEntry{Shape: d.Shape, Encoding: d.Encoding, Planted: planted, Trap: d.Trap}
		if err := os.WriteFile(filepath.Join(dir, d.Name), d.Body, 0o644); err != nil {
			return err
		}
	}
	b, err := json.MarshalIndent(truth, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, TruthFile), append(b, '\n'), 0o644)
}
