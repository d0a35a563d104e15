package fingerprints

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The stored form of a set: chunks of records, each chunk
//
//	"LWR1" | uvarint count | count × record
//	record = uvarint len(ref) | ref | byte nfields | nfields × field
//	field  = byte column | byte kind (bit 7: strong) | 16-byte FP
//
// Nothing in it is a raw value: ref is the operator's opaque reference and
// the rest are fingerprints.
const chunkMagic = "LWR1"

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
}

// chunkBuilder accumulates records into one chunk.
type chunkBuilder struct {
	buf   []byte
	count int
}

func (c *chunkBuilder) reset() {
	c.buf = append(c.buf[:0], chunkMagic...)
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
	}
	c.count++
}

// bytes returns the chunk with its record count in place.
func (c *chunkBuilder) bytes() []byte {
	out := make([]byte, 0, len(c.buf)+binary.MaxVarintLen64)
	out = append(out, chunkMagic...)
	out = binary.AppendUvarint(out, uint64(c.count))
	return append(out, c.buf[len(chunkMagic):]...)
}

var errChunk = errors.New("corrupt set chunk")

// decodeChunk calls fn for each record of a chunk. fields is reused between
// calls and ref aliases chunk.
func decodeChunk(chunk []byte, fn func(ref []byte, fields []Field) error) error {
	if len(chunk) < len(chunkMagic) || string(chunk[:len(chunkMagic)]) != chunkMagic {
		return fmt.Errorf("%w: bad magic", errChunk)
	}
	p := chunk[len(chunkMagic):]
	count, n := binary.Uvarint(p)
	if n <= 0 {
		return fmt.Errorf("%w: bad count", errChunk)
	}
	p = p[n:]
	fields := make([]Field, 0, 16)
	for i := uint64(0); i < count; i++ {
		rl, n := binary.Uvarint(p)
		if n <= 0 || rl > maxRefLen || uint64(len(p)-n) < rl+1 {
			return fmt.Errorf("%w: record %d: bad ref", errChunk, i)
		}
		ref := p[n : n+int(rl)]
		p = p[n+int(rl):]
		nf := int(p[0])
		p = p[1:]
		if len(p) < nf*(2+FPSize) {
			return fmt.Errorf("%w: record %d: truncated", errChunk, i)
		}
		fields = fields[:0]
		for j := 0; j < nf; j++ {
			f := Field{Col: p[0], Kind: Kind(p[1] & 0x7f), Strong: p[1]&0x80 != 0}
			if !f.Kind.Valid() || f.Col >= MaxColumns {
				return fmt.Errorf("%w: record %d: bad field", errChunk, i)
			}
			copy(f.FP[:], p[2:2+FPSize])
			fields = append(fields, f)
			p = p[2+FPSize:]
		}
		if err := fn(ref, fields); err != nil {
			return err
		}
	}
	if len(p) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", errChunk, len(p))
	}
	return nil
}
