package matcher

import (
	"fmt"
	"io"
	"unicode/utf8"
)

// Excerpt returns the text of a document between start and end — byte
// offsets in its decoded, extracted text, as in a Finding — widened by
// context bytes on each side and cut at character boundaries. It reads the
// document again, so in must be a fresh reader of the same bytes. The
// excerpt holds personal data: callers seal it (package notify) and never
// keep it in the clear.
func Excerpt(in Input, start, end int64, context int) ([]byte, error) {
	if start < 0 || end < start {
		return nil, fmt.Errorf("excerpt of %s: bad span %d-%d", in.Source, start, end)
	}
	text, wait, err := textOf(in)
	if err != nil {
		return nil, err
	}
	lo := max(start-int64(context), 0)
	if _, err := io.CopyN(io.Discard, text, lo); err != nil {
		wait()
		return nil, fmt.Errorf("excerpt of %s: %w", in.Source, err)
	}
	buf := make([]byte, end+int64(context)-lo)
	n, err := io.ReadFull(text, buf)
	if werr := wait(); werr != nil {
		return nil, werr
	}
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, fmt.Errorf("excerpt of %s: %w", in.Source, err)
	}
	buf = buf[:n]
	for len(buf) > 0 && !utf8.RuneStart(buf[0]) {
		buf = buf[1:]
	}
	for i := len(buf) - 1; i >= 0 && i >= len(buf)-utf8.UTFMax; i-- {
		if utf8.RuneStart(buf[i]) {
			if !utf8.FullRune(buf[i:]) {
				buf = buf[:i]
			}
			break
		}
	}
	return buf, nil
}
