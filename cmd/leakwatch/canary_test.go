package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/fingerprints"
	"github.com/leakwatch/leakwatch/store/storetest"
	"golang.org/x/text/encoding/japanese"
)

// The raw-data canary. It loads records, scans pages that contain them,
// lists and inspects the sets, with debug logs on; then it searches every
// byte the program wrote — the store's files, every Redis key and value
// (and the AOF, which holds every write command), every file left in the
// work directory, standard output and standard error — for each raw value
// and its normalized forms. Any hit fails. Extend it whenever the program
// starts writing somewhere new.

const canaryCSV = `ref,name,kana,birthdate,phone,email,postal,address,mynumber,card,custno
k1,黒澤 明美,クロサワ アケミ,1971/08/19,090-4412-7786,akemi.kurosawa@example.jp,150-0041,東京都渋谷区神南1-19-11,123456789018,4111111111111111,C00098765
k2,Haruki Tsubouchi,ツボウチ ハルキ,昭和52年11月30日,03-5981-2267,h.tsubouchi@example.com,〒604-8005,京都府京都市中京区恵比須町534-40,,,C00098766
`

// canaryLeak is a paste with both records written differently (the
// second's address in words and percent-encoded too, the first's name
// percent-encoded and its address with a star for the at).
const canaryLeak = `leaked customer list (part 1)
クロサワ アケミ / S46.8.19 / ０９０－４４１２－７７８６ / akemi.kurosawa＠example.jp
TSUBOUCHI Haruki, born 1977-11-30, tel +81 3 5981 2267, 京都市中京区恵比須町534番地40
Haruki Tsubouchi (h.tsubouchi AT example DOT com), GET /unsubscribe?e=h.tsubouchi%40example.com, 生年月日 1977 年 11 月 30 日
GET /form?n=%E9%BB%92%E6%BE%A4%E6%98%8E%E7%BE%8E&m=akemi.kurosawa★example.jp 昭46.8.19
`

// canaryAccessLog is a web server's log line of a form that sent the
// first record's name in Shift_JIS, its space a +, and its phone.
const canaryAccessLog = `198.51.100.7 - - [03/Nov/2026:09:04:16 +0900] "GET /cgi-bin/entry.cgi?name=%8D%95%E0V+%96%BE%94%FC&tel=09044127786 HTTP/1.1" 200 4557 "-" "Mozilla/5.0"
`

// canaryMail is a mail forwarding the first record: its name in an
// encoded From, the record in a base64 Shift_JIS CSV attachment.
const canaryMail = "From: =?UTF-8?B?6buS5r6kIOaYjue+jg==?= <someone@example.net>\n" +
	"Date: Mon, 1 Jan 2024 09:00:00 +0900\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=x\n\n" +
	"--x\nContent-Type: text/plain\n\nsee attached\n" +
	"--x\nContent-Type: text/csv; charset=Shift_JIS\nContent-Transfer-Encoding: base64\n\n" +
	"joGWvCyTZJhiLIOBgVuDiw0KjZXgViCWvpT8LDA5MC00NDEyLTc3ODYsYWtlbWkua3Vyb3Nhd2FA\nZXhhbXBsZS5qcA0K\n" +
	"--x--\n"

