package fingerprints

import (
	"errors"
	"strings"
	"testing"
)

// Helpers for the per-kind table tests, and tests that concern every kind.

// testValid checks that each input normalizes to the wanted form.
func testValid(t *testing.T, k Kind, cases map[string]string) {
	t.Helper()
	for in, want := range cases {
		got, err := Normalize(k, in)
		if err != nil || got != want {
			t.Errorf("Normalize(%s, %q) = %q, %v; want %q", k, in, got, err, want)
		}
	}
}

// testInvalid checks that each input is rejected with the fixed error of
// the kind that has the given reason (any reason when it is empty).
func testInvalid(t *testing.T, k Kind, cases map[string]string) {
	t.Helper()
	for in, reason := range cases {
		got, err := Normalize(k, in)
		var ie *InvalidError
		if !errors.As(err, &ie) {
			t.Errorf("Normalize(%s, %q) = %q, %v; want an *InvalidError", k, in, got, err)
			continue
		}
		if ie.Kind != k || (reason != "" && ie.Reason != reason) {
			t.Errorf("Normalize(%s, %q): error %v; want kind %s, reason %q", k, in, err, k, reason)
		}
	}
}

// testAlike checks that the values of each group normalize alike and that
// no two groups do.
func testAlike(t *testing.T, k Kind, groups [][]string) {
	t.Helper()
	seen := map[string]int{}
	for gi, g := range groups {
		first, err := Normalize(k, g[0])
		if err != nil {
			t.Errorf("Normalize(%s, %q): %v", k, g[0], err)
			continue
		}
		for _, v := range g[1:] {
			got, err := Normalize(k, v)
			if err != nil || got != first {
				t.Errorf("%s: %q → %q, %v; want it alike %q → %q", k, v, got, err, g[0], first)
			}
		}
		if prev, ok := seen[first]; ok {
			t.Errorf("%s: groups %q and %q both normalize to %q", k, groups[prev][0], g[0], first)
		}
		seen[first] = gi
	}
}

// testDiffer checks that the two values of each pair are valid and do not
// normalize alike.
func testDiffer(t *testing.T, k Kind, pairs [][2]string) {
	t.Helper()
	for _, p := range pairs {
		a, errA := Normalize(k, p[0])
		b, errB := Normalize(k, p[1])
		if errA != nil || errB != nil {
			t.Errorf("%s: %q, %q: %v, %v; want both valid", k, p[0], p[1], errA, errB)
			continue
		}
		if a == b {
			t.Errorf("%s: %q and %q both normalize to %q", k, p[0], p[1], a)
		}
	}
}

func TestEveryKindHasNormalizer(t *testing.T) {
	for _, k := range Kinds() {
		if normalizers[k] == nil {
			t.Errorf("no normalizer registered for %s", k)
		}
	}
	if _, err := AppendNormalized(nil, kindNone, []byte("x")); err == nil {
		t.Error("AppendNormalized accepted kindNone")
	}
}

// sampleValues has, for every kind, values that must be valid.
var sampleValues = map[Kind][]string{
	Email:     {"Taro.Yamada@Example.COM", "taro [at] example [dot] com", "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ"},
	Phone:     {"090-1234-5678", "+81(0)90-1234-5678", "+1 (555) 123-4567", "０１２０－１２３－４５６"},
	Birthdate: {"昭和60年1月2日", "S60.1.2", "19850102", "㋿元年5月1日"},
	Date:      {"平成元年1月8日", "2020/2/29", "一九八五年一月二日"},
	Name:      {"Tarō YAMADA", "やまだ　たろう", "髙橋 﨑子", "山田 Taro", "ﾔﾏﾀﾞ ﾀﾛｳ"},
	Postal:    {"〒100-0005", "１００ー０００５"},
	Address:   {"〒100-0005 東京都千代田区丸の内一丁目2番3号 丸の内ビル5F", "札幌市中央区北一条西二丁目3番4号", "北海道勇払郡占冠村字トマム"},
	MyNumber:  {"1234 5678 9018"},
	Card:      {"4111-1111-1111-1111", "３５３０ １１１３ ３３３０ ００００"},
	ID:        {"ab-123 45", "ＡＢ１２３４５", "会員ｰ001"},
}

