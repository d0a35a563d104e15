package fingerprints

import (
	"errors"
	"fmt"
	"strings"
)

// Kind is the kind of a field: what it holds and so how it is normalized.
type Kind uint8

// The field kinds. Their order is part of the stored format: never reorder.
const (
	kindNone Kind = iota
	// Email is an e-mail address.
	Email
	// Phone is a telephone number, normalized to E.164.
	Phone
	// Birthdate is a date of birth; Date is any other date.
	Birthdate
	Date
	// Name is a person's name in kanji, kana or romaji.
	Name
	// Postal is a Japanese postal code.
	Postal
	// Address is a postal address.
	Address
	// MyNumber is a Japanese individual number (個人番号).
	MyNumber
	// Card is a payment card number.
	Card
	// ID is an identifier of the operator's own (customer number, ...).
	ID
	numKinds
)

var kindNames = [numKinds]string{
	Email: "email", Phone: "phone", Birthdate: "birthdate", Date: "date",
	Name: "name", Postal: "postal", Address: "address", MyNumber: "mynumber",
	Card: "card", ID: "id",
}

// Kinds returns every field kind, in their stored order.
func Kinds() []Kind {
	ks := make([]Kind, 0, numKinds-1)
	for k := Email; k < numKinds; k++ {
		ks = append(ks, k)
	}
	return ks
}

// ParseKind returns the kind with the given name ("email", "phone", ...).
func ParseKind(s string) (Kind, error) {
	for k := Email; k < numKinds; k++ {
		if kindNames[k] == s {
			return k, nil
		}
	}
	names := make([]string, 0, numKinds)
	for _, k := range Kinds() {
		names = append(names, kindNames[k])
	}
	return kindNone, fmt.Errorf("unknown field kind %q (known: %s)", s, strings.Join(names, ", "))
}

// String returns the kind's name as written in a schema.
func (k Kind) String() string {
	if k > kindNone && k < numKinds {
		return kindNames[k]
	}
	if k == Pair {
		return "pair"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Identifying reports whether a field of this kind can identify a person
// together with one other field. Birthdates, dates and postal codes cannot:
// they only corroborate.
func (k Kind) Identifying() bool {
	switch k {
	case Birthdate, Date, Postal:
		return false
	}
	return k > kindNone && k < numKinds
}

// Valid reports whether k is one of the defined kinds.
func (k Kind) Valid() bool { return k > kindNone && k < numKinds }

// ErrInvalid is wrapped by every *InvalidError.
var ErrInvalid = errors.New("invalid value")

// InvalidError says why a value cannot be normalized as its kind. Its text
// never contains the value itself: errors end up in logs and terminals, and
// the value is personal data.
type InvalidError struct {
	Kind   Kind
	Reason string // a short fixed phrase, e.g. "check digit mismatch"
}

func (e *InvalidError) Error() string { return fmt.Sprintf("invalid %s: %s", e.Kind, e.Reason) }

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *InvalidError) Unwrap() error { return ErrInvalid }

func invalid(k Kind, reason string) error { return &InvalidError{Kind: k, Reason: reason} }

// A normalizer appends the canonical form of src to dst, or returns an
// *InvalidError. It must not retain src or dst, must not allocate more than
// it needs (the matcher calls it on every candidate), and must be
// idempotent: normalizing a canonical form gives the same form.
type normalizer func(dst, src []byte) ([]byte, error)

var normalizers [numKinds]normalizer

// register installs the normalizer of a kind; each kind's file calls it from
// init. TestEveryKindHasNormalizer checks none is missing.
func register(k Kind, n normalizer) {
	if normalizers[k] != nil {
		panic("fingerprints: two normalizers for " + k.String())
	}
	normalizers[k] = n
}

// AppendNormalized appends the canonical form of src as kind k to dst.
// Fingerprints and the matcher both normalize through here, so a value
// matches if and only if both sides write it in forms that normalize alike.
func AppendNormalized(dst []byte, k Kind, src []byte) ([]byte, error) {
	if !k.Valid() || normalizers[k] == nil {
		return dst, fmt.Errorf("no normalizer for %s", k)
	}
	return normalizers[k](dst, src)
}

// Normalize returns the canonical form of s as kind k.
func Normalize(k Kind, s string) (string, error) {
	b, err := AppendNormalized(nil, k, []byte(s))
	if err != nil {
		return "", err
	}
	return string(b), nil
}
