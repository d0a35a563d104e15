package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

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

// TestDemoStatusPageInChromium renders the status page the demo serves,
// with the demo's own findings, in headless Chromium.
func TestDemoStatusPageInChromium(t *testing.T) {
	bin := chromium(t)
	var dom []byte
	var shot []byte
	e := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }, logFormat: "text", logLevel: "warn"}
	if err := e.setupLog(); err != nil {
		t.Fatal(err)
	}
	o := demoOptions{keep: t.TempDir(), timeout: 60 * time.Second, listen: "127.0.0.1:0", ready: func(url string) {
		dom = runChromium(t, bin, url, "--dump-dom")
		file := filepath.Join(t.TempDir(), "demo-status.png")
		runChromium(t, bin, url, "--screenshot="+file, "--hide-scrollbars")
		shot, _ = os.ReadFile(file)
	}}
	if err := demo(context.Background(), e, o); err != nil {
		t.Fatal(err)
	}
	page := string(dom)
	for _, want := range []string{"paste-site", "forum", "demo-customers", "sent 3"} {
		if !strings.Contains(page, want) {
			t.Errorf("demo status page lacks %q", want)
		}
	}
	if n := strings.Count(page, "hxxp://127[.]0[.]0[.]1"); n < 3 {
		t.Errorf("demo status page shows %d finding URLs, want 3", n)
	}
	if len(shot) < 30_000 || !bytes.HasPrefix(shot, []byte("\x89PNG")) {
		t.Errorf("screenshot of %d bytes", len(shot))
	}
	if f := os.Getenv("LEAKWATCH_SCREENSHOT"); f != "" {
		os.WriteFile(f, shot, 0o644)
	}
	set, _ := corpus.Population(2026, 100, 2000)
	for _, p := range set {
		for _, v := range []string{p.Name, p.Kana, p.Phone, p.Email, p.MyNumber, p.Card} {
			if strings.Contains(page, v) {
				t.Fatalf("status page contains the raw value %q", v)
			}
		}
	}
}