func TestCanaryNoRawDataPersists(t *testing.T) {
	for _, backend := range []string{"embedded", "redis"} {
		t.Run(backend, func(t *testing.T) {
			dir := t.TempDir()
			var redisSrv *storetest.RedisServer
			env := map[string]string{
				"HOME":           filepath.Join(dir, "home"),
				"LEAKWATCH_DATA": filepath.Join(dir, "data"),
				"LEAKWATCH_KEY":  filepath.Join(dir, "secret", "key"),
			}
			if backend == "redis" {
				redisSrv = storetest.StartRedis(t, storetest.StartOptions{AOF: true})
				env["LEAKWATCH_REDIS"] = redisSrv.URL()
			}
			in := filepath.Join(dir, "in")
			os.MkdirAll(in, 0o700)
			os.WriteFile(filepath.Join(in, "customers.csv"), []byte(canaryCSV), 0o600)
			os.WriteFile(filepath.Join(in, "paste.txt"), []byte(canaryLeak), 0o600)
			os.WriteFile(filepath.Join(in, "page.html"), []byte("<html><body><pre>"+canaryLeak+"</pre></body></html>"), 0o600)
			os.WriteFile(filepath.Join(in, "forward.eml"), []byte(canaryMail), 0o600)
			os.WriteFile(filepath.Join(in, "access.log"), []byte(canaryAccessLog), 0o600)

			var out, errOut bytes.Buffer
			run := func(wantCode int, args ...string) {
				t.Helper()
				args = append(args, "--log-level", "debug", "--log-format", "json")
				code := Main(args, strings.NewReader(""), &out, &errOut, func(k string) string { return env[k] })
				if code != wantCode {
					t.Fatalf("leakwatch %s: exit %d, want %d\nstderr:\n%s", strings.Join(args, " "), code, wantCode, errOut.String())
				}
			}
			run(0, "keygen")
			run(0, "sets", "load", "customers", filepath.Join(in, "customers.csv"), "--id-pattern", "C[0-9]{8}", "--schema",
				"ref=ref,name=name,kana=name,birthdate=birthdate,phone=phone,email=email:strong,postal=postal,address=address,mynumber=mynumber:strong,card=card:strong,custno=id")
			run(0, "sets", "load", "again", filepath.Join(in, "customers.csv"), "--skip-invalid", "--schema", "ref=ref,name=name,phone=phone,mynumber=mynumber")
			run(1, "scan", "--json", in)
			run(1, "scan", filepath.Join(in, "paste.txt"))
			run(0, "sets", "list", "--json")
			run(0, "sets", "info", "customers")
			// The scan must have found both records, or the canary proves
			// nothing about what a match writes.
			for _, ref := range []string{`"ref":"k1"`, `"ref":"k2"`, `"source":"` + filepath.Join(in, "forward.eml"), `"source":"` + filepath.Join(in, "access.log")} {
				if !strings.Contains(out.String(), ref) {
					t.Fatalf("scan did not find %s:\n%s", ref, out.String())
				}
			}

			written := map[string][]byte{"stdout": out.Bytes(), "stderr": errOut.Bytes()}
			filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() || strings.HasPrefix(p, in) {
					return nil
				}
				if b, err := os.ReadFile(p); err == nil {
					written[p] = b
				}
				return nil
			})
			if redisSrv != nil {
				ctx := context.Background()
				c := redisSrv.Client()
				defer c.Close()
				keys, err := c.Keys(ctx, "*").Result()
				if err != nil || len(keys) == 0 {
					t.Fatalf("redis keys: %v %v", keys, err)
				}
				for _, k := range keys {
					v, err := c.Dump(ctx, k).Result()
					if err != nil {
						t.Fatal(err)
					}
					written["redis key "+k] = []byte(k + "\x00" + v)
				}
				filepath.WalkDir(redisSrv.Dir(), func(p string, d fs.DirEntry, err error) error {
					if err == nil && !d.IsDir() {
						b, _ := os.ReadFile(p)
						written["redis file "+p] = b
					}
					return nil
				})
			}
			needles := canaryNeedles(t)
			checked := 0
			for where, b := range written {
				checked += len(b)
				for _, n := range needles {
					if bytes.Contains(b, []byte(n)) {
						t.Errorf("raw value %q found in %s", n, where)
					}
				}
			}
			if checked < 10_000 {
				t.Fatalf("only %d bytes were checked: the canary looked in the wrong places", checked)
			}
			t.Logf("%s: checked %d bytes in %d places for %d needles", backend, checked, len(written), len(needles))
		})
	}
}

