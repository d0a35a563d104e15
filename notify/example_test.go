package notify_test

import (
	"fmt"
	"time"

	"github.com/leakwatch/leakwatch/notify"
)

// A finding carries references and counts, never values; attacker-chosen
// text is masked, cut to one line and defanged before it is shown.
func ExampleRenderFinding() {
	msg, err := notify.RenderFinding(notify.Finding{
		ID:        "f-0001",
		Set:       "customers",
		Refs:      []string{"r:000017"},
		Kinds:     []string{"email"},
		URL:       "https://paste.example.net/raw/Ab3dE",
		Title:     "dump of taro@example.jp\r\nBcc: x@evil.example",
		FirstSeen: time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC),
		Score:     0.97,
		Records:   1,
	}, notify.LangEnglish)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(msg.Subject)
	// Output: [leakwatch] Possible leak: 1 record of customers (f-0001)
}

// Evidence is sealed to the operator's key and bound to the finding ID.
func ExampleSeal() {
	pub, priv, err := notify.GenerateOperatorKey()
	if err != nil {
		fmt.Println(err)
		return
	}
	sealed, err := notify.Seal(pub, []byte("matched span and context"), []byte("f-0001"))
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := notify.Open(priv, sealed, []byte("f-0002")); err != nil {
		fmt.Println("other finding: refused")
	}
	plain, err := notify.Open(priv, sealed, []byte("f-0001"))
	fmt.Println(string(plain), err)
	// Output:
	// other finding: refused
	// matched span and context <nil>
}
