package matcher

import (
	"strings"
	"testing"
)

// TestCoveredNames: where the text shows a longer name the set holds, the
// shorter names read inside it are dropped, and their records are not
// reported with a weak value they share; where it shows the shorter one,
// that one is found; namesakes read at one place all stay.
func TestCoveredNames(t *testing.T) {
	const csv = `ref,name,birthdate,phone,postal
long,髙橋 正樹,1960/06/02,070-3996-4024,670-0927
short,髙橋 正,1945/01/08,080-9327-3712,670-0927
twin1,山本 一,1970/01/01,090-0000-0001,100-0001
twin2,山本 一,1971/02/02,090-0000-0002,100-0001
`
	m := loadMatcher(t, strings.NewReader(csv), "ref=ref,name=name,birthdate=birthdate,phone=phone,postal=postal", "people")
	checkRefs(t, m, map[string]string{
		"髙橋正樹　〒670-0927":  "long:name+postal",
		"髙橋正樹,670-0927\n": "long:name+postal",
		"氏名：髙橋正樹　郵便番号：〒六七〇－〇九二七":              "long:name+postal",
		"髙橋正樹 070-3996-4024":                  "long:name+phone",
		"髙橋正 〒670-0927":                       "short:name+postal",
		"髙橋 正,670-0927\n":                     "short:name+postal",
		"髙橋正樹 080-9327-3712":                  "",
		"山本一 〒100-0001":                       "twin1:name+postal twin2:name+postal",
		"髙橋正 〒670-0927\n\n髙橋正樹 070-3996-4024": "short:name+postal long:name+phone+postal",
	})
}
