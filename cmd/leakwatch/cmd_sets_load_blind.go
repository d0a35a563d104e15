package main

// `leakwatch sets load NAME FILE --blind --server URL --token-file PATH`:
// the data owner's side of blind loading. The file is read and normalized
// here by the same loader as a keyed load (fingerprints.LoadBlind); what
// crosses the network is the key service's public key (fetched once, and
// checked against --pin), blinded elements and the answers to them, then
// chunks of fingerprints and refs. No key file is needed here, and no
// value leaves the machine. Every answer's proof is verified before its
// fingerprints are used; one that does not verify aborts the whole load,
// and the key service discards the stage: nothing is committed.
//
// The HTTP client for the key service's API (keyservice.go) is here; the
// protocol logic is in package fingerprints, which knows no HTTP.

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/leakwatch/leakwatch/fingerprints"
	"github.com/leakwatch/leakwatch/store"
)

func setsLoadBlind(ctx context.Context, e *env, o setsLoadOptions) error {
	if o.server == "" || o.tokenFile == "" {
		return usagef("sets load --blind needs --server URL and --token-file PATH")
	}
	if o.batch < 1 || o.batch > fingerprints.MaxOPRFBatch {
		return usagef("--batch must be 1 to %d", fingerprints.MaxOPRFBatch)
	}
	if err := validSetName(o.name); err != nil {
		return err
	}
	schema, err := fingerprints.ParseSchema(o.schema)
	if err != nil {
		return err
	}
	c, err := newKeyServiceClient(o.server, o.tokenFile)
	if err != nil {
		return err
	}
	pub, err := c.publicKey(ctx)
	if err != nil {
		return err
	}
	id := hex.EncodeToString(pub.ID())
	if o.pin != "" {
		if !strings.EqualFold(strings.TrimSpace(o.pin), id) {
			return withHint(fmt.Errorf("the key service at %s has key id %s, not the pinned %s: refusing to load", c.base, id, o.pin),
				"ask the monitor's operator whether the key changed; a different key makes the set unmatchable or means another service answers")
		}
	} else {
		fmt.Fprintf(e.stderr, "leakwatch: key service key id %s; pass --pin %s to refuse any other key next time\n", id, id)
	}
	in, size, closeIn, err := openRecords(e, o.file)
	if err != nil {
		return err
	}
	defer closeIn()

	start := time.Now()
	bar := newProgress(e.stderr, o.file, size, start)
	res, err := fingerprints.LoadBlind(ctx, fingerprints.BlindLoad{Service: c, Public: pub, Batch: o.batch},
		in, fingerprints.LoadOptions{
			Name: o.name, Source: o.file, Format: o.format, Encoding: o.encoding, NoHeader: o.noHeader,
			Schema: schema, IDPattern: o.idPattern, SkipInvalid: o.skipInvalid,
			Progress: bar.update, Logger: e.log,
		})
	bar.finish()
	if err != nil {
		if errors.Is(err, fingerprints.ErrOPRFProof) {
			return withHint(fmt.Errorf("blind load aborted, nothing committed: %w", err),
				"the key service's answer did not verify against its public key %s: an altered answer, a proxy in the way, or another key; tell the monitor's operator", id)
		}
		return err
	}
	printLoad(e, res, time.Since(start))
	fmt.Fprintf(e.stdout, "  blind: key service %s, key id %s\n", c.base, id)
	return nil
}

// keyServiceClient speaks the key service's API (keyservice.go).
type keyServiceClient struct {
	base  *url.URL
	token string
	hc    *http.Client
}

// newKeyServiceClient checks the server URL and reads the token. It
// refuses plain http to anything but loopback: the token, and the public
// key the proofs are checked against, would cross the network unprotected.
func newKeyServiceClient(server, tokenFile string) (*keyServiceClient, error) {
	u, err := url.Parse(strings.TrimRight(server, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usagef("--server %q: want an http:// or https:// URL", server)
	}
	if u.Scheme == "http" && !loopbackURLHost(u.Host) {
		return nil, withHint(fmt.Errorf("--server %s: plain http to another machine would expose your token", server),
			"use https:// (the monitor's operator serves the key service behind a TLS proxy)")
	}
	tok, err := readTokenFile(tokenFile)
	if err != nil {
		return nil, err
	}
	return &keyServiceClient{base: u, token: tok, hc: &http.Client{Timeout: 2 * time.Minute}}, nil
}

func loopbackURLHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && ip.IsLoopback()
}

// keyServiceError is an error answer of the key service.
type keyServiceError struct {
	status     int
	code, msg  string
	retryAfter string
}

func (k *keyServiceError) Error() string {
	return fmt.Sprintf("key service: %s (HTTP %d)", k.msg, k.status)
}

