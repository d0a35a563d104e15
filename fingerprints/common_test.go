package fingerprints

import (
	"fmt"
	"strings"
	"testing"
)

// TestCommonWeakValues: a weak value carried by more than CommonShare
// fields of its kind is common, one carried by CommonShare or fewer is
// not, whatever its form in the text; identifying kinds never are.
func TestCommonWeakValues(t *testing.T) {
	st, key := openBolt(t), testKey(t)
	var b strings.Builder
	b.WriteString("ref,phone,birthdate,postal\n")
	row := 0
	add := func(birth, postal string) {
		fmt.Fprintf(&b, "r%d,090-0000-%04d,%s,%s\n", row, row, birth, postal)
		row++
	}
	for range CommonShare + 1 {
		add("1980-01-02", "100-0001")
	}
	for range CommonShare {
		add("1981-03-04", "100-0002")
	}
	for i := range 200 {
		add(fmt.Sprintf("19%02d-%02d-%02d", 30+i%60, 1+i%12, 1+i%28), fmt.Sprintf("2%02d-%04d", i%100, i))
	}
	_, err := loadString(t, st, key, "s", "s.csv", b.String(), func(o *LoadOptions) {
		o.Schema = mustSchema(t, "ref=ref,phone=phone,birthdate=birthdate,postal=postal")
	})
	if err != nil {
		t.Fatal(err)
	}
	ix, h := indexed(t, st, key, "s")
	pre := h.(PreHasher)
	common := func(k Kind, v string) bool { return ix.Common(k, preOf(t, pre, k, v)) }
	for _, c := range []struct {
		k    Kind
		v    string
		want bool
	}{
		{Birthdate, "1980-01-02", true},
		{Birthdate, "昭和55年1月2日", true},
		{Postal, "〒100-0001", true},
		{Postal, "１０００００１", true},
		{Birthdate, "1981-03-04", false}, // CommonShare records: not more
		{Postal, "100-0002", false},
		{Birthdate, "1930-01-01", false}, // one record's
		{Birthdate, "2001-02-03", false}, // not in the set
		{Postal, "299-9999", false},
		{Date, "1980-01-02", false}, // no dates in the set: kinds are apart
		{Phone, "090-0000-0001", false},
	} {
		if got := common(c.k, c.v); got != c.want {
			t.Errorf("Common(%s, %q) = %v, want %v", c.k, c.v, got, c.want)
		}
	}
}

// TestCommonSet checks the open-addressing set against a map, with the
// value 0 and collisions of slots.
func TestCommonSet(t *testing.T) {
	var vals []uint32
	want := map[uint32]bool{}
	for i := range uint32(3000) {
		v := i * 2654435761 // spread, and 0 for i = 0
		n := 1 + int(i%(2*CommonShare))
		for range n {
			vals = append(vals, v)
		}
		want[v] = n > CommonShare
	}
	c := newCommonSet(sortedCopy(vals))
	for v, w := range want {
		if got := c.has(v); got != w {
			t.Fatalf("has(%d) = %v, want %v", v, got, w)
		}
	}
	for i := range uint32(100000) {
		v := i*7 + 1
		if _, in := want[v]; !in && c.has(v) {
			t.Fatalf("has(%d) for a value not in the set", v)
		}
	}
	if newCommonSet(sortedCopy([]uint32{1, 1, 2})) != nil {
		t.Fatal("a set with no common value is not nil")
	}
}

func sortedCopy(v []uint32) []uint32 {
	v = append([]uint32(nil), v...)
	var pres [numKinds][]uint32
	pres[Postal] = v
	commonSets(&pres)
	return pres[Postal]
}
