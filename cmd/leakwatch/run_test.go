package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakwatch/leakwatch/crawler/fixtures"
)

// lw runs the command in-process with its own streams and environment.
type lw struct {
	t   testing.TB
	env map[string]string
}

func (l *lw) run(want int, args ...string) (stdout, stderr string) {
	l.t.Helper()
	var out, errOut bytes.Buffer
	code := Main(args, strings.NewReader(""), &out, &errOut, func(k string) string { return l.env[k] })
	if code != want {
		l.t.Fatalf("leakwatch %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, out.String(), errOut.String())
	}
	return out.String(), errOut.String()
}

// daemonFixture is a loaded set, a paste site, a mail sink and a config.
type daemonFixture struct {
	lw     *lw
	dir    string
	site   *fixtures.PasteSite
	mail   *mailSink
	config string
}

func newDaemonFixture(t *testing.T, extra string) *daemonFixture {
	t.Helper()
	dir := t.TempDir()
	f := &daemonFixture{dir: dir, site: fixtures.NewPasteSite(), mail: startMailSink(t)}
	t.Cleanup(f.site.Close)
	f.lw = &lw{t: t, env: map[string]string{"HOME": filepath.Join(dir, "home")}}
	os.WriteFile(filepath.Join(dir, "customers.csv"), []byte(canaryCSV), 0o600)
	f.lw.run(0, "keygen", "--key", filepath.Join(dir, "key"))
	f.lw.run(0, "sets", "load", "customers", filepath.Join(dir, "customers.csv"), "--data", filepath.Join(dir, "data"), "--key", filepath.Join(dir, "key"),
		"--schema", "ref=ref,name=name,kana=name,birthdate=birthdate,phone=phone,email=email:strong,postal=postal,address=address")
	f.config = filepath.Join(dir, "leakwatch.yaml")
	cfg := fmt.Sprintf(`data: data
key: key
reload: 1s
sources:
  - name: pastes
    kind: paste-api
    url: %s/api_scraping.php
    interval: 1s
    jitter: 0
    rate: 100
    allow_private: true
notify:
  smtp:
    host: 127.0.0.1
    port: %d
    tls: none
    from: leakwatch@example.jp
  default:
    recipients: [security@example.jp]
    language: en
%s`, f.site.URL, f.mail.port, extra)
	if err := os.WriteFile(f.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestRunOnceFindsRecordsAndNotifiesOnce publishes a paste holding two lost
// records re-typed, runs one cycle of the daemon, and checks the finding is
// recorded and the operator emailed once — and not again on the next cycle,
// while a second paste with the same records is a new finding.
func TestRunOnceFindsRecordsAndNotifiesOnce(t *testing.T) {
	f := newDaemonFixture(t, "")
	f.site.Publish("customer db part 1", canaryLeak)
	f.site.Publish("weather notes", "明日の天気は晴れ。最高気温は18度の予想です。")
	out, _ := f.lw.run(0, "run", "--config", f.config, "--once")
	if !strings.Contains(out, "visited 1 sources, 2 new items") {
		t.Fatalf("run --once: %s", out)
	}
	msgs := f.mail.waitFor(t, 1, 5e9)
	if len(msgs) != 1 {
		t.Fatalf("%d emails, want 1", len(msgs))
	}
	mail := string(msgs[0])
	for _, want := range []string{"k1", "k2", "customers"} {
		if !strings.Contains(mail, want) {
			t.Errorf("email lacks %q", want)
		}
	}
	for _, n := range canaryNeedles(t) {
		if strings.Contains(mail, n) {
			t.Errorf("email contains raw value %q", n)
		}
	}

	// The next cycle finds nothing new and sends nothing.
	out, _ = f.lw.run(0, "run", "--config", f.config, "--once")
	if !strings.Contains(out, "0 new items") || len(f.mail.messages()) != 1 {
		t.Fatalf("second cycle: %s; %d emails", out, len(f.mail.messages()))
	}
	// The same records on a new page are a new finding and a new email.
	f.site.Publish("customer db part 2", canaryLeak+"\n(reposted)")
	f.lw.run(0, "run", "--config", f.config, "--once")
	f.mail.waitFor(t, 2, 5e9)

	list, _ := f.lw.run(0, "findings", "list", "--json", "--data", filepath.Join(f.dir, "data"))
	var fs []map[string]any
	if err := json.Unmarshal([]byte(list), &fs); err != nil {
		t.Fatalf("findings list --json: %v\n%s", err, list)
	}
	if len(fs) != 2 {
		t.Fatalf("%d findings recorded, want 2: %s", len(fs), list)
	}
	if fs[0]["records"].(float64) != 2 {
		t.Fatalf("finding: %v", fs[0])
	}

	// The operator's verbs around findings.
	id := fs[0]["id"].(string)
	data := filepath.Join(f.dir, "data")
	show, _ := f.lw.run(0, "findings", "show", id, "--data", data)
	for _, want := range []string{"finding:   " + id, "records:   2 (k1, k2)", "source:    pastes", "url:       http://127.0.0.1:"} {
		if !strings.Contains(show, want) {
			t.Errorf("findings show lacks %q:\n%s", want, show)
		}
	}
	f.lw.run(0, "findings", "ack", id, "--data", data)
	list, _ = f.lw.run(0, "findings", "list", "--data", data)
	if !strings.Contains(list, " yes ") {
		t.Errorf("acknowledged finding not shown as such:\n%s", list)
	}
	_, errOut := f.lw.run(2, "findings", "show", "nosuchid", "--data", data)
	if !strings.Contains(errOut, `no finding "nosuchid"`) {
		t.Errorf("unknown finding: %s", errOut)
	}
	_, errOut = f.lw.run(2, "findings", "show", id, "--identity", filepath.Join(f.dir, "none.key"), "--data", data)
	if !strings.Contains(errOut, "no evidence was kept") {
		t.Errorf("show --identity without evidence: %s", errOut)
	}

	// notify test sends one email through the configured relay.
	out, _ = f.lw.run(0, "notify", "test", "--config", f.config)
	if !strings.Contains(out, "test email sent") {
		t.Fatalf("notify test: %s", out)
	}
	f.mail.waitFor(t, 3, 5e9)
	status, _ := f.lw.run(0, "notify", "status", "--config", f.config)
	if !strings.Contains(status, "queued 0, failed 0, sent 2") {
		t.Errorf("notify status: %s", status)
	}
}
