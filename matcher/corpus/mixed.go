package corpus

import (
	"math/rand/v2"
	"strings"
	"unicode/utf8"
)

// Mixed returns a UTF-8 throughput corpus of exactly size bytes: about
// half prose (Japanese and English paragraphs), a fifth server logs and the
// rest CSV dumps of others, in chunks of a few kilobytes. It holds no
// planted record; with others disjoint from the set it should produce no
// report. The same arguments always give the same bytes.
func Mixed(seed uint64, size int, others []Person) []byte {
	out := make([]byte, 0, size+8192)
	mixedChunks(seed, size, others, func(_ Part, chunk string) { out = append(out, chunk...) })
	return cutTo(out, size)
}

// Part is one of the three kinds of text Mixed is made of.
type Part int

// Mixed's parts.
const (
	Prose    Part = iota // Japanese and English paragraphs, about half
	Logs                 // server logs, about a fifth
	DumpRows             // CSV dumps of others, the rest
)

// MixedPart returns the chunks of one part of Mixed(seed, size, others), in
// their order there: Mixed without the other two parts, whole chunks, and
// so about half, a fifth or three tenths of size. Benchmarks scan each part
// alone to tell what each costs of Mixed's scanning time.
func MixedPart(seed uint64, size int, others []Person, part Part) []byte {
	var out []byte
	mixedChunks(seed, size, others, func(p Part, chunk string) {
		if p == part {
			out = append(out, chunk...)
		}
	})
	return out
}

// mixedChunks makes Mixed's chunks, at least size bytes of them, and hands
// each to add with its part.
func mixedChunks(seed uint64, size int, others []Person, add func(Part, string)) {
	r := rand.New(rand.NewPCG(seed, 0x6d69786564))
	if len(others) == 0 {
		others = People(seed, 1000)
	}
	var n [3]int // bytes of each part so far
	for n[Prose]+n[Logs]+n[DumpRows] < size {
		total := n[Prose] + n[Logs] + n[DumpRows] + 1
		var chunk string
		var part Part
		switch {
		case n[Prose]*10 < total*5:
			var sb strings.Builder
			for i := 0; i < 4; i++ {
				if r.IntN(2) == 0 {
					sb.WriteString(proseJA[r.IntN(len(proseJA))])
				} else {
					sb.WriteString(proseEN[r.IntN(len(proseEN))])
				}
				sb.WriteString("\n\n")
			}
			chunk, part = sb.String(), Prose
		case n[Logs]*10 < total*2:
			chunk, part = logLines(r, 20+r.IntN(20)), Logs
		default:
			chunk, part = dumpChunk(r, others), DumpRows
		}
		n[part] += len(chunk)
		add(part, chunk)
	}
}

// Dumps returns a UTF-8 corpus of exactly size bytes made only of the CSV
// dumps Mixed writes: a header row (CSVHeader) and 20 to 39 rows of
// others, chunk after chunk. The same arguments always give the same bytes.
func Dumps(seed uint64, size int, others []Person) []byte {
	r := rand.New(rand.NewPCG(seed, 0x64756d7073))
	if len(others) == 0 {
		others = People(seed, 1000)
	}
	out := make([]byte, 0, size+8192)
	for len(out) < size {
		out = append(out, dumpChunk(r, others)...)
	}
	return cutTo(out, size)
}

// dumpChunk is one CSV dump of Mixed: a header row and 20 to 39 rows of
// consecutive people of others.
func dumpChunk(r *rand.Rand, others []Person) string {
	var sb strings.Builder
	sb.WriteString(strings.Join(CSVHeader, ","))
	sb.WriteByte('\n')
	start := r.IntN(len(others))
	for i := 0; i < 20+r.IntN(20); i++ {
		sb.WriteString(strings.Join(others[(start+i)%len(others)].Row(), ","))
		sb.WriteByte('\n')
	}
	return sb.String()
}

// cutTo cuts out to size bytes on a character boundary, padded with line
// breaks.
func cutTo(out []byte, size int) []byte {
	cut := size
	for cut > 0 && cut < len(out) && !utf8.RuneStart(out[cut]) {
		cut--
	}
	out = out[:cut]
	for len(out) < size {
		out = append(out, '\n')
	}
	return out
}
