package main

// The key service: blind loading's server side, in the daemon's HTTP
// server when the config has a key_service section (and listen).
//
// A data owner who is not the monitor's operator loads its lost records
// without handing them over: its machine normalizes and blinds each field
// (leakwatch sets load --blind), this service evaluates the blinded
// elements under the OPRF key without learning anything about them, and
// the owner verifies the proof, unblinds, and uploads only fingerprints
// and refs. See docs/blind-loading.md for the trust model.
//
// Endpoints, all JSON except a chunk's body, all under /oprf/v1/:
//
//	GET    key                  the public key, its id and suite (no token:
//	                            publishing it lets owners pin it)
//	POST   stages               start a new version of a set: {set, fields,
//	                            source, id_pattern, forms} → {stage, salt,
//	                            key_id}
//	POST   stages/{id}/evaluate {kind, info, elements} → {elements, proof}
//	POST   stages/{id}/chunks?seq=N   one chunk of fingerprints and refs
//	POST   stages/{id}/commit   {chunks, rows, fingerprints, skipped}
//	DELETE stages/{id}          abort
//
// Every endpoint but key needs "Authorization: Bearer TOKEN", a token of
// the tokens file (see keyservice_tokens.go). A token may create stages only for the
// set names it is scoped to, and sees only its own stages. Evaluations are
// metered per token and UTC day in the store's KV (see quota below).
//
// Who draws the salt: this service, when a stage starts, and evaluations
// are bound to a stage. If owners chose salts, an owner could reuse the
// salt of another set (or of its own previous version) and so compute, at
// the rate limit, fingerprints that match a set already in the store —
// the guessing oracle the key service exists to deny — or make two sets'
// fingerprints of one value equal, so that the store shows which records
// two sets share. A fresh service-drawn salt per stage means a token only
// ever gets fingerprints under salts no committed set uses yet, and each
// committed set's salt is used by that set alone.
//
// Nothing here logs or stores a blinded element, an evaluated element or
// a token: logs carry the token's id, the set, the kind and counts.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/leakwatch/leakwatch/fingerprints"
	"github.com/leakwatch/leakwatch/store"
)

// keyServiceConfig is the daemon config's key_service section.
type keyServiceConfig struct {
	// OPRFKey is the service's secret key (leakwatch keygen --oprf).
	OPRFKey string `yaml:"oprf_key"`
	// Tokens is the owners' tokens file (leakwatch keygen --token).
	Tokens string `yaml:"tokens"`
	// EvaluationsPerDay is each token's budget of evaluated elements per
	// UTC day, unless its line in the tokens file sets its own.
	EvaluationsPerDay int64 `yaml:"evaluations_per_day"`
}

// defaultEvaluationsPerDay is the budget when the config sets none: a set
// of 200,000 records of five fields a day.
const defaultEvaluationsPerDay = 1_000_000

func (c *keyServiceConfig) validate() error {
	var errs []error
	if c.OPRFKey == "" {
		errs = append(errs, errors.New("key_service: oprf_key is required (create one with 'leakwatch keygen --oprf PATH')"))
	}
	if c.Tokens == "" {
		errs = append(errs, errors.New("key_service: tokens is required (add owners with 'leakwatch keygen --token OWNER --tokens PATH')"))
	}
	if c.EvaluationsPerDay == 0 {
		c.EvaluationsPerDay = defaultEvaluationsPerDay
	}
	if c.EvaluationsPerDay < 1 {
		errs = append(errs, fmt.Errorf("key_service: evaluations_per_day: %d must be at least 1", c.EvaluationsPerDay))
	}
	return errors.Join(errs...)
}

// Limits of the key service.
const (
	oprfPrefix       = "/oprf/v1/"
	maxJSONBody      = 64 << 10
	maxEvaluateBody  = 512 << 10 // MaxOPRFBatch elements of 44 base64 bytes, with room
	maxChunkBody     = 16 << 20  // a chunk of 8192 records of 64 fields and 256-byte refs fits
	stageIdle        = 30 * time.Minute
	maxStagesPerTok  = 4
	maxStages        = 64
	quotaBucket      = "oprfquota"
	quotaTTL         = 48 * time.Hour
	maxSkipReasons   = 100
	maxSourceLen     = 300
	maxReasonLen     = 300
	maxIDPatternLen  = 1000
	maxFormsVersion  = 1000 // a loader's forms version: bounded, not checked against ours
	stageIDBytes     = 16
	keyServiceSuite  = "P256-SHA256"
	keyServiceOPRFv1 = "poprf"
)

