package main

// Fuzz targets for the operator's files: the key service's tokens file and
// the daemon's YAML configuration. Seeds run as regular tests; the
// committed corpus is in testdata/fuzz/FuzzXxx/.

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/crawler"
	"github.com/leakwatch/leakwatch/notify"
)

const seedTokens = `# leakwatch key service tokens: owner, sha-256 of its token, the sets it may load, [per_day=N]
# owner   sha-256 of the token (hex)                                       sets              options
acme      9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08  customers,acme-*  per_day=500000
beta 60303AE22B998861BCE3B28F33EEC1BE758A213C86C93C076DBE9F558C11C752 *
`

// hashColumn finds what stands in the hash column of a tokens line.
var hashColumn = regexp.MustCompile(`^\s*\S+\s+(\S+)`)

// hexRun is what a hash (or a piece of one) looks like.
var hexRun = regexp.MustCompile(`^[0-9A-Fa-f]{16,}$`)

func FuzzParseTokens(f *testing.F) {
	for _, s := range []string{
		seedTokens,
		"acme 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 customers\n",
		"acme lwt1-q2Z7bWcVx0m3rP8yT1uN5kJ9hD4fA6sL2eG0iO7wQ3c customers\n", // the token, not its hash
		"acme 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0 customers\n",
		"acme 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 customers per_day=0\n",
		"acme 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 cust/omers\n",
		"acme 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 a\nacme 60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752 b\n",
		"a 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 a\nb 9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08 b\n",
		"\xef\xbb\xbfacme 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 *\r\n",
		"acme 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 ,\n",
		"acme\t9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\t*\tper_day=9223372036854775808\n",
		strings.Repeat("x", 70<<10),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ts, err := parseTokens("tokens", data)
		if err != nil {
			if ts != nil {
				t.Fatalf("tokens with an error")
			}
			msg := err.Error()
			if !regexp.MustCompile(`^tokens file tokens:[0-9]+: `).MatchString(msg) {
				t.Fatalf("error %q does not name the file and the line", msg)
			}
			// Errors carry the line number and never echo the hash column
			// (a hash, or a token written where its hash belongs), unless
			// the same text is also that line's owner or one of its sets,
			// which the message may name.
			for _, line := range strings.Split(string(data), "\n") {
				m := hashColumn.FindStringSubmatch(line)
				if m == nil || !(hexRun.MatchString(m[1]) || strings.HasPrefix(m[1], tokenPrefix) && len(m[1]) > len(tokenPrefix)+8) {
					continue // not a hash or a token
				}
				fields := strings.Fields(line)
				named := fields[0] == m[1] || (len(fields) > 2 && strings.Contains(fields[2], m[1]))
				if strings.Contains(msg, m[1]) && !named {
					t.Fatalf("error %q echoes the hash column %q", msg, m[1])
				}
			}
			return
		}
		lines := 0
		for _, l := range strings.Split(string(data), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				lines++
			}
		}
		if len(ts.entries) != lines {
			t.Fatalf("%d entries from %d lines", len(ts.entries), lines)
		}
		// Each entry written back the way addToken writes a line parses
		// to the same entry.
		var out bytes.Buffer
		ids := map[string]bool{}
		for _, e := range ts.entries {
			if !tokenIDRe.MatchString(e.id) || ids[e.id] || len(e.sets) == 0 || e.perDay < 0 {
				t.Fatalf("entry %+v", e)
			}
			ids[e.id] = true
			for _, s := range e.sets {
				if s != "*" && validSetName(strings.TrimSuffix(s, "*")) != nil {
					t.Fatalf("entry %s: set %q", e.id, s)
				}
			}
			fmt.Fprintf(&out, "%s %x %s", e.id, e.hash, strings.Join(e.sets, ","))
			if e.perDay > 0 {
				fmt.Fprintf(&out, " per_day=%d", e.perDay)
			}
			out.WriteByte('\n')
		}
		back, err := parseTokens("tokens", out.Bytes())
		if err != nil || !reflect.DeepEqual(back.entries, ts.entries) {
			t.Fatalf("written back as %q: %+v, %v", out.Bytes(), back, err)
		}
		// A token matches no entry unless its hash is there.
		if ts.lookup(tokenPrefix+"not-a-real-token") != nil || ts.lookup("") != nil {
			t.Fatalf("lookup matched a token whose hash is not in the file")
		}
	})
}

