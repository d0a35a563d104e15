package fingerprints

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/leakwatch/leakwatch/store"
	"golang.org/x/text/transform"
)

// Limits that keep a load in bounded memory whatever the file holds.
const (
	maxLineBytes  = 1 << 20  // one physical line
	maxFieldBytes = 64 << 10 // one field
	chunkRecords  = 8192     // records per stored chunk
	sniffBytes    = 64 << 10 // sample for encoding detection
)

// LoadOptions says how to read an operator's file.
type LoadOptions struct {
	// Name is the set's name.
	Name string
	// Source names the input in errors and in the set's metadata (a path,
	// or "-" for standard input).
	Source string
	// Format is "csv", "tsv" or "jsonl"; empty means by Source's extension
	// (.tsv, .jsonl/.ndjson), else csv.
	Format string
	// Encoding is an encoding name (see LookupEncoding); empty means
	// detect it from the start of the input.
	Encoding string
	// NoHeader says the CSV/TSV file has no header row; the schema must
	// then use column numbers.
	NoHeader bool
	// Schema maps columns to kinds.
	Schema *Schema
	// IDPattern is a regular expression every `id` field must match
	// (whole); the matcher uses it to find ids in text.
	IDPattern string
	// SkipInvalid loads the valid rows and counts the others by reason,
	// instead of stopping at the first invalid row.
	SkipInvalid bool
	// Progress, if set, is called every few thousand rows and at the end.
	Progress func(Progress)
	// Logger receives progress and summary records (never a value).
	Logger *slog.Logger
}

// Progress reports how far a load has got.
type Progress struct {
	Rows    int64 // rows read (loaded or skipped)
	Bytes   int64 // input bytes consumed
	Skipped int64
	Done    bool
}

// RowError is an invalid row. Its text names the source, line and column,
// and never contains the value.
type RowError struct {
	Source string
	Line   int
	Column string // empty when the row as a whole is at fault
	Err    error
}

func (e *RowError) Error() string {
	if e.Column != "" {
		return fmt.Sprintf("%s:%d: column %q: %v", e.Source, e.Line, e.Column, e.Err)
	}
	return fmt.Sprintf("%s:%d: %v", e.Source, e.Line, e.Err)
}

func (e *RowError) Unwrap() error { return e.Err }

// reason is the error without its position, for counting skipped rows.
func (e *RowError) reason() string {
	if e.Column != "" {
		return fmt.Sprintf("column %q: %v", e.Column, e.Err)
	}
	return e.Err.Error()
}

// SetStager is the part of the store a load writes to.
type SetStager interface {
	StageSet(ctx context.Context, meta store.SetMeta) (store.SetStage, error)
}

// LoadResult is what a load did.
type LoadResult struct {
	Meta store.SetMeta
	// Unmapped lists header columns the schema did not mention; they
	// were not loaded.
	Unmapped []string
}

// Load reads the operator's records from r, fingerprints every mapped field
// under key with a fresh salt, and stores them as a new version of the set
// opts.Name. The load is atomic: until it commits, the previous version of
// the set stays current, and a failed or cancelled load leaves it untouched.
// Nothing raw is written anywhere: rows live in memory only until their
// fingerprints are computed.
func Load(ctx context.Context, st SetStager, key *Key, r io.Reader, opts LoadOptions) (LoadResult, error) {
	salt, err := NewSalt()
	if err != nil {
		return LoadResult{}, err
	}
	meta := store.SetMeta{Name: opts.Name, Mode: ModeKeyed, Salt: salt, KeyID: key.ID(), Forms: FormsVersion}
	return load(ctx, st, key.Keyed(salt), meta, r, opts)
}

func load(ctx context.Context, st SetStager, fpr Fingerprinter, meta store.SetMeta, r io.Reader, opts LoadOptions) (LoadResult, error) {
	return loadWith(ctx, keyedMode{st: st, fpr: fpr}, meta, r, opts)
}

