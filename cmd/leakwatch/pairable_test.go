package main

import (
	"testing"

	"github.com/leakwatch/leakwatch/store"
)

// TestPairable: scan warns about a keyed set without pair fingerprints
// only when its fields would have given some (a name and a weak field,
// both with values).
func TestPairable(t *testing.T) {
	f := func(kind string, count int64) store.FieldSpec { return store.FieldSpec{Kind: kind, Count: count} }
	cases := []struct {
		fields []store.FieldSpec
		want   bool
	}{
		{[]store.FieldSpec{f("name", 3), f("postal", 3)}, true},
		{[]store.FieldSpec{f("name", 3), f("phone", 3), f("birthdate", 1)}, true},
		{[]store.FieldSpec{f("name", 3), f("date", 2)}, true},
		{[]store.FieldSpec{f("name", 3), f("phone", 3)}, false},
		{[]store.FieldSpec{f("postal", 3), f("birthdate", 3)}, false},
		{[]store.FieldSpec{f("name", 3), f("postal", 0)}, false},
		{[]store.FieldSpec{f("name", 0), f("postal", 3)}, false},
	}
	for i, c := range cases {
		if got := pairable(store.SetMeta{Fields: c.fields}); got != c.want {
			t.Errorf("case %d %+v: pairable %v, want %v", i, c.fields, got, c.want)
		}
	}
}
