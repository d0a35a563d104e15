package fingerprints

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/leakwatch/leakwatch/store"
)

// The owner's side of blind loading: LoadBlind reads and normalizes the
// owner's file with the same code as Load, but instead of hashing each
// field under a local key it batches the normalized values of each kind,
// blinds them (BlindFields), has the key service evaluate them through an
// OPRFEvaluator, verifies the service's proof (BlindedBatch.Finalize) and
// only then builds records. Chunks of fingerprints and refs go to the key
// service's stage, which commits the set atomically. No value, blinded or
// not, is ever written anywhere: the normalized values of at most one
// window of rows live in memory until their batch is finalized.
//
// Package fingerprints holds no HTTP: the caller implements BlindStager
// and BlindStage over whatever transport it speaks to the key service.

// DefaultBlindBatch is how many values of one kind go in one evaluation
// request unless BlindLoad.Batch says otherwise: large enough that the
// batched proof and the request overhead are small per element, small
// enough that a request takes well under a second on the service.
const DefaultBlindBatch = 1024

// DefaultBlindParallel is how many batches are in flight at once unless
// BlindLoad.Parallel says otherwise.
const DefaultBlindParallel = 4

// blindWindowRows is how many rows a blind load holds before it has their
// fields evaluated: one chunk's worth (a variable for tests).
var blindWindowRows = chunkRecords

// maxPendingBytes bounds the normalized values and refs a blind load holds
// while their batches are evaluated.
const maxPendingBytes = 16 << 20

// OPRFEvaluator is the key service as the owner's loader sees it: it
// evaluates one batch of blinded elements of one kind under the stage's
// public info, returning the evaluated elements in order and the batched
// proof. It sees only blinded elements, never a value.
type OPRFEvaluator interface {
	EvaluateBlinded(ctx context.Context, kind Kind, info []byte, blinded [][]byte) (evaluated [][]byte, proof []byte, err error)
}

// BlindStage is one new version of a set being loaded blind: a store stage
// at the key service (Append uploads a chunk of fingerprints and refs,
// Commit publishes the set, Abort discards it) that can also evaluate
// batches under the set's salt.
type BlindStage interface {
	store.SetStage
	OPRFEvaluator
	// Salt is the set salt the key service drew for this stage.
	Salt() []byte
}

// BlindStager starts blind stages at the key service.
type BlindStager interface {
	// StageBlindSet starts a new version of the set meta describes (name,
	// fields, source; no salt). The key service draws the salt.
	StageBlindSet(ctx context.Context, meta store.SetMeta) (BlindStage, error)
}

// BlindLoad says where a blind load goes.
type BlindLoad struct {
	// Service stages the set at the key service.
	Service BlindStager
	// Public is the key service's public key, which every answer must
	// verify against. Fetch it once and, better, pin its ID.
	Public *OPRFPublicKey
	// Batch is the most values of one kind per evaluation (default
	// DefaultBlindBatch, at most MaxOPRFBatch).
	Batch int
	// Parallel is how many evaluations may be in flight at once (default
	// DefaultBlindParallel).
	Parallel int
}

// LoadBlind reads the owner's records from r like Load, but fingerprints
// them blind through the key service and uploads only fingerprints and
// refs to it. The load is atomic as Load's is: any error — an invalid row
// (named by file and line), the service refusing a batch, an answer whose
// proof does not verify (wrapping ErrOPRFProof) — aborts the stage, and
// the set's previous version stays current.
func LoadBlind(ctx context.Context, bl BlindLoad, r io.Reader, opts LoadOptions) (LoadResult, error) {
	if bl.Service == nil || bl.Public == nil {
		return LoadResult{}, errors.New("blind load needs a key service and its public key")
	}
	if bl.Batch <= 0 {
		bl.Batch = DefaultBlindBatch
	}
	if bl.Batch > MaxOPRFBatch {
		return LoadResult{}, fmt.Errorf("blind batch of %d values, more than %d", bl.Batch, MaxOPRFBatch)
	}
	if bl.Parallel <= 0 {
		bl.Parallel = DefaultBlindParallel
	}
	meta := store.SetMeta{Name: opts.Name, Mode: ModeOPRF, KeyID: bl.Public.ID(), Forms: FormsVersion}
	return loadWith(ctx, &blindMode{bl: bl}, meta, r, opts)
}

