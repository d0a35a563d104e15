package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/crawler/fixtures"
	"github.com/leakwatch/leakwatch/fingerprints"
	"github.com/leakwatch/leakwatch/matcher"
	"github.com/leakwatch/leakwatch/matcher/corpus"
)

// blindSchema maps every column of corpus.WriteCSV's file.
const blindSchema = "ref=ref,name=name,kana=name,birthdate=birthdate,phone=phone,email=email:strong,postal=postal,address=address,mynumber=mynumber:strong,card=card:strong,custno=id"

// captured is one request the key service was sent, as the proxy in
// front of it saw it.
type captured struct {
	method, path string
	body         []byte
	partial      bool // the client gave up before sending all of body
	status       int
	retryAfter   string
}

// recordingProxy forwards to the key service, keeping every request body
// and, in a forging mode, altering the evaluation answers.
type recordingProxy struct {
	srv   *httptest.Server
	mu    sync.Mutex
	reqs  []*captured
	forge atomic.Value // "", "element" or "proof"
}

func newRecordingProxy(t *testing.T, target string) *recordingProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &recordingProxy{}
	p.forge.Store("")
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ErrorLog = log.New(io.Discard, "", 0) // aborted loads cancel requests in flight
	rp.ModifyResponse = func(resp *http.Response) error {
		c := resp.Request.Context().Value(capturedKey{}).(*captured)
		p.mu.Lock()
		c.status, c.retryAfter = resp.StatusCode, resp.Header.Get("Retry-After")
		p.mu.Unlock()
		mode := p.forge.Load().(string)
		if mode == "" || !strings.HasSuffix(c.path, "/evaluate") || resp.StatusCode != 200 {
			return nil
		}
		var er evaluateResponse
		body, err := io.ReadAll(resp.Body)
		if err != nil || json.Unmarshal(body, &er) != nil || len(er.Elements) < 2 {
			return fmt.Errorf("proxy: cannot forge %s", body)
		}
		switch mode {
		case "element": // a valid point, but not the evaluation of this one
			er.Elements[1] = er.Elements[0]
		case "proof":
			er.Proof[len(er.Proof)/3] ^= 0x08
		}
		forged, _ := json.Marshal(er)
		resp.Body = io.NopCloser(bytes.NewReader(forged))
		resp.ContentLength = int64(len(forged))
		resp.Header.Set("Content-Length", fmt.Sprint(len(forged)))
		return nil
	}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// An aborted load cancels its requests in flight, some while
		// their bodies are being sent.
		body, err := io.ReadAll(r.Body)
		c := &captured{method: r.Method, path: r.URL.RequestURI(), body: body, partial: err != nil}
		p.mu.Lock()
		p.reqs = append(p.reqs, c)
		p.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		r = r.WithContext(context.WithValue(r.Context(), capturedKey{}, c))
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

type capturedKey struct{}

func (p *recordingProxy) requests() []*captured {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.reqs)
}

// runLeakwatch runs this test binary as leakwatch in a process of its own
// and returns its exit code and output.
func runLeakwatch(t *testing.T, home string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "LEAKWATCH_TEST_MAIN=1", "HOME="+home, "LEAKWATCH_DATA=", "LEAKWATCH_KEY=", "LEAKWATCH_REDIS=")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errOut.String()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, out.String(), errOut.String()
}

// blindNeedles returns every value of the people as written in the file,
// in normalized form (what the loader blinds), and the pieces an encoder
// could leave: at least 6 bytes each, so that random bytes of blinded
// elements do not match one by chance.
func blindNeedles(t *testing.T, people []corpus.Person) [][]byte {
	t.Helper()
	kinds := []fingerprints.Kind{fingerprints.Name, fingerprints.Name, fingerprints.Birthdate, fingerprints.Phone, fingerprints.Email,
		fingerprints.Postal, fingerprints.Address, fingerprints.MyNumber, fingerprints.Card, fingerprints.ID}
	seen := map[string]bool{}
	var out [][]byte
	add := func(s string) {
		if len(s) >= 6 && !seen[s] {
			seen[s] = true
			out = append(out, []byte(s))
		}
	}
	for _, p := range people {
		row := p.Row()
		for i, v := range row[1:] {
			add(v)
			add(strings.ReplaceAll(v, " ", ""))
			add(strings.ReplaceAll(v, "-", ""))
			norm, err := fingerprints.Normalize(kinds[i], v)
			if err != nil {
				t.Fatalf("%s of %s does not normalize: %v", corpus.CSVHeader[i+1], p.Ref, err)
			}
			add(norm)
		}
		// The romaji the loader derives from the kana reading.
		if norm, err := fingerprints.Normalize(fingerprints.Name, p.Romaji); err == nil {
			add(norm)
		}
	}
	return out
}