// A loadMode is where a load's fingerprints come from and go to: the
// keyed mode hashes each field at once under the local key and writes to
// the local store; the blind mode (blind.go) batches fields through the
// key service and uploads to it.
type loadMode interface {
	// stage starts the new version; it may complete meta (the salt the
	// key service drew).
	stage(ctx context.Context, meta *store.SetMeta) (store.SetStage, error)
	// sink returns the fieldSink of the load, which hands finished
	// records to emit in the order of their rows.
	sink(ctx context.Context, meta *store.SetMeta, emit func(ref []byte, recs []Field) error) fieldSink
	// prefiltered reports whether the sink sets each field's prefilter
	// value (Field.Pre), which the chunks then carry.
	prefiltered() bool
}

// A fieldSink fingerprints the fields of each accepted row. For one row
// the loader calls add for each field, in order, then row, or drop if the
// row turned out invalid; finish at the end hands over every pending row.
type fieldSink interface {
	add(f *Field, normalized []byte)
	row(ref []byte, recs []Field) error
	drop()
	finish() error
}

type keyedMode struct {
	st  SetStager
	fpr Fingerprinter
}

func (m keyedMode) stage(ctx context.Context, meta *store.SetMeta) (store.SetStage, error) {
	return m.st.StageSet(ctx, *meta)
}

func (m keyedMode) sink(_ context.Context, _ *store.SetMeta, emit func(ref []byte, recs []Field) error) fieldSink {
	h := m.fpr.NewHasher()
	pre, _ := h.(PreHasher)
	return &keyedSink{h: h, pre: pre, emit: emit}
}

func (m keyedMode) prefiltered() bool {
	_, ok := m.fpr.NewHasher().(PreHasher)
	return ok
}

// keyedSink fingerprints each field as it comes and emits each row at once,
// with its pair fields (pair.go) when the set has a prefilter.
type keyedSink struct {
	h     Hasher
	pre   PreHasher // nil when the set has no prefilter
	emit  func(ref []byte, recs []Field) error
	pairs pairSink
}

func (s *keyedSink) add(f *Field, normalized []byte) {
	f.FP = s.h.Sum(f.Kind, normalized)
	if s.pre != nil {
		f.Pre = s.pre.Pre(f.Kind, normalized)
		s.pairs.add(f, normalized)
	}
}

func (s *keyedSink) row(ref []byte, recs []Field) error {
	if s.pre != nil {
		recs = s.pairs.appendPairs(recs, s.h, s.pre)
	}
	return s.emit(ref, recs)
}

func (s *keyedSink) drop()         { s.pairs.reset() }
func (s *keyedSink) finish() error { return nil }