// canaryNeedles returns every raw value of the canary records, as written
// and in normalized form, with the pieces an encoder could leave (digits of
// a phone without separators, a name without its space).
func canaryNeedles(t *testing.T) []string {
	rows, err := csv.NewReader(strings.NewReader(canaryCSV)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]fingerprints.Kind{"name": fingerprints.Name, "kana": fingerprints.Name, "birthdate": fingerprints.Birthdate,
		"phone": fingerprints.Phone, "email": fingerprints.Email, "postal": fingerprints.Postal, "address": fingerprints.Address,
		"mynumber": fingerprints.MyNumber, "card": fingerprints.Card, "custno": fingerprints.ID}
	var needles []string
	add := func(s string) {
		if len(s) >= 5 {
			needles = append(needles, s)
		}
	}
	for _, row := range rows[1:] {
		for i, v := range row {
			col := rows[0][i]
			k, ok := kinds[col]
			if !ok || v == "" {
				continue
			}
			add(v)
			add(strings.ReplaceAll(v, " ", ""))
			// The digits alone, when there are enough to be a value (a
			// postal code has 7): an address's block numbers, 1-19-11,
			// give 11911, which a log's timestamps hold by chance (CI saw
			// one in the daemon's debug log).
			if d := strings.Map(func(r rune) rune {
				if r >= '0' && r <= '9' {
					return r
				}
				return -1
			}, v); len(d) >= 7 {
				add(d)
			}
			if norm, err := fingerprints.Normalize(k, v); err == nil {
				add(norm)
			} else {
				t.Fatalf("canary value in column %s does not normalize: %v", col, err)
			}
			for _, part := range strings.Fields(v) {
				add(part)
			}
			if k == fingerprints.Name {
				// A name as a URL or a form carries it, in UTF-8 and in
				// Shift_JIS, with its space and without.
				for _, s := range []string{v, strings.ReplaceAll(v, " ", "")} {
					add(url.QueryEscape(s))
					add(strings.ReplaceAll(url.QueryEscape(s), "+", "%20"))
					if b, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte(s)); err == nil {
						add(sjisFormEscape(b))
					}
				}
			}
		}
	}
	// The canary itself must be able to fail: a needle is in the input.
	encoded := false // and one is the Shift_JIS form of the access log's name
	for _, n := range needles {
		encoded = encoded || strings.Contains(canaryAccessLog, n) && strings.Contains(n, "%8D%95")
	}
	if !bytes.Contains([]byte(canaryLeak), []byte("akemi.kurosawa")) || len(needles) < 40 || !encoded {
		panic(fmt.Sprintf("canary needles look wrong: %d", len(needles)))
	}
	return needles
}