func TestSampleValuesCoverEveryKind(t *testing.T) {
	for _, k := range Kinds() {
		if len(sampleValues[k]) == 0 {
			t.Errorf("no sample values for %s", k)
		}
	}
}

func TestNormalizeIdempotent(t *testing.T) {
	for k, values := range sampleValues {
		for _, v := range values {
			once, err := Normalize(k, v)
			if err != nil {
				t.Errorf("Normalize(%s, %q): %v", k, v, err)
				continue
			}
			twice, err := Normalize(k, once)
			if err != nil || twice != once {
				t.Errorf("%s: %q → %q → %q, %v: not idempotent", k, v, once, twice, err)
			}
		}
	}
}

func TestAppendNormalizedKeepsPrefix(t *testing.T) {
	for k, values := range sampleValues {
		for _, v := range values {
			want, _ := Normalize(k, v)
			// A prefix ending in a base letter: a combining mark at the start
			// of the value must not merge into it.
			prefix := []byte("前e")
			got, err := AppendNormalized(prefix, k, []byte(v))
			if err != nil || string(got) != string(prefix)+want {
				t.Errorf("AppendNormalized(%q, %s, %q) = %q, %v; want %q", prefix, k, v, got, err, string(prefix)+want)
			}
			bad, err := AppendNormalized(prefix, k, []byte("\x00\x01"))
			if err == nil || string(bad) != string(prefix) {
				t.Errorf("AppendNormalized(%q, %s, junk) = %q, %v; want prefix and an error", prefix, k, bad, err)
			}
		}
	}
}

// TestErrorsNeverContainInput feeds every kind values that are personal
// data but wrong for that kind (and near misses), and checks that no error
// text contains the value or a telling part of it.
func TestErrorsNeverContainInput(t *testing.T) {
	secrets := []string{
		"yamada.taro@example", "taro@@example.com", "090-1234-567", "+81 90 1234 56789",
		"昭和64年1月8日", "1985/02/30", "山田太郎123", "taro@yamada", "123-45678",
		"東京都", "1234 5678 9019", "4111 1111 1111 1112", strings.Repeat("秘密", 40),
		"secret\x00value", "\xff\xfe\xfd\xfc",
	}
	for _, k := range Kinds() {
		for _, s := range secrets {
			_, err := Normalize(k, s)
			if err == nil {
				continue
			}
			checkInvalid(t, k, err, s)
			for _, part := range []string{"yamada", "1234", "5678", "4111", "昭和", "山田", "秘密", "secret"} {
				if strings.Contains(s, part) && strings.Contains(err.Error(), part) {
					t.Errorf("%s: error %q contains %q of the input", k, err, part)
				}
			}
		}
	}
}

// knownReasons returns the reasons of every fixed error of the normalizers.
func knownReasons() map[string]bool {
	m := map[string]bool{}
	for _, err := range fixedErrors() {
		m[err.(*InvalidError).Reason] = true
	}
	return m
}

// fixedMessages returns the text of every fixed error, as kind k would
// report it, one per line.
func fixedMessages(k Kind) string {
	var sb strings.Builder
	for _, err := range fixedErrors() {
		sb.WriteString((&InvalidError{Kind: k, Reason: err.(*InvalidError).Reason}).Error())
		sb.WriteByte('\n')
	}
	return sb.String()
}

// fixedErrors lists the errors the normalizers return.
func fixedErrors() []error {
	return []error{
		errEmailEmpty, errEmailChar, errEmailAt, errEmailLocal, errEmailDomain, errEmailTooLong,
		errPhoneChar, errPhonePlus, errPhoneNoDigits, errPhoneLength, errPhonePrefix,
		birthdateErrs.syntax, birthdateErrs.noDate, birthdateErrs.outOfRange, birthdateErrs.era, birthdateErrs.shortYear,
		errNameDigit, errNameAt, errNameChar, errNameShort, errNameParts, errNameUTF8, errNameUnnorm, errNameTooLong,
		errPostalFormat,
		errAddressEmpty, errAddressOnly, errAddressControl, errAddressUTF8, errAddressLong, errAddressUnnorm,
		errMyNumberFormat, errMyNumberCheck, errMyNumberFirst,
		errCardFormat, errCardLuhn,
		errIDEmpty, errIDLong, errIDControl, errIDUTF8, errIDUnnorm,
	}
}