// keyService serves /oprf/v1/.
type keyService struct {
	key    *fingerprints.OPRFKey
	st     store.Store
	tokens *tokenSet
	perDay int64
	log    *slog.Logger
	now    func() time.Time

	mu     sync.Mutex
	stages map[string]*ksStage
}

// ksStage is a set being loaded blind: the store's stage and what this
// service counted of the chunks uploaded to it.
type ksStage struct {
	mu      sync.Mutex // serializes chunks and the commit
	id      string
	owner   string // token id
	meta    store.SetMeta
	stage   store.SetStage
	chunks  int64
	rows    int64
	fps     int64
	counts  []int64
	evals   int64
	expires time.Time
	done    bool
}

// mountKeyService starts the key service of the daemon's config and mounts
// it in front of next. The OPRF key is the pipeline's (which matches the
// sets loaded blind with it), loaded here if the daemon was started
// without it.
func (d *daemon) mountKeyService(next http.Handler) (http.Handler, error) {
	if d.pipe.key.oprf == nil {
		e := &env{oprfKeyPath: d.cfg.KeyService.OPRFKey, dataDir: d.cfg.Data, redisURL: d.cfg.Redis, getenv: func(string) string { return "" }}
		k, err := e.loadOPRFKey()
		if err != nil {
			return nil, fmt.Errorf("key_service: %w", err)
		}
		d.pipe.key.oprf = k
	}
	ks, err := newKeyService(d.cfg.KeyService, d.pipe.key.oprf, d.st, d.pipe.log)
	if err != nil {
		return nil, err
	}
	return ks.mount(next), nil
}

// newKeyService loads the tokens file and returns the service.
func newKeyService(cfg *keyServiceConfig, key *fingerprints.OPRFKey, st store.Store, log *slog.Logger) (*keyService, error) {
	if key == nil {
		return nil, errors.New("key_service: no oprf key loaded")
	}
	toks, err := loadTokens(cfg.Tokens)
	if err != nil {
		return nil, fmt.Errorf("key_service: %w", err)
	}
	ks := &keyService{key: key, st: st, tokens: toks, perDay: cfg.EvaluationsPerDay, log: log, now: time.Now, stages: map[string]*ksStage{}}
	if ks.perDay <= 0 {
		ks.perDay = defaultEvaluationsPerDay
	}
	log.Info("key service ready", "key_id", hex.EncodeToString(key.ID()), "owners", len(toks.entries), "evaluations_per_day", ks.perDay)
	return ks, nil
}

// mount serves the key service's paths and hands every other request to
// next. The key service is not behind the status page's guard: it takes
// POST, and its own bearer tokens protect it (a browser cannot send them
// cross-origin, so DNS rebinding gains nothing).
func (ks *keyService) mount(next http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+oprfPrefix+"key", ks.serveKey)
	mux.HandleFunc("POST "+oprfPrefix+"stages", ks.auth(maxJSONBody, ks.serveStage))
	mux.HandleFunc("POST "+oprfPrefix+"stages/{id}/evaluate", ks.auth(maxEvaluateBody, ks.serveEvaluate))
	mux.HandleFunc("POST "+oprfPrefix+"stages/{id}/chunks", ks.auth(maxChunkBody, ks.serveChunk))
	mux.HandleFunc("POST "+oprfPrefix+"stages/{id}/commit", ks.auth(maxJSONBody, ks.serveCommit))
	mux.HandleFunc("DELETE "+oprfPrefix+"stages/{id}", ks.auth(0, ks.serveAbort))
	mux.HandleFunc("/oprf/", func(w http.ResponseWriter, r *http.Request) {
		ksError(w, http.StatusNotFound, "not_found", "no key service endpoint %s %s", r.Method, r.URL.Path)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/oprf/") {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		h.Set("Referrer-Policy", "no-referrer")
		mux.ServeHTTP(w, r)
	})
}

