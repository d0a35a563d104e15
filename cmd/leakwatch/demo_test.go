package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/leakwatch/leakwatch/matcher/corpus"
)

// TestDemo runs `leakwatch demo` as a newcomer would and checks it shows
// findings and an alert, and prints no raw value of its synthetic set.
func TestDemo(t *testing.T) {
	l := &lw{t: t, env: map[string]string{"HOME": t.TempDir()}}
	out, _ := l.run(0, "demo", "--keep", t.TempDir())
	for _, want := range []string{
		"1. loaded 100 synthetic customer records",
		"the mailbox received 3 alerts",
		"Subject: [leakwatch] Possible leak:",
		"Matched record references:",
		"leakwatch findings show ID --identity",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if rows := regexp.MustCompile(`(?m)^[0-9a-f]{20}  `).FindAllString(out, -1); len(rows) != 3 {
		t.Errorf("demo lists %d findings, want 3:\n%s", len(rows), out)
	}
	set, _ := corpus.Population(2026, 100, 2000)
	for _, p := range set {
		for _, v := range []string{p.Name, p.Kana, p.Phone, p.Email, p.MyNumber, p.Card, p.Address} {
			if strings.Contains(out, v) {
				t.Fatalf("demo output contains the raw value %q", v)
			}
		}
	}
}
