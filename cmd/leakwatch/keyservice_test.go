package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/fingerprints"
	"github.com/leakwatch/leakwatch/store"
	"github.com/leakwatch/leakwatch/store/storetest"
)

func TestTokensFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tokens")
	tok, err := addToken(path, "acme", "customers,acme-*", 0)
	if err != nil {
		t.Fatal(err)
	}
	tok2, err := addToken(path, "beta", "*", 500)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := addToken(path, "acme", "x", 0); err == nil || !strings.Contains(err.Error(), `owner "acme" already has a token on line 2`) {
		t.Fatalf("duplicate owner: %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("tokens file mode: %v %v", fi.Mode(), err)
	}
	data, _ := os.ReadFile(path)
	if bytes.Contains(data, []byte(tok)) || bytes.Contains(data, []byte(tok[len(tokenPrefix):])) {
		t.Fatal("the tokens file holds a token, not its hash")
	}
	ts, err := loadTokens(path)
	if err != nil {
		t.Fatal(err)
	}
	a, b := ts.lookup(tok), ts.lookup(tok2)
	if a == nil || a.id != "acme" || b == nil || b.id != "beta" || b.perDay != 500 {
		t.Fatalf("lookup: %+v %+v", a, b)
	}
	for _, bad := range []string{"", tok + "x", tok[:len(tok)-1], strings.Replace(tok, "lwt1-", "lwt2-", 1), "Bearer " + tok} {
		if ts.lookup(bad) != nil {
			t.Errorf("lookup(%q) found an entry", bad)
		}
	}
	for set, want := range map[string]bool{"customers": true, "acme-2024": true, "acme-": true, "customers2": false, "other": false, "acm": false} {
		if a.allows(set) != want {
			t.Errorf("acme allows %q = %v", set, !want)
		}
	}
	if !b.allows("anything") {
		t.Error("'*' does not allow every set")
	}

	// A file others can read is refused, with the fix.
	os.Chmod(path, 0o640)
	if _, err := loadTokens(path); err == nil || !strings.Contains(err.Error(), "readable by group or others") {
		t.Fatalf("readable tokens file: %v", err)
	}
	if _, err := addToken(path, "gamma", "*", 0); err == nil {
		t.Fatal("added a token to a readable tokens file")
	}

	// Malformed lines are named by number, and no hash is echoed.
	h := fmt.Sprintf("%x", sha256.Sum256([]byte("x")))
	for body, want := range map[string]string{
		"# c\n\nacme " + h + "\n":                             ":3: want OWNER SHA256 SETS",
		"acme " + h[:60] + " s\n":                             ":1: the token's hash must be 64 hex digits",
		"acme lwt1-abcdef s\n":                                ":1: the token's hash must be 64 hex digits",
		"a/b " + h + " s\n":                                   ":1: owner must be",
		"acme " + h + " bad/set\n":                            `:1: sets: "bad/set" is not a set name`,
		"acme " + h + " s,\n":                                 `:1: sets: "" is not a set name`,
		"acme " + h + " s per_day=0\n":                        ":1: options: want per_day=N",
		"acme " + h + " s limit=5\n":                          ":1: options: want per_day=N",
		"acme " + h + " s\nbeta " + h + " t\n":                ":2: same token as line 1",
		"acme " + h + " s\n# x\nacme " + h[1:] + "0" + " t\n": ":3: owner \"acme\" already has a token on line 1",
	} {
		_, err := parseTokens("tokens", []byte(body))
		if err == nil || !strings.Contains(err.Error(), "tokens file tokens"+want) {
			t.Errorf("%q: error %v, want %q", body, err, want)
			continue
		}
		if strings.Contains(err.Error(), h[:16]) {
			t.Errorf("error echoes a hash: %v", err)
		}
	}
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("# nobody yet\n"), 0o600)
	if _, err := loadTokens(empty); err == nil || !strings.Contains(err.Error(), "has no token") {
		t.Fatalf("empty tokens file: %v", err)
	}

	// The owner's token file: mode 0600 and a token in it.
	own := filepath.Join(dir, "owner.tok")
	os.WriteFile(own, []byte("# from the monitor\n"+tok+"\n"), 0o644)
	if _, err := readTokenFile(own); err == nil {
		t.Fatal("read a token file others can read")
	}
	os.Chmod(own, 0o600)
	if got, err := readTokenFile(own); err != nil || got != tok {
		t.Fatalf("token file: %q %v", got, err)
	}
	os.WriteFile(own, []byte("not a token\n"), 0o600)
	if _, err := readTokenFile(own); err == nil || strings.Contains(err.Error(), "not a token\n") {
		t.Fatalf("bad token file: %v", err)
	}
}