// daemonFieldErr is how each problem the validation reports begins: the
// field at fault, or the source.
var daemonFieldErr = regexp.MustCompile(`^(window|workers|reload|max_visit|reclaim|sets|findings_retention|listen|stale_after|stall_failures|sources|notify|key_service): |^source ("[^"]*"|#[0-9]+): `)

// checkJoined checks that every problem in a joined validation error
// names its field.
func checkJoined(t *testing.T, err error) {
	t.Helper()
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		if !daemonFieldErr.MatchString(err.Error()) {
			t.Fatalf("problem %q does not name its field", err)
		}
		return
	}
	for _, e := range j.Unwrap() {
		checkJoined(t, e)
	}
}

const seedDaemonConfig = `data: /var/lib/leakwatch
key: /etc/leakwatch/key
sets: [customers]
window: 500
workers: 4
retention: 720h
reload: 30s
reclaim: 30s
max_visit: 30m
findings_retention: 8760h
listen: 127.0.0.1:9464
stale_after: 24h
stall_failures: 5
sources:
  - name: pastes
    kind: paste-api
    url: https://paste.example/api_scraping.php
    interval: 2m
    stale_after: 6h
notify:
  smtp: {host: smtp.example.jp, port: 587, tls: starttls, username: leakwatch,
         password_file: /etc/leakwatch/smtp-password, from: leakwatch@example.jp}
  default: {recipients: [security@example.jp], language: ja, rate_limit: 20}
  sets:
    customers: {recipients: [privacy@example.jp], digest: hourly}
  operator_key: /etc/leakwatch/operator.pub
`

const seedDaemonConfigRel = `data: data                          # relative to the file
key: secret/key
listen: "[::1]:0"
sources:
  - name: forum
    kind: html-listing
    url: https://forum.example/viewforum.php?f=12
    item_selector: a.topictitle, dd.lastpost a[href*="#p"]
    next_selector: a[rel=next]
    content_selector: div[id^=p] .content
    stall_failures: 3
  - name: onion
    kind: url
    url: http://exampleonionaddress.onion/leaks
    proxy: socks5://onion:x@127.0.0.1:9050
key_service:
  oprf_key: oprf.key
  tokens: tokens
notify:
  smtp: {host: 127.0.0.1, tls: none, from: leakwatch@example.jp}
  default: {recipients: [security@example.jp]}
  operator_key: operator.pub
`

