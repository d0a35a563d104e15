package fingerprints

import (
	"fmt"
	"strconv"
	"strings"
)

// Schema maps the columns of an operator's file to field kinds. It is
// written as a comma-separated list of COLUMN=KIND[:strong] items, e.g.
//
//	ref=ref,name=name,kana=name,phone=phone,email=email:strong,memo=ignore
//
// COLUMN is a header name, or a 1-based column number (digits only are
// always a number). KIND is one of the field kinds, "ref" (the operator's
// opaque reference for the row, stored as given; at most one; the default
// is the row's line number) or "ignore". ":strong" marks a field that alone
// identifies a record (an e-mail address, a My Number).
type Schema struct {
	items []schemaItem
	ref   int // index into items of the ref column, or -1
}

type schemaItem struct {
	sel    string // as written
	num    int    // 1-based column number, or 0 for a header name
	kind   Kind   // kindNone for ref and ignore
	isRef  bool
	ignore bool
	strong bool
	col    int // resolved 0-based column in the file
}

// ParseSchema parses a schema; errors name the item at fault.
func ParseSchema(spec string) (*Schema, error) {
	s := &Schema{ref: -1}
	if strings.TrimSpace(spec) == "" {
		return nil, fmt.Errorf("schema is empty: map columns to kinds, e.g. --schema 'name=name,phone=phone,email=email:strong'")
	}
	seen := map[string]bool{}
	for i, raw := range strings.Split(spec, ",") {
		item := strings.TrimSpace(raw)
		where := fmt.Sprintf("schema item %d (%q)", i+1, item)
		sel, kindSpec, ok := strings.Cut(item, "=")
		sel, kindSpec = strings.TrimSpace(sel), strings.TrimSpace(kindSpec)
		if !ok || sel == "" || kindSpec == "" {
			return nil, fmt.Errorf("%s: want COLUMN=KIND", where)
		}
		if seen[sel] {
			return nil, fmt.Errorf("%s: column %q is mapped twice", where, sel)
		}
		seen[sel] = true
		it := schemaItem{sel: sel, col: -1}
		if isDigits(sel) {
			n, err := strconv.Atoi(sel)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("%s: column numbers start at 1", where)
			}
			it.num = n
		}
		kindName, mod, hasMod := strings.Cut(kindSpec, ":")
		if hasMod {
			if mod != "strong" {
				return nil, fmt.Errorf("%s: unknown modifier %q (only :strong)", where, mod)
			}
			it.strong = true
		}
		switch kindName {
		case "ref":
			if s.ref >= 0 {
				return nil, fmt.Errorf("%s: two ref columns (%q and %q); a row has one reference", where, s.items[s.ref].sel, sel)
			}
			it.isRef = true
			s.ref = len(s.items)
		case "ignore":
			it.ignore = true
		default:
			k, err := ParseKind(kindName)
			if err != nil {
				return nil, fmt.Errorf("%s: %w (or ref, ignore)", where, err)
			}
			it.kind = k
		}
		if hasMod && it.kind == kindNone {
			return nil, fmt.Errorf("%s: only a field kind can be :strong", where)
		}
		s.items = append(s.items, it)
	}
	if s.fieldCount() == 0 {
		return nil, fmt.Errorf("schema maps no column to a field kind")
	}
	if s.fieldCount() > MaxColumns {
		return nil, fmt.Errorf("schema maps %d fields; at most %d", s.fieldCount(), MaxColumns)
	}
	return s, nil
}

func (s *Schema) fieldCount() int {
	n := 0
	for _, it := range s.items {
		if it.kind != kindNone {
			n++
		}
	}
	return n
}

// resolve finds each item's column in a file with the given header (nil
// when the file has none) and ncols columns. It returns the header names not
// mentioned in the schema, so the caller can warn about them.
func (s *Schema) resolve(header []string, ncols int) (unmapped []string, err error) {
	byName := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if _, dup := byName[h]; !dup {
			byName[h] = i
		}
	}
	used := make([]bool, ncols)
	for i := range s.items {
		it := &s.items[i]
		switch {
		case it.num > 0:
			if it.num > ncols {
				return nil, fmt.Errorf("schema names column %d but the file has %d columns", it.num, ncols)
			}
			it.col = it.num - 1
		case header == nil:
			return nil, fmt.Errorf("schema names column %q but the file has no header; use column numbers (1=name,2=phone,...)", it.sel)
		default:
			c, ok := byName[it.sel]
			if !ok {
				return nil, fmt.Errorf("schema names column %q, which is not in the header (columns: %s)", it.sel, strings.Join(header, ", "))
			}
			it.col = c
		}
		if used[it.col] {
			return nil, fmt.Errorf("schema maps column %d twice", it.col+1)
		}
		used[it.col] = true
	}
	for i, h := range header {
		if !used[i] {
			unmapped = append(unmapped, h)
		}
	}
	return unmapped, nil
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