func loadWith(ctx context.Context, mode loadMode, meta store.SetMeta, r io.Reader, opts LoadOptions) (LoadResult, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Schema == nil {
		return LoadResult{}, errors.New("no schema")
	}
	if opts.Source == "" {
		opts.Source = "input"
	}
	var idRe *regexp.Regexp
	if opts.IDPattern != "" {
		var err error
		if idRe, err = regexp.Compile(`^(?:` + opts.IDPattern + `)$`); err != nil {
			return LoadResult{}, fmt.Errorf("--id-pattern: %w", err)
		}
	}
	format, err := chooseFormat(opts.Format, opts.Source)
	if err != nil {
		return LoadResult{}, err
	}
	counter := &countingReader{r: r}
	br := bufio.NewReaderSize(counter, sniffBytes)
	encName := opts.Encoding
	if encName == "" {
		sample, err := br.Peek(sniffBytes)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
			return LoadResult{}, fmt.Errorf("reading %s: %w", opts.Source, err)
		}
		if len(sample) == 0 {
			return LoadResult{}, fmt.Errorf("%s is empty", opts.Source)
		}
		if encName, err = DetectEncoding(sample); err != nil {
			return LoadResult{}, fmt.Errorf("%s: %w; name it with --encoding", opts.Source, err)
		}
	}
	encName, enc, err := LookupEncoding(encName)
	if err != nil {
		return LoadResult{}, err
	}
	var text io.Reader = br
	if encName == "utf-8" {
		if bom, _ := br.Peek(3); string(bom) == "\ufeff" {
			br.Discard(3)
		}
	} else {
		text = transform.NewReader(br, enc.NewDecoder())
	}
	rows, err := newRowReader(format, &lineLimitReader{r: text}, opts)
	if err != nil {
		return LoadResult{}, err
	}

	// Resolve the schema against the header (or the first row's width).
	header, ncols, err := rows.header()
	if err != nil {
		return LoadResult{}, err
	}
	unmapped, err := opts.Schema.resolve(header, ncols)
	if err != nil {
		return LoadResult{}, fmt.Errorf("%s: %w", opts.Source, err)
	}
	type mapped struct {
		item  schemaItem
		field int // index in meta.Fields
	}
	var fields []mapped
	refCol := -1
	for _, it := range opts.Schema.items {
		switch {
		case it.isRef:
			refCol = it.col
		case it.kind != kindNone:
			name := it.sel
			if header != nil {
				name = header[it.col]
			}
			fields = append(fields, mapped{item: it, field: len(meta.Fields)})
			meta.Fields = append(meta.Fields, store.FieldSpec{Column: name, Kind: it.kind.String(), Strong: it.strong})
		}
	}
	meta.IDPattern = opts.IDPattern
	meta.Source = fmt.Sprintf("%s (%s, %s)", filepath.Base(opts.Source), format, encName)
	meta.Created = time.Now().UTC()

	stage, err := mode.stage(ctx, &meta)
	if err != nil {
		return LoadResult{}, fmt.Errorf("staging set %q: %w", opts.Name, err)
	}
	committed := false
	defer func() {
		if !committed {
			actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			if err := stage.Abort(actx); err != nil {
				opts.Logger.Warn("aborting staged set", "set", opts.Name, "err", err)
			}
		}
	}()

	var (
		chunk    chunkBuilder
		recs     []Field
		norm     []byte
		cell     []byte
		refBuf   []byte
		nrows    int64
		nskipped int64
		skipped  = map[string]int64{}
	)
	chunk.pre = mode.prefiltered()
	chunk.reset()
	flush := func() error {
		if chunk.count == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("load of set %q interrupted: %w", opts.Name, err)
		}
		if err := stage.Append(ctx, chunk.bytes()); err != nil {
			return fmt.Errorf("storing set %q: %w", opts.Name, err)
		}
		meta.Chunks++
		chunk.reset()
		return nil
	}
	report := func(done bool) {
		if opts.Progress != nil {
			opts.Progress(Progress{Rows: nrows + nskipped, Bytes: counter.n, Skipped: nskipped, Done: done})
		}
	}
	// emit adds a fingerprinted record to the chunk being built.
	emit := func(ref []byte, recs []Field) error {
		chunk.add(ref, recs)
		// A field counts once per value, however many fingerprints it
		// gave (a kana reading also gives its romaji).
		for i, f := range recs {
			if f.Kind == Pair {
				meta.Pairs++
				continue
			}
			if i == 0 || f.Col != recs[i-1].Col {
				meta.Fields[f.Col].Count++
			}
			meta.Fingerprints++
		}
		if chunk.count == chunkRecords {
			if err := flush(); err != nil {
				return err
			}
			report(false)
		}
		return nil
	}
	sink := mode.sink(ctx, &meta, emit)
	for {
		cells, line, rerr := rows.next()
		if rerr == io.EOF {
			break
		}
		var rowErr *RowError
		if rerr != nil && !errors.As(rerr, &rowErr) {
			return LoadResult{}, rerr
		}
		if rowErr == nil {
			recs = recs[:0]
			rowErr = func() *RowError {
				if len(cells) != ncols {
					return &RowError{Source: opts.Source, Line: line, Err: fmt.Errorf("wrong number of fields (got %d, want %d)", len(cells), ncols)}
				}
				for _, m := range fields {
					v := cells[m.item.col]
					col := meta.Fields[m.field].Column
					if err := checkCell(v, encName); err != nil {
						return &RowError{Source: opts.Source, Line: line, Column: col, Err: err}
					}
					v = strings.TrimSpace(v)
					if v == "" {
						continue
					}
					if m.item.kind == ID && idRe != nil && !idRe.MatchString(v) {
						return &RowError{Source: opts.Source, Line: line, Column: col, Err: errors.New("does not match --id-pattern")}
					}
					var err error
					cell = append(cell[:0], v...) // no allocation per field
					norm, err = AppendNormalized(norm[:0], m.item.kind, cell)
					if err != nil {
						return &RowError{Source: opts.Source, Line: line, Column: col, Err: err}
					}
					recs = append(recs, Field{Col: uint8(m.field), Kind: m.item.kind, Strong: m.item.strong})
					sink.add(&recs[len(recs)-1], norm)
					if m.item.kind == Name {
						// A spaced kana reading also matches its romaji.
						if rom, ok := kanaToRomaji(v); ok {
							if rn, err := AppendNormalized(norm[:0], Name, []byte(rom)); err == nil {
								norm = rn
								recs = append(recs, Field{Col: uint8(m.field), Kind: Name, Strong: m.item.strong})
								sink.add(&recs[len(recs)-1], norm)
							}
						}
					}
				}
				if len(recs) == 0 {
					return &RowError{Source: opts.Source, Line: line, Err: errors.New("no mapped field has a value")}
				}
				refBuf = refBuf[:0]
				if refCol >= 0 {
					refBuf = append(refBuf, strings.TrimSpace(cells[refCol])...)
					if err := checkCell(string(refBuf), encName); err != nil || len(refBuf) > maxRefLen || len(refBuf) == 0 {
						return &RowError{Source: opts.Source, Line: line, Column: "ref", Err: fmt.Errorf("ref must be 1 to %d bytes of valid text", maxRefLen)}
					}
				} else {
					refBuf = strconv.AppendInt(refBuf, int64(line), 10)
				}
				return nil
			}()
		}
		if rowErr != nil {
			sink.drop()
			if !opts.SkipInvalid {
				return LoadResult{}, rowErr
			}
			skipped[rowErr.reason()]++
			nskipped++
			continue
		}
		if nrows >= MaxRows {
			return LoadResult{}, fmt.Errorf("%s: more than %d rows; split the set", opts.Source, MaxRows)
		}
		nrows++
		if err := sink.row(refBuf, recs); err != nil {
			return LoadResult{}, err
		}
	}
	if err := sink.finish(); err != nil {
		return LoadResult{}, err
	}
	if err := flush(); err != nil {
		return LoadResult{}, err
	}
	if nrows == 0 {
		if nskipped > 0 {
			return LoadResult{}, fmt.Errorf("%s: all %d rows are invalid; nothing loaded", opts.Source, nskipped)
		}
		return LoadResult{}, fmt.Errorf("%s has no data rows", opts.Source)
	}
	meta.Rows = nrows
	if len(skipped) > 0 {
		meta.Skipped = skipped
	}
	if err := ctx.Err(); err != nil {
		return LoadResult{}, fmt.Errorf("load of set %q interrupted: %w", opts.Name, err)
	}
	if err := stage.Commit(ctx, meta); err != nil {
		return LoadResult{}, fmt.Errorf("committing set %q: %w", opts.Name, err)
	}
	committed = true
	report(true)
	opts.Logger.Info("set loaded", "set", opts.Name, "rows", nrows, "fingerprints", meta.Fingerprints, "skipped", nskipped)
	return LoadResult{Meta: meta, Unmapped: unmapped}, nil
}