// searchEncodings reports which needle, in which encoding, occurs in hay.
func searchEncodings(hay []byte, needles [][]byte) []string {
	var found []string
	for _, n := range needles {
		for enc, form := range map[string][]byte{
			"raw": n,
			"hex": []byte(hex.EncodeToString(n)),
			// The part of the encoding that does not depend on what
			// follows the value: whole 3-byte groups.
			"base64":    []byte(base64.StdEncoding.EncodeToString(n)[:len(n)/3*4]),
			"base64url": []byte(base64.RawURLEncoding.EncodeToString(n)[:len(n)/3*4]),
		} {
			if bytes.Contains(hay, form) {
				found = append(found, fmt.Sprintf("%q (%s)", n, enc))
			}
		}
	}
	return found
}

var jsonStringRe = regexp.MustCompile(`"([A-Za-z0-9+/=_-]{8,})"`)

// decodedStrings returns the base64 strings of a JSON body, decoded: a
// value hidden in a base64 field at any alignment shows there.
func decodedStrings(body []byte) []byte {
	var out []byte
	for _, m := range jsonStringRe.FindAllSubmatch(body, -1) {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(string(m[1])); err == nil {
				out = append(out, b...)
				out = append(out, 0)
				break
			}
		}
	}
	return out
}

// TestBlindLoadEndToEnd is issue 8's "done when": the key service (the
// daemon, with key_service and listen) and the owner's loader run as
// separate processes on loopback, with a recording proxy of this test
// between them. A forged answer (an altered element, an altered proof)
// aborts the load and commits nothing; a genuine load commits a set that
// the daemon and `scan --oprf-key` match exactly as the same records
// loaded keyed; a token over its budget gets 429 and the loader says so;
// an unknown token gets 401, a token out of its scope 403, a wrong pin is
// refused. Every request the service received is searched for every raw
// and normalized value, raw, hex and base64 (aligned, and decoded from
// every base64 field): none may be there; nor in the service's log or
// store.
func TestBlindLoadEndToEnd(t *testing.T) {
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	set, others := corpus.Population(88, 60, 400)
	csvPath := filepath.Join(dir, "customers.csv")
	var csvBuf bytes.Buffer
	if err := corpus.WriteCSV(&csvBuf, set, corpus.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(csvPath, csvBuf.Bytes(), 0o600)

	// The operator: the oprf key, two owners' tokens, the daemon.
	l := &lw{t: t, env: map[string]string{"HOME": home}}
	keyOut, _ := l.run(0, "keygen", "--oprf", filepath.Join(dir, "secret", "oprf.key"))
	keyID := regexp.MustCompile(`key id ([0-9a-f]{16})`).FindStringSubmatch(keyOut)[1]
	tokens := filepath.Join(dir, "secret", "tokens")
	writeToken := func(owner, sets, perDay string) string {
		args := []string{"keygen", "--token", owner, "--tokens", tokens, "--token-sets", sets}
		if perDay != "" {
			args = append(args, "--token-per-day", perDay)
		}
		tok, _ := l.run(0, args...)
		path := filepath.Join(dir, owner+".tok")
		os.WriteFile(path, []byte(strings.TrimSpace(tok)+"\n"), 0o600)
		return path
	}
	acmeTok := writeToken("acme", "acme-*", "")
	tinyTok := writeToken("tiny", "*", "100")
	site := fixtures.NewPasteSite()
	t.Cleanup(site.Close)
	port := freePort(t)
	config := filepath.Join(dir, "leakwatch.yaml")
	os.WriteFile(config, fmt.Appendf(nil, `data: data
listen: 127.0.0.1:%d
reload: 1s
key_service:
  oprf_key: secret/oprf.key
  tokens: secret/tokens
  evaluations_per_day: 100000
sources:
  - name: pastes
    kind: paste-api
    url: %s/api_scraping.php
    interval: 1s
    jitter: 0
    rate: 100
    allow_private: true
`, port, site.URL), 0o600)
	daemon := startWorker(t, config, home)
	proxy := newRecordingProxy(t, fmt.Sprintf("http://127.0.0.1:%d", port))

	load := func(name, tokenFile string, extra ...string) (int, string, string) {
		t.Helper()
		args := append([]string{"sets", "load", name, csvPath, "--schema", blindSchema, "--id-pattern", "C[0-9]{8}",
			"--blind", "--server", proxy.srv.URL, "--token-file", tokenFile, "--batch", "200"}, extra...)
		return runLeakwatch(t, home, args...)
	}

	// Forged answers: the load aborts naming the batch, nothing committed.
	for _, mode := range []string{"element", "proof"} {
		proxy.forge.Store(mode)
		code, out, errOut := load("acme-customers", acmeTok)
		if code != exitError || !strings.Contains(errOut, "blind load aborted, nothing committed") ||
			!strings.Contains(errOut, "key service answer does not verify") || !regexp.MustCompile(`batch \d+ \(\d+ \w+ values\)`).MatchString(errOut) {
			t.Fatalf("forged %s: exit %d\n%s%s", mode, code, out, errOut)
		}
	}
	proxy.forge.Store("")

	// The genuine load, pinned.
	code, out, errOut := load("acme-customers", acmeTok, "--pin", keyID)
	if code != 0 || !strings.Contains(out, fmt.Sprintf(`loaded set "acme-customers": %d rows`, len(set))) {
		t.Fatalf("blind load: exit %d\n%s%s", code, out, errOut)
	}
	t.Logf("blind load: %s", strings.SplitN(out, "\n", 2)[0])

	// The rate limit: 100 evaluations a day cannot load 60 records.
	code, _, errOut = load("tiny-set", tinyTok)
	if code != exitError || !strings.Contains(errOut, "rate limit") || !strings.Contains(errOut, "HTTP 429") || !strings.Contains(errOut, "retry after") {
		t.Fatalf("over budget: exit %d\n%s", code, errOut)
	}
	var limited *captured
	for _, c := range proxy.requests() {
		if c.status == http.StatusTooManyRequests {
			limited = c
		}
	}
	if limited == nil || limited.retryAfter == "" {
		t.Fatal("no 429 with Retry-After went through the proxy")
	}

	// Tokens: unknown, out of scope; and a wrong pin.
	bogus := filepath.Join(dir, "bogus.tok")
	os.WriteFile(bogus, []byte(tokenPrefix+strings.Repeat("A", 43)+"\n"), 0o600)
	if code, _, errOut := load("acme-x", bogus); code != exitError || !strings.Contains(errOut, "HTTP 401") || !strings.Contains(errOut, "check --token-file") {
		t.Fatalf("unknown token: exit %d\n%s", code, errOut)
	}
	if code, _, errOut := load("other", acmeTok); code != exitError || !strings.Contains(errOut, "HTTP 403") || !strings.Contains(errOut, `may not load set "other"`) {
		t.Fatalf("out of scope: exit %d\n%s", code, errOut)
	}
	if code, _, errOut := load("acme-y", acmeTok, "--pin", "0123456789abcdef"); code != exitError || !strings.Contains(errOut, "not the pinned 0123456789abcdef") {
		t.Fatalf("wrong pin: exit %d\n%s", code, errOut)
	}

	// Nothing the service received holds a value: every request body, its
	// base64 fields decoded, and its path.
	needles := blindNeedles(t, set)
	var hay []byte
	evaluated := 0
	for _, c := range proxy.requests() {
		hay = append(hay, c.path...)
		hay = append(hay, c.body...)
		hay = append(hay, decodedStrings(c.body)...)
		if strings.HasSuffix(c.path, "/evaluate") && !c.partial {
			var er evaluateRequest
			if err := json.Unmarshal(c.body, &er); err != nil {
				t.Fatal(err)
			}
			evaluated += len(er.Elements)
		}
	}
	// Each element is 44 characters of base64 in a body and 32 bytes
	// decoded: a capture holds at least 64 bytes of each. (A fixed
	// 100,000 failed once at 97,640 bytes for 960 elements: how many
	// requests a 429 makes the loader repeat varies from run to run.)
	if evaluated < 11*len(set) || len(hay) < 64*evaluated {
		t.Fatalf("the proxy saw %d evaluated elements, %d bytes: it did not capture the loads", evaluated, len(hay))
	}
	if found := searchEncodings(hay, needles); len(found) > 0 {
		t.Fatalf("the key service received %d values, e.g. %s", len(found), found[0])
	}
	// The needles are real: they are in the owner's file.
	if len(searchEncodings(csvBuf.Bytes(), needles)) < len(set)*8 {
		t.Fatal("the needles are not the file's values")
	}
	t.Logf("searched %d bytes the service received (%d blinded elements) for %d values", len(hay), evaluated, len(needles))

	// The daemon matches the blind set: a leak published on the paste site
	// is found.
	var leak *corpus.Doc
	for _, d := range corpus.Leaks(88, set, others) {
		if d.Encoding == corpus.UTF8 && len(d.Planted) > 0 && d.Shape == "csv-header" {
			leak = &d
			break
		}
	}
	if leak == nil {
		t.Fatal("no UTF-8 leak in the corpus")
	}
	site.Publish("dump", string(leak.Body))
	waitUntil(t, 30*time.Second, "the daemon finds the blind set's records", func() bool {
		return strings.Contains(daemon.log(), `"msg":"finding"`) && strings.Contains(daemon.log(), `"set":"acme-customers"`)
	})
	if code := daemon.stop(t, syscall.SIGTERM, 40*time.Second); code != 0 {
		t.Fatalf("daemon exit %d\n%s", code, daemon.log())
	}
	for _, n := range needles {
		if strings.Contains(daemon.log(), string(n)) {
			t.Fatalf("the service's log holds a value %q", n)
		}
	}

	// Only the genuine load was committed.
	data := filepath.Join(dir, "data")
	list, _ := l.run(0, "sets", "list", "--json", "--data", data)
	var sets []struct {
		Name string `json:"name"`
		Mode string `json:"mode"`
		Rows int    `json:"rows"`
	}
	if err := json.Unmarshal([]byte(list), &sets); err != nil {
		t.Fatalf("sets list: %v\n%s", err, list)
	}
	if len(sets) != 1 || sets[0].Name != "acme-customers" || sets[0].Mode != fingerprints.ModeOPRF || sets[0].Rows != len(set) {
		t.Fatalf("sets after the loads: %+v", sets)
	}
	// The loader sent its forms version, which the set records as is.
	if m := storedMeta(t, data, "acme-customers"); m.Forms != fingerprints.FormsVersion {
		t.Fatalf("the blind set records forms version %d, want %d", m.Forms, fingerprints.FormsVersion)
	}

	// The same records loaded keyed; `scan` matches both sets alike.
	l.run(0, "keygen", "--key", filepath.Join(dir, "secret", "key"))
	l.run(0, "sets", "load", "keyed-customers", csvPath, "--schema", blindSchema, "--id-pattern", "C[0-9]{8}",
		"--data", data, "--key", filepath.Join(dir, "secret", "key"))
	docs := filepath.Join(dir, "docs")
	all := append(corpus.Leaks(89, set, others), corpus.Benign(89, set, others)...)
	if err := corpus.WriteTree(docs, all); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runLeakwatch(t, home, "scan", "--json", "--data", data, "--key", filepath.Join(dir, "secret", "key"),
		"--oprf-key", filepath.Join(dir, "secret", "oprf.key"), docs)
	if code != exitFindings {
		t.Fatalf("scan: exit %d\n%s", code, errOut)
	}
	found := map[string]map[string][]string{} // set → "file ref" → kinds
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var f matcher.Finding
		if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
			t.Fatalf("bad JSON line %q: %v", sc.Text(), err)
		}
		if found[f.Set] == nil {
			found[f.Set] = map[string][]string{}
		}
		found[f.Set][filepath.Base(f.Source)+" "+f.Ref] = f.Fields
	}
	// The matcher looks up a blind set's names and addresses only around
	// the set's other hits (they cost an OPRF evaluation each), so a
	// record leaked with a name and an address alone may go unfound in
	// it; every other planted record must be found, and everything found
	// in the blind set is found alike in the keyed one.
	planted, nameAddressOnly, missed := 0, 0, 0
	for _, d := range all {
		for _, p := range d.Planted {
			planted++
			anchored := slices.ContainsFunc(p.Kinds, func(k string) bool { return k != "name" && k != "address" })
			if !anchored {
				nameAddressOnly++
			}
			if _, ok := found["acme-customers"][d.Name+" "+p.Ref]; !ok {
				missed++
				if anchored {
					t.Errorf("%s: planted record %s (%v) not found in the blind set", d.Name, p.Ref, p.Kinds)
				}
			}
		}
	}
	if planted < 20 || len(found["acme-customers"]) < planted-nameAddressOnly {
		t.Fatalf("%d planted; blind set found %d, keyed %d", planted, len(found["acme-customers"]), len(found["keyed-customers"]))
	}
	for k, kinds := range found["acme-customers"] {
		if !slices.Equal(found["keyed-customers"][k], kinds) {
			t.Errorf("%s: blind set found %v, keyed set %v", k, kinds, found["keyed-customers"][k])
		}
	}
	t.Logf("planted %d records, %d of them with only a name and an address; the blind set missed %d of those, the keyed set found %d records in all",
		planted, nameAddressOnly, missed, len(found["keyed-customers"]))
	t.Logf("scan: %d findings in the blind set over %d documents", len(found["acme-customers"]), len(all))

	// Without the oprf key, the blind set is refused with the fix.
	code, _, errOut = runLeakwatch(t, home, "scan", "--data", data, "--key", filepath.Join(dir, "secret", "key"), docs)
	if code != exitError || !strings.Contains(errOut, `set "acme-customers" was loaded blind and needs the key service's oprf key`) || !strings.Contains(errOut, "hint: pass --oprf-key") {
		t.Fatalf("scan without the oprf key: exit %d\n%s", code, errOut)
	}

	// The store holds no value either.
	filepath.WalkDir(data, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			if found := searchEncodings(b, needles); len(found) > 0 {
				t.Errorf("%s holds %s", p, found[0])
			}
		}
		return nil
	})
}