// TestCanaryDaemon runs the daemon pipeline with debug logs, an operator
// key and email, serves its status page and /metrics, then searches the
// store file, every email, every log line and every page served for the
// raw values. The sealed evidence must hold them (it is the
// operator's evidence), and must open only with the operator's identity.
func TestCanaryDaemon(t *testing.T) {
	f := newDaemonFixture(t, "  operator_key: op.pub\n")
	f.lw.run(0, "keygen", "--operator", "--pub", filepath.Join(f.dir, "op.pub"), "--identity", filepath.Join(f.dir, "op.key"))
	f.site.Publish("黒澤 明美 クロサワ アケミ data", canaryLeak)
	f.site.Publish("customer db html", "<html><body><table><tr><td>黒澤 明美</td><td>090-4412-7786</td></tr></table></body></html>")
	var logs strings.Builder
	out, errOut := f.lw.run(0, "run", "--config", f.config, "--once", "--log-level", "debug", "--log-format", "json")
	logs.WriteString(out + errOut)
	msgs := f.mail.waitFor(t, 2, 5*time.Second)
	list, errOut := f.lw.run(0, "findings", "list", "--json", "--data", filepath.Join(f.dir, "data"))
	logs.WriteString(list + errOut)
	var found []struct {
		ID       string `json:"id"`
		Evidence bool   `json:"evidence"`
	}
	if err := json.Unmarshal([]byte(list), &found); err != nil || len(found) != 2 || !found[0].Evidence {
		t.Fatalf("findings: %v %s", err, list)
	}
	show, errOut := f.lw.run(0, "findings", "show", found[0].ID, "--data", filepath.Join(f.dir, "data"))
	logs.WriteString(show + errOut)

	// The HTTP side of the daemon on the same store, scraped with its
	// debug log: the status page must show the findings, or the canary
	// proves nothing about what it serves.
	// A blind load through the in-process daemon's key service: its
	// store and its log are searched below like everything else.
	f.lw.run(0, "keygen", "--oprf", filepath.Join(f.dir, "oprf.key"))
	tok, _ := f.lw.run(0, "keygen", "--token", "owner", "--tokens", filepath.Join(f.dir, "tokens"), "--token-sets", "*")
	os.WriteFile(filepath.Join(f.dir, "owner.tok"), []byte(tok), 0o600)
	f.prependConfig(t, "key_service: {oprf_key: oprf.key, tokens: tokens}\n")
	p := startInProcess(t, f)
	out, errOut = f.lw.run(0, "sets", "load", "blind", filepath.Join(f.dir, "customers.csv"), "--blind", "--server", p.base, "--token-file", filepath.Join(f.dir, "owner.tok"),
		"--schema", "ref=ref,name=name,kana=name,birthdate=birthdate,phone=phone,email=email:strong,postal=postal,address=address,mynumber=mynumber:strong,card=card:strong",
		"--log-level", "debug", "--log-format", "json")
	logs.WriteString(out + errOut)
	if !strings.Contains(out, `loaded set "blind": 2 rows`) || !strings.Contains(p.logs.String(), "blind set committed") {
		t.Fatalf("blind load: %s%s", out, errOut)
	}
	served := map[string][]byte{}
	for _, path := range []string{"/", "/metrics", "/readyz", "/healthz"} {
		code, body := p.get(t, path)
		if code != 200 {
			t.Fatalf("GET %s: %d", path, code)
		}
		served["served "+path] = []byte(body)
	}
	if !strings.Contains(string(served["served /"]), found[0].ID) || !strings.Contains(string(served["served /metrics"]), "leakwatch_findings_stored 2") {
		t.Fatalf("the status page or /metrics does not show the findings")
	}
	if err := p.stop(t); err != nil {
		t.Fatal(err)
	}
	served["in-process daemon log"] = []byte(p.logs.String())

	written := map[string][]byte{"logs and output": []byte(logs.String())}
	for where, b := range served {
		written[where] = b
	}
	for i, m := range msgs {
		written[fmt.Sprintf("email %d", i)] = m
	}
	filepath.WalkDir(f.dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasSuffix(p, "customers.csv") {
			b, _ := os.ReadFile(p)
			written[p] = b
		}
		return nil
	})
	for where, b := range written {
		for _, n := range canaryNeedles(t) {
			if bytes.Contains(b, []byte(n)) {
				t.Errorf("raw value %q found in %s", n, where)
			}
		}
	}

	// The evidence opens with the identity, and holds what was matched.
	opened, _ := f.lw.run(0, "findings", "show", found[0].ID, "--identity", filepath.Join(f.dir, "op.key"), "--data", filepath.Join(f.dir, "data"))
	if !strings.Contains(opened, "evidence:") || !(strings.Contains(opened, "akemi.kurosawa") || strings.Contains(opened, "黒澤")) {
		t.Fatalf("opened evidence lacks the matched text:\n%s", opened)
	}
	// And not with another identity.
	f.lw.run(0, "keygen", "--operator", "--pub", filepath.Join(f.dir, "other.pub"), "--identity", filepath.Join(f.dir, "other.key"))
	_, errOut = f.lw.run(2, "findings", "show", found[0].ID, "--identity", filepath.Join(f.dir, "other.key"), "--data", filepath.Join(f.dir, "data"))
	if !strings.Contains(errOut, "cannot open sealed evidence") {
		t.Fatalf("another identity: %s", errOut)
	}
}

// sjisFormEscape percent-encodes the Shift_JIS bytes b as a form does,
// letters and digits left as they are and a space as +.
func sjisFormEscape(b []byte) string {
	var out strings.Builder
	for _, c := range b {
		switch {
		case c == ' ':
			out.WriteByte('+')
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9':
			out.WriteByte(c)
		default:
			fmt.Fprintf(&out, "%%%02X", c)
		}
	}
	return out.String()
}