// checkCell rejects text that did not decode cleanly: invalid UTF-8 in a
// UTF-8 file, or replacement characters from a legacy decoder, which is
// what a file in mixed encodings looks like.
func checkCell(v, enc string) error {
	if len(v) > maxFieldBytes {
		return fmt.Errorf("field is %d bytes; the limit is %d", len(v), maxFieldBytes)
	}
	if enc == "utf-8" {
		if !utf8.ValidString(v) {
			return errors.New("not valid UTF-8 (is the file in mixed encodings? name the encoding with --encoding)")
		}
		return nil
	}
	if strings.ContainsRune(v, utf8.RuneError) {
		return fmt.Errorf("bytes that are not valid %s (is the file in mixed encodings?)", enc)
	}
	return nil
}

func chooseFormat(format, source string) (string, error) {
	switch strings.ToLower(format) {
	case "csv", "tsv", "jsonl":
		return strings.ToLower(format), nil
	case "ndjson", "json":
		return "jsonl", nil
	case "":
	default:
		return "", fmt.Errorf("unknown format %q (csv, tsv, jsonl)", format)
	}
	switch strings.ToLower(filepath.Ext(source)) {
	case ".tsv", ".tab":
		return "tsv", nil
	case ".jsonl", ".ndjson":
		return "jsonl", nil
	}
	return "csv", nil
}