// openStores returns a fresh store of each backend.
func openStores(t *testing.T) map[string]store.Store {
	t.Helper()
	bolt, err := store.OpenBolt(filepath.Join(t.TempDir(), "leakwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bolt.Close() })
	out := map[string]store.Store{"bolt": bolt}
	if testing.Short() {
		return out
	}
	r, err := store.OpenRedis(context.Background(), storetest.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	out["redis"] = r
	return out
}

// testKeyService is a key service over st with two tokens: "acme" (sets
// acme-*, the default budget) and "tiny" (any set, budget tinyBudget).
type testKeyService struct {
	ks         *keyService
	srv        *httptest.Server
	acme, tiny string
	logs       *syncBuffer
}

const tinyBudget = 10

func newTestKeyService(t *testing.T, st store.Store, perDay int64) *testKeyService {
	t.Helper()
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	acme, err := addToken(tokens, "acme", "acme-*", 0)
	if err != nil {
		t.Fatal(err)
	}
	tiny, err := addToken(tokens, "tiny", "*", tinyBudget)
	if err != nil {
		t.Fatal(err)
	}
	key, err := fingerprints.NewOPRFKey()
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	ks, err := newKeyService(&keyServiceConfig{Tokens: tokens, EvaluationsPerDay: perDay}, key, st,
		slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	srv := httptest.NewServer(ks.mount(next))
	t.Cleanup(srv.Close)
	return &testKeyService{ks: ks, srv: srv, acme: acme, tiny: tiny, logs: logs}
}

// do sends a request and returns the status, the Retry-After header and
// the decoded JSON body.
func (k *testKeyService) do(t *testing.T, method, path, token string, body []byte) (int, string, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, k.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(data) > 0 && resp.Header.Get("Content-Type") == "application/json" {
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s %s: not JSON: %s", method, path, data)
		}
	}
	return resp.StatusCode, resp.Header.Get("Retry-After"), m
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var testFields = []store.FieldSpec{{Column: "phone", Kind: "phone"}, {Column: "email", Kind: "email", Strong: true}}

// testForms is the forms version the tests' loader says it wrote: not
// ours, as the service records the loader's.
const testForms = fingerprints.FormsVersion + 2

// stage starts a blind load and returns the stage id and salt.
func (k *testKeyService) stage(t *testing.T, token, set string) (string, []byte) {
	t.Helper()
	code, _, m := k.do(t, "POST", "/oprf/v1/stages", token, mustJSON(t, stageRequest{Set: set, Fields: testFields, Source: "x.csv (csv, utf-8)", Forms: testForms}))
	if code != http.StatusCreated {
		t.Fatalf("stage %s: %d %v", set, code, m)
	}
	var sr stageResponse
	json.Unmarshal(mustJSON(t, m), &sr)
	return sr.Stage, sr.Salt
}

// blinded returns n blinded phone values for the stage's salt.
func (k *testKeyService) blinded(t *testing.T, salt []byte, n int) *fingerprints.BlindedBatch {
	t.Helper()
	vs := make([][]byte, n)
	for i := range vs {
		vs[i] = fmt.Appendf(nil, "+8190%08d", i)
	}
	b, err := fingerprints.BlindFields(k.ks.key.Public(), salt, fingerprints.Phone, vs)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestKeyServiceHTTP(t *testing.T) {
	st := openStores(t)["bolt"]
	k := newTestKeyService(t, st, 1000)

	// The public key needs no token; other paths go to the daemon's own.
	code, _, m := k.do(t, "GET", "/oprf/v1/key", "", nil)
	if code != 200 || m["key_id"] != fmt.Sprintf("%x", k.ks.key.ID()) || m["suite"] != "P256-SHA256" {
		t.Fatalf("key: %d %v", code, m)
	}
	if code, _, _ := k.do(t, "GET", "/", "", nil); code != http.StatusTeapot {
		t.Fatalf("/ did not reach the daemon's handler: %d", code)
	}
	if code, _, m := k.do(t, "GET", "/oprf/v1/nothing", k.acme, nil); code != 404 || m["code"] != "not_found" {
		t.Fatalf("unknown endpoint: %d %v", code, m)
	}

	// Tokens: none, unknown, out of scope.
	req := mustJSON(t, stageRequest{Set: "acme-1", Fields: testFields})
	for _, tok := range []string{"", "lwt1-nope", k.acme + "x"} {
		if code, _, m := k.do(t, "POST", "/oprf/v1/stages", tok, req); code != 401 || m["code"] != "unauthorized" {
			t.Fatalf("token %q: %d %v", tok, code, m)
		}
	}
	if code, _, m := k.do(t, "POST", "/oprf/v1/stages", k.acme, mustJSON(t, stageRequest{Set: "other", Fields: testFields})); code != 403 || !strings.Contains(m["error"].(string), `may not load set "other"`) {
		t.Fatalf("out of scope: %d %v", code, m)
	}
	// Malformed stage requests.
	for name, body := range map[string][]byte{
		"no fields":     mustJSON(t, stageRequest{Set: "acme-1"}),
		"bad kind":      mustJSON(t, stageRequest{Set: "acme-1", Fields: []store.FieldSpec{{Column: "c", Kind: "shoe size"}}}),
		"bad pattern":   mustJSON(t, stageRequest{Set: "acme-1", Fields: testFields, IDPattern: "("}),
		"bad forms":     mustJSON(t, stageRequest{Set: "acme-1", Fields: testFields, Forms: -1}),
		"huge forms":    mustJSON(t, stageRequest{Set: "acme-1", Fields: testFields, Forms: maxFormsVersion + 1}),
		"unknown field": []byte(`{"set":"acme-1","fields":[{"column":"c","kind":"phone"}],"salt":"AAAA"}`),
		"not json":      []byte(`set=acme-1`),
	} {
		if code, _, m := k.do(t, "POST", "/oprf/v1/stages", k.acme, body); code != 400 || m["error"] == "" {
			t.Errorf("%s: %d %v", name, code, m)
		}
	}
	if code, _, m := k.do(t, "POST", "/oprf/v1/stages", k.acme, bytes.Repeat([]byte(" "), maxJSONBody+10)); code != 413 {
		t.Errorf("oversized body: %d %v", code, m)
	}

	// A stage: the service draws the salt; two stages get two salts.
	id, salt := k.stage(t, k.acme, "acme-1")
	id2, salt2 := k.stage(t, k.acme, "acme-2")
	if len(salt) != 32 || bytes.Equal(salt, salt2) || id == id2 {
		t.Fatalf("salts %x %x", salt, salt2)
	}
	// Another token does not see it.
	if code, _, _ := k.do(t, "POST", "/oprf/v1/stages/"+id+"/evaluate", k.tiny, []byte(`{}`)); code != 404 {
		t.Fatalf("another token's stage: %d", code)
	}

	// Evaluation: the answer verifies; info must be the stage's.
	b := k.blinded(t, salt, 5)
	code, _, m = k.do(t, "POST", "/oprf/v1/stages/"+id+"/evaluate", k.acme, mustJSON(t, evaluateRequest{Kind: "phone", Info: b.Info(), Elements: b.Elements()}))
	if code != 200 {
		t.Fatalf("evaluate: %d %v", code, m)
	}
	var er evaluateResponse
	json.Unmarshal(mustJSON(t, m), &er)
	if _, err := b.Finalize(er.Elements, er.Proof); err != nil {
		t.Fatalf("the service's answer does not verify: %v", err)
	}
	other := k.blinded(t, salt2, 2)
	for name, body := range map[string]evaluateRequest{
		"another stage's info": {Kind: "phone", Info: other.Info(), Elements: other.Elements()},
		"another kind's info":  {Kind: "email", Info: b.Info(), Elements: b.Elements()},
		"unknown kind":         {Kind: "shoe", Elements: b.Elements()},
		"empty batch":          {Kind: "phone"},
		"oversized batch":      {Kind: "phone", Elements: make([][]byte, fingerprints.MaxOPRFBatch+1)},
		"not points":           {Kind: "phone", Elements: [][]byte{[]byte("not a point")}},
	} {
		if code, _, m := k.do(t, "POST", "/oprf/v1/stages/"+id+"/evaluate", k.acme, mustJSON(t, body)); code != 400 {
			t.Errorf("%s: %d %v", name, code, m)
		}
	}

	// Chunks: checked, in order; the commit checks the counts.
	chunk := blindChunk(t, 3)
	if code, _, m := k.do(t, "POST", "/oprf/v1/stages/"+id+"/chunks?seq=1", k.acme, chunk); code != 409 {
		t.Fatalf("chunk out of order: %d %v", code, m)
	}
	if code, _, m := k.do(t, "POST", "/oprf/v1/stages/"+id+"/chunks?seq=0", k.acme, []byte("LWR1garbage")); code != 400 || m["code"] != "bad_chunk" {
		t.Fatalf("bad chunk: %d %v", code, m)
	}
	if code, _, m := k.do(t, "POST", "/oprf/v1/stages/"+id+"/chunks?seq=0", k.acme, chunk); code != 200 {
		t.Fatalf("chunk: %d %v", code, m)
	}
	if code, _, m := k.do(t, "POST", "/oprf/v1/stages/"+id+"/commit", k.acme, mustJSON(t, commitRequest{Chunks: 2, Rows: 3, Fingerprints: 6})); code != 409 {
		t.Fatalf("commit with wrong counts: %d %v", code, m)
	}
	if _, err := st.GetSet(context.Background(), "acme-1"); err == nil {
		t.Fatal("set visible before its commit")
	}
	if code, _, m := k.do(t, "POST", "/oprf/v1/stages/"+id+"/commit", k.acme, mustJSON(t, commitRequest{Chunks: 1, Rows: 3, Fingerprints: 6})); code != 200 {
		t.Fatalf("commit: %d %v", code, m)
	}
	meta, err := st.GetSet(context.Background(), "acme-1")
	if err != nil {
		t.Fatal(err)
	}
	if meta.Mode != fingerprints.ModeOPRF || !bytes.Equal(meta.Salt, salt) || !bytes.Equal(meta.KeyID, k.ks.key.ID()) ||
		meta.Rows != 3 || meta.Fields[0].Count != 3 || meta.Fields[1].Count != 3 || meta.Forms != testForms {
		t.Fatalf("committed meta: %+v", meta)
	}
	if code, _, _ := k.do(t, "POST", "/oprf/v1/stages/"+id+"/evaluate", k.acme, []byte(`{}`)); code != 404 {
		t.Fatalf("a committed stage still evaluates: %d", code)
	}
	// Abort discards.
	if code, _, _ := k.do(t, "DELETE", "/oprf/v1/stages/"+id2, k.acme, nil); code != 204 {
		t.Fatalf("abort: %d", code)
	}
	if _, err := st.GetSet(context.Background(), "acme-2"); err == nil {
		t.Fatal("an aborted stage left a set")
	}

	// A keyed set of the operator cannot be replaced blind.
	kstage, _ := st.StageSet(context.Background(), store.SetMeta{Name: "keyedset", Mode: fingerprints.ModeKeyed, Fields: testFields})
	kstage.Append(context.Background(), chunk)
	kstage.Commit(context.Background(), store.SetMeta{Name: "keyedset", Mode: fingerprints.ModeKeyed, Fields: testFields, Rows: 3, Chunks: 1})
	if code, _, m := k.do(t, "POST", "/oprf/v1/stages", k.tiny, mustJSON(t, stageRequest{Set: "keyedset", Fields: testFields})); code != 409 {
		t.Fatalf("blind over keyed: %d %v", code, m)
	}

	// The log names tokens by owner and never holds a token or an element.
	logs := k.logs.String()
	if !strings.Contains(logs, `"token":"acme"`) || !strings.Contains(logs, `"elements":5`) {
		t.Fatalf("log lacks the owner or counts:\n%s", logs)
	}
	for _, secret := range append([][]byte{[]byte(k.acme), []byte(k.tiny)}, b.Elements()...) {
		if strings.Contains(logs, string(secret)) || strings.Contains(logs, fmt.Sprintf("%x", secret)) {
			t.Fatal("the log holds a token or an element")
		}
	}
}

// blindChunk is a chunk of n records with a phone and an email each.
func blindChunk(t *testing.T, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	buf.WriteString("LWR1")
	buf.WriteByte(byte(n))
	for i := range n {
		ref := fmt.Sprintf("r%d", i)
		buf.WriteByte(byte(len(ref)))
		buf.WriteString(ref)
		buf.WriteByte(2)
		buf.Write([]byte{0, byte(fingerprints.Phone)})
		buf.Write(bytes.Repeat([]byte{byte(i)}, fingerprints.FPSize))
		buf.Write([]byte{1, byte(fingerprints.Email) | 0x80})
		buf.Write(bytes.Repeat([]byte{byte(i + 1)}, fingerprints.FPSize))
	}
	recs, fps, err := fingerprints.CheckChunk(buf.Bytes(), testFields, make([]int64, 2))
	if err != nil || recs != int64(n) || fps != int64(2*n) {
		t.Fatalf("test chunk: %d %d %v", recs, fps, err)
	}
	return buf.Bytes()
}

// TestKeyServiceRateLimit: a batch past the token's budget is refused
// whole with 429 and Retry-After until midnight UTC, nothing evaluated or
// counted; concurrent batches never pass the budget together; and two
// services on one store share it. On both backends.
func TestKeyServiceRateLimit(t *testing.T) {
	for name, st := range openStores(t) {
		t.Run(name, func(t *testing.T) {
			k := newTestKeyService(t, st, 1000)
			now := time.Date(2026, 3, 1, 22, 30, 0, 0, time.UTC)
			k.ks.now = func() time.Time { return now }
			id, salt := k.stage(t, k.tiny, "anything")
			eval := func(n int) (int, string, map[string]any) {
				b := k.blinded(t, salt, n)
				return k.do(t, "POST", "/oprf/v1/stages/"+id+"/evaluate", k.tiny, mustJSON(t, evaluateRequest{Kind: "phone", Elements: b.Elements()}))
			}
			if code, _, m := eval(7); code != 200 {
				t.Fatalf("first batch: %d %v", code, m)
			}
			code, retry, m := eval(4) // 7 + 4 > 10
			if code != 429 || retry != "5400" || m["code"] != "rate_limited" || !strings.Contains(m["error"].(string), "10 evaluations per day (7 used today)") {
				t.Fatalf("over budget: %d retry %q %v", code, retry, m)
			}
			if m["elements"] != nil {
				t.Fatal("a refused batch was evaluated")
			}
			if code, _, m := eval(3); code != 200 { // exactly the budget: the refused batch counted nothing
				t.Fatalf("batch up to the budget: %d %v", code, m)
			}
			if code, _, _ := eval(1); code != 429 {
				t.Fatalf("past the budget: %d", code)
			}
			// A second service on the same store (a fleet on one Redis)
			// shares the count.
			k2 := newTestKeyService(t, st, 1000)
			k2.ks.now = k.ks.now
			used, limit, err := k2.ks.charge(context.Background(), &tokenEntry{id: "tiny", perDay: tinyBudget}, 1)
			if _, over := err.(*quotaError); !over || used != 0 || limit != tinyBudget {
				t.Fatalf("second service: used %d limit %d err %v", used, limit, err)
			}
			// The next UTC day has a fresh budget.
			now = now.Add(2 * time.Hour)
			id, salt = k.stage(t, k.tiny, "anything") // the idle stage expired meanwhile
			if code, _, m := eval(10); code != 200 {
				t.Fatalf("next day: %d %v", code, m)
			}

			// Concurrent charges from many goroutines: exactly the budget
			// passes, never more.
			tok := &tokenEntry{id: "race", perDay: 50}
			var wg sync.WaitGroup
			var mu sync.Mutex
			granted := 0
			for range 40 {
				wg.Go(func() {
					for range 5 {
						if _, _, err := k.ks.charge(context.Background(), tok, 3); err == nil {
							mu.Lock()
							granted += 3
							mu.Unlock()
						} else if _, over := err.(*quotaError); !over {
							t.Error(err)
						}
					}
				})
			}
			wg.Wait()
			if granted != 48 {
				t.Fatalf("granted %d evaluations concurrently, want 48 (16 batches of 3 within 50)", granted)
			}
		})
	}
}