func FuzzDaemonConfig(f *testing.F) {
	f.Add([]byte(seedDaemonConfig))
	f.Add([]byte(seedDaemonConfigRel))
	for _, s := range []string{
		"sources: []\n",
		"listen: 0.0.0.0:9464\nsources: [{name: a, kind: url, url: 'https://a.example/'}]\n",
		"listen: 0.0.0.0:9464\nlisten_public: true\nwindow: 49\nworkers: 257\nreload: 0.5s\nsources: [{name: a, kind: url, url: 'https://a.example/', jitter: NaN}]\n",
		"sets: ['../x']\nstale_after: -1s\nstall_failures: -1\nsources: [{name: a, kind: url, url: 'https://a.example/', stale_after: 1ms, stall_failures: -2}]\n",
		"unknown: 1\n",
		"sources: [{name: a, kind: url, url: 'https://a.example/'}, {name: a, kind: feed, url: 'https://a.example/f'}]\nkey_service: {evaluations_per_day: -1}\n",
		"sources: [{name: a, kind: url, url: 'https://a.example/', interval: 2562047h}]\nnotify: {smtp: {host: 'a b'}}\n",
		"sources: []\nnotify: {operator_key: /dev/zero}\n",
		"sources: []\nnotify: {operator_key: ../../../../../../../dev/zero}\n",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	pub, _, err := notify.GenerateOperatorKeyKEM(notify.KEMX25519)
	if err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "operator.pub"), pub, 0o644); err != nil {
		f.Fatal(err)
	}
	path := filepath.Join(dir, "leakwatch.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		// Validation reads the operator key file wherever the input
		// points it; notify reads at most 64 KiB of a regular file and
		// refuses anything else unopened (/dev/zero, a FIFO), so no input
		// can make it block or read forever.
		c, err := parseDaemonConfig(path, data)
		if err != nil {
			if c != nil {
				t.Fatalf("config with an error")
			}
			if !strings.HasPrefix(err.Error(), path+": ") {
				t.Fatalf("error %q does not name the file", err)
			}
			// A validation error is the problems joined; a decoding error
			// comes from yaml.
			if inner := errors.Unwrap(err); inner != nil {
				if _, joined := inner.(interface{ Unwrap() []error }); joined {
					checkJoined(t, inner)
				}
			}
			return
		}
		for name, p := range map[string]string{"data": c.Data, "key": c.Key} {
			if p != "" && !filepath.IsAbs(p) {
				t.Fatalf("%s %q is still relative", name, p)
			}
		}
		if c.Notify != nil && c.Notify.OperatorKey != "" && !filepath.IsAbs(c.Notify.OperatorKey) {
			t.Fatalf("operator_key %q is still relative", c.Notify.OperatorKey)
		}
		if c.KeyService != nil && (!filepath.IsAbs(c.KeyService.OPRFKey) || !filepath.IsAbs(c.KeyService.Tokens) || c.KeyService.EvaluationsPerDay < 1) {
			t.Fatalf("key_service %+v", *c.KeyService)
		}
		if c.Window < 50 || c.Window > 100_000 || c.Workers < 1 || c.Workers > 256 || c.StallFailures < 1 ||
			time.Duration(c.Reload) < time.Second || time.Duration(c.MaxVisit) < time.Second || time.Duration(c.Reclaim) < 3*time.Second ||
			time.Duration(c.FindingsRetention) < time.Hour || len(c.Sources) == 0 {
			t.Fatalf("out of range: %+v", c)
		}
		if err := checkListen(c.Listen, c.ListenPublic); err != nil {
			t.Fatalf("listen %q accepted: %v", c.Listen, err)
		}
		for i := range c.Sources {
			stale, failures := c.stallLimits(&c.Sources[i])
			if stale < time.Second || failures < 1 {
				t.Fatalf("source %q: stale after %v, stalled after %d failures", c.Sources[i].Name, stale, failures)
			}
		}
		// Validating again accepts the config and changes nothing.
		cp := *c
		cp.Sources = slices.Clone(c.Sources)
		cp.Sets = slices.Clone(c.Sets)
		if c.Notify != nil {
			n := *c.Notify
			cp.Notify = &n
		}
		if c.KeyService != nil {
			k := *c.KeyService
			cp.KeyService = &k
		}
		if err := cp.validate(); err != nil {
			t.Fatalf("validating again: %v", err)
		}
		if !reflect.DeepEqual(&cp, c) {
			t.Fatalf("validating again changed the config:\n%+v\n%+v", c, cp)
		}
		srcs := c.crawlerSources()
		if err := crawler.ValidateSources(srcs); err != nil || !reflect.DeepEqual(srcs, c.crawlerSources()) {
			t.Fatalf("the crawler's sources: %v", err)
		}
	})
}

// TestParseDaemonConfigSeed checks that the relative-paths seed is a valid
// config, so the fuzzer starts from one that reaches every check.
func TestParseDaemonConfigSeed(t *testing.T) {
	dir := t.TempDir()
	pub, _, err := notify.GenerateOperatorKeyKEM(notify.KEMX25519)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "operator.pub"), pub, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := parseDaemonConfig(filepath.Join(dir, "leakwatch.yaml"), []byte(seedDaemonConfigRel))
	if err != nil {
		t.Fatal(err)
	}
	if c.Data != filepath.Join(dir, "data") || c.KeyService.Tokens != filepath.Join(dir, "tokens") || c.Notify.OperatorKey != filepath.Join(dir, "operator.pub") {
		t.Errorf("paths not relative to the file: %+v", c)
	}
	if c.Sources[0].MaxPages != 5 || c.Sources[0].StallFailures != 3 || c.Workers != 4 {
		t.Errorf("defaults: %+v", c.Sources[0])
	}
}