// rowReader yields the cells of each data row with the line it starts on.
type rowReader interface {
	// header returns the header names (nil without a header) and the
	// number of columns.
	header() ([]string, int, error)
	// next returns the next row, io.EOF at the end, a *RowError for a row
	// that cannot be parsed (reading may go on), or another error.
	next() ([]string, int, error)
}

func newRowReader(format string, r *lineLimitReader, opts LoadOptions) (rowReader, error) {
	switch format {
	case "csv":
		cr := csv.NewReader(r)
		cr.FieldsPerRecord = -1
		cr.ReuseRecord = true
		return &csvRows{r: cr, lr: r, source: opts.Source, noHeader: opts.NoHeader}, nil
	case "tsv":
		return &tsvRows{r: bufio.NewReaderSize(r, 64<<10), lr: r, source: opts.Source, noHeader: opts.NoHeader}, nil
	case "jsonl":
		if opts.NoHeader {
			return nil, errors.New("--no-header does not apply to JSON Lines")
		}
		return newJSONLRows(r, opts)
	}
	return nil, fmt.Errorf("unknown format %q", format)
}

type csvRows struct {
	r        *csv.Reader
	lr       *lineLimitReader
	source   string
	noHeader bool
	pending  []string
	pline    int
}

func (c *csvRows) read() ([]string, int, error) {
	rec, err := c.r.Read()
	if err == io.EOF {
		return nil, 0, io.EOF
	}
	if err != nil {
		if c.lr.err != nil {
			return nil, 0, fmt.Errorf("%s: %w", c.source, c.lr.err)
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, pe.StartLine, &RowError{Source: c.source, Line: pe.StartLine, Err: pe.Err}
		}
		return nil, 0, fmt.Errorf("reading %s: %w", c.source, err)
	}
	line, _ := c.r.FieldPos(0)
	return rec, line, nil
}

func (c *csvRows) header() ([]string, int, error) {
	rec, line, err := c.read()
	if err == io.EOF {
		return nil, 0, fmt.Errorf("%s has no rows", c.source)
	}
	var re *RowError
	if errors.As(err, &re) {
		return nil, 0, re
	}
	if err != nil {
		return nil, 0, err
	}
	if c.noHeader {
		c.pending, c.pline = append([]string(nil), rec...), line
		return nil, len(rec), nil
	}
	return append([]string(nil), rec...), len(rec), nil
}

func (c *csvRows) next() ([]string, int, error) {
	if c.pending != nil {
		rec, line := c.pending, c.pline
		c.pending = nil
		return rec, line, nil
	}
	return c.read()
}

type tsvRows struct {
	r        *bufio.Reader
	lr       *lineLimitReader
	source   string
	noHeader bool
	line     int
	pending  []string
	cells    []string
}