// blindMode is the loadMode of LoadBlind.
type blindMode struct {
	bl BlindLoad
	st BlindStage // once staged
}

func (m *blindMode) stage(ctx context.Context, meta *store.SetMeta) (store.SetStage, error) {
	st, err := m.bl.Service.StageBlindSet(ctx, *meta)
	if err != nil {
		return nil, err
	}
	salt := st.Salt()
	if _, err := OPRFInfo(salt, Email); err != nil {
		st.Abort(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("key service gave an unusable salt: %w", err)
	}
	meta.Salt = salt
	m.st = st
	return st, nil
}

// prefiltered is false: prefilter values need the local key.
func (m *blindMode) prefiltered() bool { return false }

func (m *blindMode) sink(ctx context.Context, meta *store.SetMeta, emit func(ref []byte, recs []Field) error) fieldSink {
	return &blindSink{ctx: ctx, bl: m.bl, ev: m.st, salt: meta.Salt, set: meta.Name, emit: emit}
}

// blindSink holds accepted rows with their fields' normalized values until
// a window is full, then fingerprints the window's values kind by kind in
// batches through the key service and emits the rows in order.
type blindSink struct {
	ctx  context.Context
	bl   BlindLoad
	ev   OPRFEvaluator
	salt []byte
	set  string
	emit func(ref []byte, recs []Field) error

	// The window: rows, their fields, and an arena holding each field's
	// normalized value and each row's ref.
	rows   []pendingRow
	fields []Field
	vals   []valSpan // vals[i] is the normalized value of fields[i]
	arena  []byte
	// cur counts the fields added for the row in progress.
	cur int

	batches int // batches sent so far, to name one in errors
}

type pendingRow struct {
	ref          valSpan
	first, count int // its fields: fields[first : first+count]
}

type valSpan struct{ off, n int }

func (s *blindSink) add(f *Field, normalized []byte) {
	s.vals = append(s.vals, valSpan{len(s.arena), len(normalized)})
	s.arena = append(s.arena, normalized...)
	s.fields = append(s.fields, *f)
	s.cur++
}

func (s *blindSink) drop() {
	first := len(s.fields) - s.cur
	if s.cur > 0 {
		s.arena = s.arena[:s.vals[first].off]
	}
	s.fields, s.vals = s.fields[:first], s.vals[:first]
	s.cur = 0
}

func (s *blindSink) row(ref []byte, recs []Field) error {
	if s.cur != len(recs) {
		// The loader adds every field of recs through add; anything else
		// is a bug that would misalign fingerprints and rows.
		panic(fmt.Sprintf("fingerprints: blind sink got %d fields for a row of %d", s.cur, len(recs)))
	}
	r := pendingRow{ref: valSpan{len(s.arena), len(ref)}, first: len(s.fields) - s.cur, count: s.cur}
	s.arena = append(s.arena, ref...)
	s.rows = append(s.rows, r)
	s.cur = 0
	if len(s.rows) >= blindWindowRows || len(s.arena) >= maxPendingBytes {
		return s.resolve()
	}
	return nil
}

func (s *blindSink) finish() error { return s.resolve() }

// blindJob is one evaluation request: values of one kind, by field index.
type blindJob struct {
	seq  int
	kind Kind
	idx  []int
}

// resolve fingerprints every pending field, then emits the pending rows in
// order and empties the window.
func (s *blindSink) resolve() error {
	if len(s.rows) == 0 {
		return nil
	}
	var byKind [numKinds][]int
	for i, f := range s.fields {
		byKind[f.Kind] = append(byKind[f.Kind], i)
	}
	var jobs []blindJob
	for k := Email; k < numKinds; k++ {
		for idx := byKind[k]; len(idx) > 0; {
			n := min(len(idx), s.bl.Batch)
			s.batches++
			jobs = append(jobs, blindJob{seq: s.batches, kind: k, idx: idx[:n]})
			idx = idx[n:]
		}
	}
	if err := s.runJobs(jobs); err != nil {
		return err
	}
	for _, r := range s.rows {
		if err := s.emit(s.arena[r.ref.off:r.ref.off+r.ref.n], s.fields[r.first:r.first+r.count]); err != nil {
			return err
		}
	}
	clear(s.arena) // the window's values, gone from memory as soon as done
	s.rows, s.fields, s.vals, s.arena = s.rows[:0], s.fields[:0], s.vals[:0], s.arena[:0]
	return nil
}

// runJobs runs the jobs with up to Parallel in flight, stopping at the
// first error, which it returns.
func (s *blindSink) runJobs(jobs []blindJob) error {
	ctx, cancel := context.WithCancelCause(s.ctx)
	defer cancel(nil)
	work := make(chan blindJob)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for range min(s.bl.Parallel, len(jobs)) {
		wg.Go(func() {
			for j := range work {
				if err := s.runJob(ctx, j); err != nil {
					once.Do(func() { first = err; cancel(err) })
				}
			}
		})
	}
feed:
	for _, j := range jobs {
		select {
		case work <- j:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if first != nil {
		return first
	}
	return s.ctx.Err()
}

// runJob blinds one batch, has it evaluated and verifies the answer before
// writing the fingerprints into the job's fields.
func (s *blindSink) runJob(ctx context.Context, j blindJob) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	values := make([][]byte, len(j.idx))
	for i, fi := range j.idx {
		v := s.vals[fi]
		values[i] = s.arena[v.off : v.off+v.n]
	}
	b, err := BlindFields(s.bl.Public, s.salt, j.kind, values)
	if err != nil {
		return fmt.Errorf("set %q: batch %d (%d %s values): %w", s.set, j.seq, len(values), j.kind, err)
	}
	evaluated, proof, err := s.ev.EvaluateBlinded(ctx, j.kind, b.Info(), b.Elements())
	if err != nil {
		return fmt.Errorf("set %q: batch %d (%d %s values): %w", s.set, j.seq, len(values), j.kind, err)
	}
	fps, err := b.Finalize(evaluated, proof)
	if err != nil {
		return fmt.Errorf("set %q: batch %d (%d %s values): %w", s.set, j.seq, len(values), j.kind, err)
	}
	for i, fi := range j.idx {
		s.fields[fi].FP = fps[i]
	}
	return nil
}

// CheckChunk checks that chunk is a well-formed chunk of records whose
// fields all belong to the given columns, each with its column's kind and
// strength: what a key service verifies of a chunk an owner uploads,
// since it cannot check the fingerprints themselves. It returns the number
// of records and fingerprints, and adds each column's value count (a field
// counts once per record, as Load counts it) to counts, which must have
// one entry per column.
func CheckChunk(chunk []byte, cols []store.FieldSpec, counts []int64) (records, fingerprints int64, err error) {
	if len(counts) != len(cols) {
		return 0, 0, errors.New("counts and columns differ in length")
	}
	kinds := make([]Kind, len(cols))
	for i, c := range cols {
		if kinds[i], err = ParseKind(c.Kind); err != nil {
			return 0, 0, fmt.Errorf("column %d: %w", i, err)
		}
	}
	add := make([]int64, len(cols))
	pre, err := decodeChunk(chunk, func(ref []byte, fields []Field) error {
		if len(ref) == 0 {
			return fmt.Errorf("%w: record %d: empty ref", errChunk, records)
		}
		if len(fields) == 0 {
			return fmt.Errorf("%w: record %d: no field", errChunk, records)
		}
		for i, f := range fields {
			if int(f.Col) >= len(cols) || f.Kind != kinds[f.Col] || f.Strong != cols[f.Col].Strong {
				return fmt.Errorf("%w: record %d: field %d does not fit the set's columns", errChunk, records, i)
			}
			if i > 0 && f.Col < fields[i-1].Col {
				return fmt.Errorf("%w: record %d: fields out of column order", errChunk, records)
			}
			if i == 0 || f.Col != fields[i-1].Col {
				add[f.Col]++
			}
			fingerprints++
		}
		records++
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	if pre {
		// Prefilter values need the local key, which a blind loader does
		// not have: whatever it sent there would be made up.
		return 0, 0, fmt.Errorf("%w: a blind chunk carries prefilter values", errChunk)
	}
	for i := range add {
		counts[i] += add[i]
	}
	return records, fingerprints, nil
}