// call sends a request and decodes a JSON answer into out (when not nil).
func (c *keyServiceClient) call(ctx context.Context, method, path, ctype string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+oprfPrefix+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("key service: %w", err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("User-Agent", "leakwatch-blind-load/1")
	resp, err := c.hc.Do(req)
	if err != nil {
		// url.Error names the URL, never the token (it is in a header).
		return fmt.Errorf("key service: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxEvaluateBody+1))
	if err != nil {
		return fmt.Errorf("key service: reading answer: %w", err)
	}
	if resp.StatusCode >= 300 {
		var eb ksErrorBody
		if json.Unmarshal(data, &eb) != nil || eb.Error == "" {
			eb.Error = strings.TrimSpace(resp.Status)
		}
		kerr := &keyServiceError{status: resp.StatusCode, code: eb.Code, msg: eb.Error, retryAfter: resp.Header.Get("Retry-After")}
		switch resp.StatusCode {
		case http.StatusUnauthorized:
			return withHint(kerr, "check --token-file: the key service does not know this token")
		case http.StatusForbidden:
			return withHint(kerr, "your token is not allowed to load this set; ask the monitor's operator")
		case http.StatusTooManyRequests:
			if s, err := strconv.Atoi(kerr.retryAfter); err == nil {
				return withHint(kerr, "the key service meters evaluations per token and day; retry after %s, or ask the operator for a larger budget", (time.Duration(s) * time.Second).Round(time.Minute))
			}
		}
		return kerr
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("key service: malformed answer to %s %s: %w", method, path, err)
		}
	}
	return nil
}

func (c *keyServiceClient) callJSON(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("encoding request: %w", err)
		}
	}
	return c.call(ctx, method, path, "application/json", body, out)
}

// publicKey fetches the service's public key and checks it is what the
// service says it is.
func (c *keyServiceClient) publicKey(ctx context.Context) (*fingerprints.OPRFPublicKey, error) {
	var kr keyResponse
	if err := c.callJSON(ctx, http.MethodGet, "key", nil, &kr); err != nil {
		return nil, withHint(err, "is %s a leakwatch key service? its operator enables it with key_service and listen in the daemon's config", c.base)
	}
	if kr.Suite != keyServiceSuite || kr.Mode != keyServiceOPRFv1 {
		return nil, fmt.Errorf("key service uses %s %s; this leakwatch speaks %s %s", kr.Mode, kr.Suite, keyServiceOPRFv1, keyServiceSuite)
	}
	pub, err := fingerprints.ParseOPRFPublicKey(kr.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("key service: %w", err)
	}
	if hex.EncodeToString(pub.ID()) != kr.KeyID {
		return nil, fmt.Errorf("key service: its key id %s is not its public key's (%x)", kr.KeyID, pub.ID())
	}
	return pub, nil
}

// StageBlindSet starts the load at the key service, which draws the salt.
func (c *keyServiceClient) StageBlindSet(ctx context.Context, meta store.SetMeta) (fingerprints.BlindStage, error) {
	var sr stageResponse
	req := stageRequest{Set: meta.Name, Fields: meta.Fields, Source: meta.Source, IDPattern: meta.IDPattern, Forms: meta.Forms}
	if err := c.callJSON(ctx, http.MethodPost, "stages", req, &sr); err != nil {
		return nil, err
	}
	if sr.KeyID != hex.EncodeToString(meta.KeyID) {
		s := &remoteStage{c: c, id: sr.Stage}
		s.Abort(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("key service staged set %q under key id %s, not its published %x", meta.Name, sr.KeyID, meta.KeyID)
	}
	if sr.Stage == "" || strings.ContainsAny(sr.Stage, "/?#%") {
		return nil, errors.New("key service: malformed stage id")
	}
	return &remoteStage{c: c, id: sr.Stage, salt: sr.Salt}, nil
}

// remoteStage is one blind load in progress at the key service.
type remoteStage struct {
	c      *keyServiceClient
	id     string
	salt   []byte
	chunks int64
	done   bool
}

func (s *remoteStage) Salt() []byte { return s.salt }

// EvaluateBlinded sends one batch of blinded elements.
func (s *remoteStage) EvaluateBlinded(ctx context.Context, kind fingerprints.Kind, info []byte, blinded [][]byte) ([][]byte, []byte, error) {
	var er evaluateResponse
	if err := s.c.callJSON(ctx, http.MethodPost, "stages/"+s.id+"/evaluate", evaluateRequest{Kind: kind.String(), Info: info, Elements: blinded}, &er); err != nil {
		return nil, nil, err
	}
	return er.Elements, er.Proof, nil
}

// Append uploads one chunk of fingerprints and refs.
func (s *remoteStage) Append(ctx context.Context, chunk []byte) error {
	if err := s.c.call(ctx, http.MethodPost, "stages/"+s.id+"/chunks?seq="+strconv.FormatInt(s.chunks, 10), "application/octet-stream", chunk, nil); err != nil {
		return err
	}
	s.chunks++
	return nil
}

// Commit asks the service to publish the set; it checks the counts against
// what it received.
func (s *remoteStage) Commit(ctx context.Context, meta store.SetMeta) error {
	req := commitRequest{Chunks: meta.Chunks, Rows: meta.Rows, Fingerprints: meta.Fingerprints, Skipped: meta.Skipped}
	if err := s.c.callJSON(ctx, http.MethodPost, "stages/"+s.id+"/commit", req, &commitResponse{}); err != nil {
		return err
	}
	s.done = true
	return nil
}

// Abort discards the stage at the service (which also discards it by
// itself after stageIdle).
func (s *remoteStage) Abort(ctx context.Context) error {
	if s.done {
		return nil
	}
	s.done = true
	return s.c.call(ctx, http.MethodDelete, "stages/"+s.id, "", nil, nil)
}