func (t *tsvRows) read() ([]string, int, error) {
	for {
		s, err := t.r.ReadString('\n')
		if err != nil && err != io.EOF {
			if t.lr.err != nil {
				return nil, 0, fmt.Errorf("%s: %w", t.source, t.lr.err)
			}
			return nil, 0, fmt.Errorf("reading %s: %w", t.source, err)
		}
		if s == "" && err == io.EOF {
			return nil, 0, io.EOF
		}
		t.line++
		s = strings.TrimRight(s, "\r\n")
		if s == "" {
			continue // blank lines carry no row
		}
		t.cells = append(t.cells[:0], strings.Split(s, "\t")...)
		return t.cells, t.line, nil
	}
}

func (t *tsvRows) header() ([]string, int, error) {
	rec, line, err := t.read()
	if err == io.EOF {
		return nil, 0, fmt.Errorf("%s has no rows", t.source)
	}
	if err != nil {
		return nil, 0, err
	}
	if t.noHeader {
		t.pending = append([]string(nil), rec...)
		t.line = line
		return nil, len(rec), nil
	}
	return append([]string(nil), rec...), len(rec), nil
}

func (t *tsvRows) next() ([]string, int, error) {
	if t.pending != nil {
		rec := t.pending
		t.pending = nil
		return rec, t.line, nil
	}
	return t.read()
}

// jsonlRows reads one JSON object per line. Its columns are the keys the
// schema names, in schema order.
type jsonlRows struct {
	r      *bufio.Reader
	lr     *lineLimitReader
	source string
	keys   []string
	line   int
	cells  []string
}

func newJSONLRows(r *lineLimitReader, opts LoadOptions) (*jsonlRows, error) {
	j := &jsonlRows{r: bufio.NewReaderSize(r, 64<<10), lr: r, source: opts.Source}
	for _, it := range opts.Schema.items {
		if it.num > 0 {
			return nil, fmt.Errorf("schema names column %d, but JSON Lines has keys, not column numbers", it.num)
		}
		j.keys = append(j.keys, it.sel)
	}
	return j, nil
}

func (j *jsonlRows) header() ([]string, int, error) { return j.keys, len(j.keys), nil }

func (j *jsonlRows) next() ([]string, int, error) {
	for {
		s, err := j.r.ReadBytes('\n')
		if err != nil && err != io.EOF {
			if j.lr.err != nil {
				return nil, 0, fmt.Errorf("%s: %w", j.source, j.lr.err)
			}
			return nil, 0, fmt.Errorf("reading %s: %w", j.source, err)
		}
		if len(s) == 0 && err == io.EOF {
			return nil, 0, io.EOF
		}
		j.line++
		if len(strings.TrimSpace(string(s))) == 0 {
			continue
		}
		var obj map[string]json.RawMessage
		if uerr := json.Unmarshal(s, &obj); uerr != nil {
			return nil, j.line, &RowError{Source: j.source, Line: j.line, Err: errors.New("not a JSON object")}
		}
		j.cells = j.cells[:0]
		for _, k := range j.keys {
			raw, ok := obj[k]
			if !ok || string(raw) == "null" {
				j.cells = append(j.cells, "")
				continue
			}
			var str string
			if json.Unmarshal(raw, &str) == nil {
				j.cells = append(j.cells, str)
				continue
			}
			var num json.Number
			if json.Unmarshal(raw, &num) == nil {
				j.cells = append(j.cells, num.String())
				continue
			}
			return nil, j.line, &RowError{Source: j.source, Line: j.line, Column: k, Err: errors.New("value is neither a string nor a number")}
		}
		return j.cells, j.line, nil
	}
}

// lineLimitReader fails once a physical line grows past maxLineBytes, so a
// file with no newlines cannot make a reader buffer all of it.
type lineLimitReader struct {
	r    io.Reader
	run  int
	line int
	err  error
}

func (l *lineLimitReader) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.r.Read(p)
	for i, b := range p[:n] {
		if b == '\n' {
			l.run = 0
			l.line++
			continue
		}
		l.run++
		if l.run > maxLineBytes {
			l.err = fmt.Errorf("line %d is longer than %d bytes", l.line+1, maxLineBytes)
			return i, l.err
		}
	}
	return n, err
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
