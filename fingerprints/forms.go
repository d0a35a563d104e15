package fingerprints

import "github.com/leakwatch/leakwatch/store"

// FormsVersion is the version of the canonical forms that Normalize,
// AppendPair and the readings a load derives (a kana name's romaji) write.
// A fingerprint is a keyed hash of a canonical form, so a set matches text
// only through the forms it was loaded with: were the phone normalizer to
// write some number's form differently, that number would stop matching in
// every set loaded before, silently, as the raw records are gone and
// cannot be hashed again. So each set records the version it was loaded
// with (store.SetMeta.Forms); a set of another version still matches every
// value whose form did not change, and leakwatch warns that it should be
// loaded again.
//
// Bump it with any change to the form of a value that was accepted
// before. Accepting a value that was rejected before needs no bump: no set
// holds it. TestFormsFrozen keeps the forms of a few hundred values in
// testdata/forms.txt and fails when one changes while the version stays.
//
// Versions: 1, the forms of the first loads; 2, addresses fold the kana
// particles of place names (ヶ/ケ/ヵ to が, ノ to の between two kanji: see
// address.go, step 6).
const FormsVersion = 2

// SetForms returns the forms version a set was loaded with. Sets loaded
// before the version was recorded have none, and were made with version 1.
func SetForms(m store.SetMeta) int {
	if m.Forms == 0 {
		return 1
	}
	return m.Forms
}