// ksErrorBody is every error's JSON.
type ksErrorBody struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

func ksError(w http.ResponseWriter, status int, code, format string, a ...any) {
	writeJSON(w, status, ksErrorBody{Error: fmt.Sprintf(format, a...), Code: code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// auth checks the bearer token and caps the body, then calls h.
func (ks *keyService) auth(maxBody int64, h func(http.ResponseWriter, *http.Request, *tokenEntry)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		var ent *tokenEntry
		if ok {
			ent = ks.tokens.lookup(strings.TrimSpace(tok))
		}
		if ent == nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="leakwatch key service"`)
			ksError(w, http.StatusUnauthorized, "unauthorized", "missing or unknown token")
			ks.log.Warn("key service: request without a valid token", "path", r.URL.Path, "remote", r.RemoteAddr)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, max(maxBody, 1))
		h(w, r, ent)
	}
}

// readJSON decodes the body into v, refusing unknown fields and trailing
// data; it writes the error response itself and reports success.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("trailing data after the JSON object")
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			ksError(w, http.StatusRequestEntityTooLarge, "too_large", "request body larger than %d bytes", mbe.Limit)
			return false
		}
		// json errors quote field names and types, never a value.
		ksError(w, http.StatusBadRequest, "bad_request", "malformed request: %v", err)
		return false
	}
	return true
}

// keyResponse is GET /oprf/v1/key.
type keyResponse struct {
	Suite     string `json:"suite"`
	Mode      string `json:"mode"`
	PublicKey []byte `json:"public_key"` // base64
	KeyID     string `json:"key_id"`     // hex
	MaxBatch  int    `json:"max_batch"`
}

func (ks *keyService) serveKey(w http.ResponseWriter, r *http.Request) {
	pub, err := ks.key.Public().MarshalBinary()
	if err != nil {
		ksError(w, http.StatusInternalServerError, "internal", "encoding the public key")
		return
	}
	writeJSON(w, http.StatusOK, keyResponse{Suite: keyServiceSuite, Mode: keyServiceOPRFv1, PublicKey: pub,
		KeyID: hex.EncodeToString(ks.key.ID()), MaxBatch: fingerprints.MaxOPRFBatch})
}

// stageRequest starts a blind load.
type stageRequest struct {
	Set       string            `json:"set"`
	Fields    []store.FieldSpec `json:"fields"`
	Source    string            `json:"source"`
	IDPattern string            `json:"id_pattern"`
	// Forms is the loader's fingerprints.FormsVersion: the owner
	// normalizes, so the set's forms are the loader's (0 from loaders
	// before it was sent, which wrote version 1).
	Forms int `json:"forms,omitempty"`
}

// stageResponse answers it.
type stageResponse struct {
	Stage   string    `json:"stage"`
	Salt    []byte    `json:"salt"` // base64
	KeyID   string    `json:"key_id"`
	Expires time.Time `json:"expires"`
}

var sourceRe = regexp.MustCompile(`^[^\x00-\x1f\x7f]*$`)

func (ks *keyService) serveStage(w http.ResponseWriter, r *http.Request, tok *tokenEntry) {
	var req stageRequest
	if !readJSON(w, r, &req) {
		return
	}
	if err := validSetName(req.Set); err != nil {
		ksError(w, http.StatusBadRequest, "bad_request", "%v", err)
		return
	}
	if !tok.allows(req.Set) {
		ksError(w, http.StatusForbidden, "forbidden", "token %q may not load set %q", tok.id, req.Set)
		ks.log.Warn("key service: set outside the token's scope", "token", tok.id, "set", req.Set)
		return
	}
	if err := checkStageFields(req); err != nil {
		ksError(w, http.StatusBadRequest, "bad_request", "%v", err)
		return
	}
	ctx := r.Context()
	if cur, err := ks.st.GetSet(ctx, req.Set); err == nil && cur.Mode != fingerprints.ModeOPRF {
		ksError(w, http.StatusConflict, "conflict", "set %q exists and is %s (loaded by the operator): a blind load cannot replace it; the operator must remove it first", req.Set, cur.Mode)
		return
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		ks.log.Error("key service: reading set", "set", req.Set, "err", err)
		ksError(w, http.StatusServiceUnavailable, "unavailable", "store unavailable; try again later")
		return
	}
	ks.sweep(context.WithoutCancel(ctx))
	ks.mu.Lock()
	mine := 0
	for _, s := range ks.stages {
		if s.owner == tok.id {
			mine++
		}
	}
	full := mine >= maxStagesPerTok || len(ks.stages) >= maxStages
	ks.mu.Unlock()
	if full {
		w.Header().Set("Retry-After", strconv.Itoa(int(stageIdle.Seconds())))
		ksError(w, http.StatusTooManyRequests, "too_many_stages", "too many blind loads in progress (at most %d per token); finish or abort one", maxStagesPerTok)
		return
	}
	salt, err := fingerprints.NewSalt()
	if err != nil {
		ksError(w, http.StatusInternalServerError, "internal", "drawing a salt")
		return
	}
	idb := make([]byte, stageIDBytes)
	rand.Read(idb)
	meta := store.SetMeta{Name: req.Set, Mode: fingerprints.ModeOPRF, Salt: salt, KeyID: ks.key.ID(),
		IDPattern: req.IDPattern, Fields: req.Fields, Source: req.Source, Forms: req.Forms, Created: ks.now().UTC()}
	for i := range meta.Fields {
		meta.Fields[i].Count = 0
	}
	stage, err := ks.st.StageSet(ctx, meta)
	if err != nil {
		ks.log.Error("key service: staging set", "set", req.Set, "err", err)
		ksError(w, http.StatusServiceUnavailable, "unavailable", "store unavailable; try again later")
		return
	}
	s := &ksStage{id: hex.EncodeToString(idb), owner: tok.id, meta: meta, stage: stage, counts: make([]int64, len(meta.Fields)),
		expires: ks.now().Add(stageIdle)}
	ks.mu.Lock()
	ks.stages[s.id] = s
	ks.mu.Unlock()
	ks.log.Info("key service: blind load started", "token", tok.id, "set", req.Set, "fields", len(req.Fields))
	writeJSON(w, http.StatusCreated, stageResponse{Stage: s.id, Salt: salt, KeyID: hex.EncodeToString(ks.key.ID()), Expires: s.expires})
}

// checkStageFields checks the set's columns, source and id pattern.
func checkStageFields(req stageRequest) error {
	if len(req.Fields) == 0 || len(req.Fields) > fingerprints.MaxColumns {
		return fmt.Errorf("a set has 1 to %d fields, not %d", fingerprints.MaxColumns, len(req.Fields))
	}
	for i, f := range req.Fields {
		if _, err := fingerprints.ParseKind(f.Kind); err != nil {
			return fmt.Errorf("field %d: %w", i, err)
		}
		if f.Column == "" || len(f.Column) > 200 || !utf8.ValidString(f.Column) || !sourceRe.MatchString(f.Column) {
			return fmt.Errorf("field %d: column name must be 1 to 200 bytes of printable text", i)
		}
	}
	if len(req.Source) > maxSourceLen || !utf8.ValidString(req.Source) || !sourceRe.MatchString(req.Source) {
		return fmt.Errorf("source must be at most %d bytes of printable text", maxSourceLen)
	}
	if req.Forms < 0 || req.Forms > maxFormsVersion {
		return fmt.Errorf("forms must be a version from 1 to %d", maxFormsVersion)
	}
	if len(req.IDPattern) > maxIDPatternLen {
		return fmt.Errorf("id_pattern is longer than %d bytes", maxIDPatternLen)
	}
	if req.IDPattern != "" {
		if _, err := regexp.Compile(req.IDPattern); err != nil {
			return fmt.Errorf("id_pattern: %w", err)
		}
	}
	return nil
}

// stageOf returns the token's live stage named in the path, or writes a
// 404 (a stage of another token is not found either).
func (ks *keyService) stageOf(w http.ResponseWriter, r *http.Request, tok *tokenEntry) *ksStage {
	ks.mu.Lock()
	s := ks.stages[r.PathValue("id")]
	live := s != nil && s.owner == tok.id && !ks.now().After(s.expires)
	ks.mu.Unlock()
	if !live {
		ksError(w, http.StatusNotFound, "no_stage", "no such blind load in progress (it may have expired after %s idle)", stageIdle)
		return nil
	}
	return s
}

// touch extends the stage's idle deadline.
func (ks *keyService) touch(s *ksStage) {
	ks.mu.Lock()
	s.expires = ks.now().Add(stageIdle)
	ks.mu.Unlock()
}

// sweep aborts stages idle for longer than stageIdle.
func (ks *keyService) sweep(ctx context.Context) {
	now := ks.now()
	var old []*ksStage
	ks.mu.Lock()
	for id, s := range ks.stages {
		if now.After(s.expires) {
			old = append(old, s)
			delete(ks.stages, id)
		}
	}
	ks.mu.Unlock()
	for _, s := range old {
		s.mu.Lock()
		if !s.done {
			s.done = true
			if err := s.stage.Abort(ctx); err != nil {
				ks.log.Warn("key service: aborting an expired blind load", "set", s.meta.Name, "err", err)
			}
		}
		s.mu.Unlock()
		ks.log.Info("key service: blind load expired", "token", s.owner, "set", s.meta.Name)
	}
}

// evaluateRequest is one batch of blinded elements of one kind.
type evaluateRequest struct {
	Kind     string   `json:"kind"`
	Info     []byte   `json:"info"`     // base64; must be the stage's
	Elements [][]byte `json:"elements"` // base64 compressed points
}

type evaluateResponse struct {
	Elements [][]byte `json:"elements"`
	Proof    []byte   `json:"proof"`
}

func (ks *keyService) serveEvaluate(w http.ResponseWriter, r *http.Request, tok *tokenEntry) {
	s := ks.stageOf(w, r, tok)
	if s == nil {
		return
	}
	var req evaluateRequest
	if !readJSON(w, r, &req) {
		return
	}
	kind, err := fingerprints.ParseKind(req.Kind)
	if err != nil {
		ksError(w, http.StatusBadRequest, "bad_request", "%v", err)
		return
	}
	info, err := fingerprints.OPRFInfo(s.meta.Salt, kind)
	if err != nil {
		ksError(w, http.StatusInternalServerError, "internal", "stage info: %v", err)
		return
	}
	if req.Info != nil && string(req.Info) != string(info) {
		ksError(w, http.StatusBadRequest, "bad_info", "info is not this stage's info for kind %s", kind)
		return
	}
	n := len(req.Elements)
	if n == 0 || n > fingerprints.MaxOPRFBatch {
		ksError(w, http.StatusBadRequest, "bad_batch", "a batch has 1 to %d elements, not %d", fingerprints.MaxOPRFBatch, n)
		return
	}
	// Charge the whole batch before evaluating any of it: over the
	// budget, nothing is evaluated.
	used, limit, err := ks.charge(r.Context(), tok, int64(n))
	var over *quotaError
	if errors.As(err, &over) {
		w.Header().Set("Retry-After", strconv.Itoa(int(over.retryAfter.Seconds()+0.999)))
		ksError(w, http.StatusTooManyRequests, "rate_limited", "rate limit: this batch of %d would take token %q past its %d evaluations per day (%d used today); retry after %s",
			n, tok.id, limit, over.used, over.retryAfter.Round(time.Minute))
		ks.log.Warn("key service: rate limit", "token", tok.id, "set", s.meta.Name, "elements", n, "used", over.used, "limit", limit)
		return
	}
	if err != nil {
		ks.log.Error("key service: metering", "token", tok.id, "err", err)
		ksError(w, http.StatusServiceUnavailable, "unavailable", "store unavailable; try again later")
		return
	}
	ev, proof, err := ks.key.Evaluate(req.Elements, info)
	if err != nil {
		// The error names the element's index, never its bytes.
		ksError(w, http.StatusBadRequest, "bad_elements", "%v", err)
		return
	}
	ks.touch(s)
	s.mu.Lock()
	s.evals += int64(n)
	s.mu.Unlock()
	ks.log.Debug("key service: evaluated", "token", tok.id, "set", s.meta.Name, "kind", kind.String(), "elements", n, "used_today", used)
	writeJSON(w, http.StatusOK, evaluateResponse{Elements: ev, Proof: proof})
}

// quotaError is a batch over the token's daily budget.
type quotaError struct {
	used       int64
	retryAfter time.Duration
}

func (q *quotaError) Error() string { return "over the daily budget" }

// charge adds n evaluations to the token's count for the current UTC day,
// atomically in the store (so every daemon on one Redis shares the
// budget), unless that would pass its limit: then nothing is added and the
// error is a *quotaError. It returns the count after the charge.
//
// The window is the UTC calendar day, a fixed window: simple to share
// through the store and to explain to an owner, at the price that up to
// twice the budget can pass in the hours around midnight. The budget is
// about enumeration (see docs/blind-loading.md), where a factor of two
// does not change the order of magnitude.
func (ks *keyService) charge(ctx context.Context, tok *tokenEntry, n int64) (used, limit int64, err error) {
	limit = ks.perDay
	if tok.perDay > 0 {
		limit = tok.perDay
	}
	now := ks.now().UTC()
	key := tok.id + "/" + now.Format("2006-01-02")
	err = ks.st.Update(ctx, quotaBucket, key, func(old []byte, exists bool) ([]byte, bool, time.Duration, error) {
		var cur int64
		if exists {
			c, perr := strconv.ParseInt(string(old), 10, 64)
			if perr != nil {
				return nil, false, 0, fmt.Errorf("corrupt quota count for token %q", tok.id)
			}
			cur = c
		}
		if cur+n > limit {
			midnight := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, time.UTC)
			return nil, false, 0, &quotaError{used: cur, retryAfter: midnight.Sub(now)}
		}
		used = cur + n
		return strconv.AppendInt(nil, used, 10), true, quotaTTL, nil
	})
	return used, limit, err
}

func (ks *keyService) serveChunk(w http.ResponseWriter, r *http.Request, tok *tokenEntry) {
	s := ks.stageOf(w, r, tok)
	if s == nil {
		return
	}
	seq, err := strconv.ParseInt(r.URL.Query().Get("seq"), 10, 64)
	if err != nil {
		ksError(w, http.StatusBadRequest, "bad_request", "seq must be the chunk's number, from 0")
		return
	}
	chunk, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			ksError(w, http.StatusRequestEntityTooLarge, "too_large", "chunk larger than %d bytes", mbe.Limit)
			return
		}
		ksError(w, http.StatusBadRequest, "bad_request", "reading chunk: %v", err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		ksError(w, http.StatusNotFound, "no_stage", "blind load already finished")
		return
	}
	if seq != s.chunks {
		ksError(w, http.StatusConflict, "bad_seq", "chunk %d out of order: expected chunk %d", seq, s.chunks)
		return
	}
	counts := make([]int64, len(s.counts))
	recs, fps, err := fingerprints.CheckChunk(chunk, s.meta.Fields, counts)
	if err != nil {
		ksError(w, http.StatusBadRequest, "bad_chunk", "chunk %d: %v", seq, err)
		return
	}
	if s.rows+recs > fingerprints.MaxRows {
		ksError(w, http.StatusBadRequest, "too_large", "more than %d rows; split the set", fingerprints.MaxRows)
		return
	}
	if err := s.stage.Append(r.Context(), chunk); err != nil {
		ks.log.Error("key service: storing chunk", "set", s.meta.Name, "err", err)
		ksError(w, http.StatusServiceUnavailable, "unavailable", "store unavailable; the load must start again")
		return
	}
	s.chunks++
	s.rows += recs
	s.fps += fps
	for i := range counts {
		s.counts[i] += counts[i]
	}
	ks.touch(s)
	ks.log.Debug("key service: chunk stored", "token", tok.id, "set", s.meta.Name, "seq", seq, "records", recs)
	writeJSON(w, http.StatusOK, map[string]int64{"chunks": s.chunks, "rows": s.rows})
}

// commitRequest finishes a blind load; the counts are the owner's, which
// must agree with what the service received.
type commitRequest struct {
	Chunks       int64            `json:"chunks"`
	Rows         int64            `json:"rows"`
	Fingerprints int64            `json:"fingerprints"`
	Skipped      map[string]int64 `json:"skipped"`
}

type commitResponse struct {
	Set          string `json:"set"`
	Version      string `json:"version"`
	Rows         int64  `json:"rows"`
	Fingerprints int64  `json:"fingerprints"`
	KeyID        string `json:"key_id"`
}

func (ks *keyService) serveCommit(w http.ResponseWriter, r *http.Request, tok *tokenEntry) {
	s := ks.stageOf(w, r, tok)
	if s == nil {
		return
	}
	var req commitRequest
	if !readJSON(w, r, &req) {
		return
	}
	if len(req.Skipped) > maxSkipReasons {
		ksError(w, http.StatusBadRequest, "bad_request", "more than %d skip reasons", maxSkipReasons)
		return
	}
	for reason, n := range req.Skipped {
		if len(reason) > maxReasonLen || !utf8.ValidString(reason) || !sourceRe.MatchString(reason) || n < 0 {
			ksError(w, http.StatusBadRequest, "bad_request", "malformed skip reason")
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		ksError(w, http.StatusNotFound, "no_stage", "blind load already finished")
		return
	}
	if req.Chunks != s.chunks || req.Rows != s.rows || req.Fingerprints != s.fps {
		ksError(w, http.StatusConflict, "mismatch", "the service received %d chunks, %d rows, %d fingerprints; the loader sent %d, %d, %d",
			s.chunks, s.rows, s.fps, req.Chunks, req.Rows, req.Fingerprints)
		return
	}
	if s.rows == 0 {
		ksError(w, http.StatusBadRequest, "empty", "no records uploaded")
		return
	}
	meta := s.meta
	meta.Fields = append([]store.FieldSpec(nil), s.meta.Fields...)
	for i := range meta.Fields {
		meta.Fields[i].Count = s.counts[i]
	}
	meta.Rows, meta.Fingerprints, meta.Chunks = s.rows, s.fps, s.chunks
	if len(req.Skipped) > 0 {
		meta.Skipped = req.Skipped
	}
	if err := s.stage.Commit(r.Context(), meta); err != nil {
		ks.log.Error("key service: committing set", "set", meta.Name, "err", err)
		ksError(w, http.StatusServiceUnavailable, "unavailable", "store unavailable; the load must start again")
		return
	}
	s.done = true
	ks.mu.Lock()
	delete(ks.stages, s.id)
	ks.mu.Unlock()
	cur, err := ks.st.GetSet(r.Context(), meta.Name)
	version := ""
	if err == nil {
		version = cur.Version
	}
	ks.log.Info("key service: blind set committed", "token", tok.id, "set", meta.Name, "rows", meta.Rows, "fingerprints", meta.Fingerprints, "evaluations", s.evals)
	writeJSON(w, http.StatusOK, commitResponse{Set: meta.Name, Version: version, Rows: meta.Rows, Fingerprints: meta.Fingerprints, KeyID: hex.EncodeToString(meta.KeyID)})
}

func (ks *keyService) serveAbort(w http.ResponseWriter, r *http.Request, tok *tokenEntry) {
	s := ks.stageOf(w, r, tok)
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.done {
		s.done = true
		if err := s.stage.Abort(context.WithoutCancel(r.Context())); err != nil {
			ks.log.Warn("key service: aborting blind load", "set", s.meta.Name, "err", err)
		}
	}
	ks.mu.Lock()
	delete(ks.stages, s.id)
	ks.mu.Unlock()
	ks.log.Info("key service: blind load aborted by the owner", "token", tok.id, "set", s.meta.Name)
	w.WriteHeader(http.StatusNoContent)
}
