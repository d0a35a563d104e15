package fingerprints

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The stored form of a set: chunks of records, each chunk
//
//	magic | uvarint count | count × record
//	record = uvarint len(ref) | ref | byte nfields | nfields × field
//	field  = byte column | byte kind (bit 7: strong) | 16-byte FP [| 4-byte pre]
//
// A field of kind Pair (pair.go, only in chunks with prefilter values)
// fingerprints a name with a weak field of the same record; its column is
// the name's.
// where magic is "LWR2" for chunks whose fields carry their prefilter
// value (pre, little-endian; keyed sets, see prefilter.go) and "LWR1" for
// chunks without (blind sets, and keyed sets loaded before the prefilter).
// Nothing in it is a raw value: ref is the operator's opaque reference and
// the rest are keyed hashes.
const (
	chunkMagic    = "LWR1"
	chunkMagicPre = "LWR2"
	preSize       = 4
)

// MaxColumns is how many schema fields a set may map (the index packs the
// column in 6 bits); MaxRows is how many records one set may hold.
const (
	MaxColumns = 64
	MaxRows    = 1 << 26
	maxRefLen  = 256
)

// Field is one fingerprinted field of a record.
type Field struct {
	Col    uint8
	Kind   Kind
	Strong bool
	FP     FP
	Pre    uint32 // the prefilter value, in chunks that carry it
}

// chunkBuilder accumulates records into one chunk.
type chunkBuilder struct {
	buf   []byte
	count int
	pre   bool // write LWR2, with each field's Pre
}

func (c *chunkBuilder) magic() string {
	if c.pre {
		return chunkMagicPre
	}
	return chunkMagic
}

func (c *chunkBuilder) reset() {
	c.buf = append(c.buf[:0], c.magic()...)
	c.count = 0
}

func (c *chunkBuilder) add(ref []byte, fields []Field) {
	if c.buf == nil {
		c.reset()
	}
	c.buf = binary.AppendUvarint(c.buf, uint64(len(ref)))
	c.buf = append(c.buf, ref...)
	c.buf = append(c.buf, byte(len(fields)))
	for _, f := range fields {
		kb := byte(f.Kind)
		if f.Strong {
			kb |= 0x80
		}
		c.buf = append(c.buf, f.Col, kb)
		c.buf = append(c.buf, f.FP[:]...)
		if c.pre {
			c.buf = binary.LittleEndian.AppendUint32(c.buf, f.Pre)
		}
	}
	c.count++
}

// bytes returns the chunk with its record count in place.
func (c *chunkBuilder) bytes() []byte {
	out := make([]byte, 0, len(c.buf)+binary.MaxVarintLen64)
	out = append(out, c.magic()...)
	out = binary.AppendUvarint(out, uint64(c.count))
	return append(out, c.buf[len(c.magic()):]...)
}

var errChunk = errors.New("corrupt set chunk")

// decodeChunk calls fn for each record of a chunk, and reports whether the
// chunk's fields carry their prefilter value. fields is reused between
// calls and ref aliases chunk.
func decodeChunk(chunk []byte, fn func(ref []byte, fields []Field) error) (pre bool, err error) {
	if len(chunk) < len(chunkMagic) {
		return false, fmt.Errorf("%w: bad magic", errChunk)
	}
	switch string(chunk[:len(chunkMagic)]) {
	case chunkMagic:
	case chunkMagicPre:
		pre = true
	default:
		return false, fmt.Errorf("%w: bad magic", errChunk)
	}
	fieldSize := 2 + FPSize
	if pre {
		fieldSize += preSize
	}
	p := chunk[len(chunkMagic):]
	count, n := binary.Uvarint(p)
	if n <= 0 {
		return pre, fmt.Errorf("%w: bad count", errChunk)
	}
	p = p[n:]
	fields := make([]Field, 0, 16)
	for i := uint64(0); i < count; i++ {
		rl, n := binary.Uvarint(p)
		if n <= 0 || rl > maxRefLen || uint64(len(p)-n) < rl+1 {
			return pre, fmt.Errorf("%w: record %d: bad ref", errChunk, i)
		}
		ref := p[n : n+int(rl)]
		p = p[n+int(rl):]
		nf := int(p[0])
		p = p[1:]
		if len(p) < nf*fieldSize {
			return pre, fmt.Errorf("%w: record %d: truncated", errChunk, i)
		}
		fields = fields[:0]
		for j := 0; j < nf; j++ {
			f := Field{Col: p[0], Kind: Kind(p[1] & 0x7f), Strong: p[1]&0x80 != 0}
			if !(f.Kind.Valid() || pre && f.Kind == Pair) || f.Col >= MaxColumns {
				return pre, fmt.Errorf("%w: record %d: bad field", errChunk, i)
			}
			copy(f.FP[:], p[2:2+FPSize])
			if pre {
				f.Pre = binary.LittleEndian.Uint32(p[2+FPSize:])
			}
			fields = append(fields, f)
			p = p[fieldSize:]
		}
		if err := fn(ref, fields); err != nil {
			return pre, err
		}
	}
	if len(p) != 0 {
		return pre, fmt.Errorf("%w: %d trailing bytes", errChunk, len(p))
	}
	return pre, nil
}
