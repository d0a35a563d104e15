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
	r := rand.New(rand.NewPCG(seed, 0x6d69786564))
	if len(others) == 0 {
		others = People(seed, 1000)
	}
	out := make([]byte, 0, size+8192)
	var prose, logs, dumps int
	for len(out) < size {
		total := prose + logs + dumps + 1
		var chunk string
		switch {
		case prose*10 < total*5:
			var sb strings.Builder
			for i := 0; i < 4; i++ {
				if r.IntN(2) == 0 {
					sb.WriteString(proseJA[r.IntN(len(proseJA))])
				} else {
					sb.WriteString(proseEN[r.IntN(len(proseEN))])
				}
				sb.WriteString("\n\n")
			}
			chunk = sb.String()
			prose += len(chunk)
		case logs*10 < total*2:
			chunk = logLines(r, 20+r.IntN(20))
			logs += len(chunk)
		default:
			chunk = dumpChunk(r, others)
			dumps += len(chunk)
		}
		out = append(out, chunk...)
	}
	return cutTo(out, size)
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
