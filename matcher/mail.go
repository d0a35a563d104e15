package matcher

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/leakwatch/leakwatch/fingerprints"
)

// Mail. A misdirected e-mail with a list attached is the commonest way
// personal data is lost, and mailboxes are what leaks of mail servers
// hold. Their text is rarely as it stands: names in the headers are
// encoded words (=?ISO-2022-JP?B?…?=), bodies are base64 or
// quoted-printable in a charset of their own, and a customer list is a
// base64 attachment. mailText reads a message, or each message of an
// mbox mailbox, and writes what a reader would see: the header fields
// decoded, then the text of every part — plain text, HTML, JSON, CSV and
// other text attachments, forwarded messages — each decoded from its
// transfer encoding and charset and extracted as its media type is.
// Binary parts (images, archives, PDF) are skipped. A part whose
// transfer encoding breaks is read up to the break; a message whose
// header cannot be parsed is written as it stands. Nothing is held but a
// bounded buffer: a mailbox streams.

// MediaMail is a mail message (RFC 5322, .eml) or an mbox mailbox.
const MediaMail = "message/rfc822"

// maxMailDepth bounds the nesting of multiparts and forwarded messages.
const maxMailDepth = 8

// maxMailHeader bounds the bytes kept to write a message whose header
// cannot be parsed as it stands.
const maxMailHeader = 256 << 10

func mailText(w *bufio.Writer, r io.Reader, source string) error {
	mb := &mboxReader{br: bufio.NewReaderSize(r, 64<<10), envelope: w, lineStart: true, blank: true}
	for mb.next() {
		if err := mailMessage(w, mb, source, 0); err != nil {
			return err
		}
		if _, err := io.Copy(io.Discard, mb); err != nil { // what a message left unread
			return err
		}
	}
	return mb.err
}

// mailMessage writes the text of the message r holds.
func mailMessage(w *bufio.Writer, r io.Reader, source string, depth int) error {
	kept := &capBuffer{max: maxMailHeader}
	br := bufio.NewReader(io.TeeReader(r, kept))
	msg, err := mail.ReadMessage(br)
	if err != nil {
		// No message after all: its bytes as they stand, those the
		// header's reading took and those after.
		read := kept.b[:max(len(kept.b)-br.Buffered(), 0)]
		kept.max = 0
		return copyText(w, Input{Source: source, R: io.MultiReader(bytes.NewReader(read), br), noMail: true})
	}
	kept.b, kept.max = nil, 0
	writeHeader(w, msg.Header)
	w.WriteByte('\n')
	return mailEntity(w, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), "", msg.Body, source, depth)
}

// writeHeader writes the header's fields, sorted, their encoded words
// decoded.
func writeHeader(w *bufio.Writer, h mail.Header) {
	dec := mime.WordDecoder{CharsetReader: charsetReader}
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			if d, err := dec.DecodeHeader(v); err == nil {
				v = d
			}
			w.WriteString(rawText(k)) // net/mail takes any bytes for a name
			w.WriteString(": ")
			w.WriteString(rawText(v))
			w.WriteByte('\n')
		}
	}
}

// rawText returns s, text that no header declared the encoding of (an
// unencoded Shift_JIS subject, an mbox envelope), as valid UTF-8: decoded
// from the encoding it is detected in, else with invalid bytes replaced.
func rawText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	if name, err := fingerprints.DetectEncoding([]byte(s)); err == nil {
		if _, enc, err := fingerprints.LookupEncoding(name); err == nil {
			if d, err := enc.NewDecoder().String(s); err == nil && utf8.ValidString(d) {
				return d
			}
		}
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// charsetReader decodes an encoded word's charset (see lookupCharset).
func charsetReader(name string, r io.Reader) (io.Reader, error) {
	enc, err := lookupCharset(name)
	if err != nil {
		return nil, err
	}
	return enc.NewDecoder().Reader(r), nil
}

// mailEntity writes the text of one entity: a message's body or a part,
// of content type ct and transfer encoding cte, named filename if it is
// an attachment.
func mailEntity(w *bufio.Writer, ct, cte, filename string, body io.Reader, source string, depth int) error {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		mt, params = "text/plain", nil
	}
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, &base64Filter{r: body})
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	}
	body = &stopAtError{r: body}
	switch {
	case strings.HasPrefix(mt, "multipart/") && depth < maxMailDepth && params["boundary"] != "":
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				return nil // the last part, or a broken boundary: the rest is no part
			}
			if err := mailEntity(w, p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p.FileName(), p, source, depth+1); err != nil {
				return err
			}
			w.WriteByte('\n')
		}
	case mt == MediaMail && depth < maxMailDepth:
		return mailMessage(w, body, source, depth+1)
	case !textual(mt, filename):
		return nil // an image, an archive: no text to read
	}
	cs := params["charset"]
	if _, err := lookupCharset(cs); cs != "" && err != nil {
		cs = "" // a charset no one knows: detected instead
	}
	return copyText(w, Input{Source: source, R: body, MediaType: MediaTypeOf(ct, filename), Charset: cs, noMail: true})
}

// textual reports whether an entity of media type mt, attached as
// filename, may hold text: text of any kind, JSON, XML, CSV, and what is
// only called octet-stream (a CSV attached by a careless client). Binary
// content among them is told by its bytes.
func textual(mt, filename string) bool {
	switch {
	case strings.HasPrefix(mt, "text/"), mt == "application/json", strings.HasSuffix(mt, "+json"), strings.HasSuffix(mt, "+xml"),
		mt == "application/xml", mt == "application/csv", mt == "application/x-csv", mt == "application/vnd.ms-excel" && strings.HasSuffix(strings.ToLower(filename), ".csv"),
		mt == "application/octet-stream":
		return true
	}
	return false
}

// copyText writes the text of in (decoded and extracted as textOf does)
// to w. Binary content is skipped.
func copyText(w *bufio.Writer, in Input) error {
	text, wait, err := textOf(in)
	if errors.Is(err, ErrBinary) {
		_, err = io.Copy(io.Discard, in.R)
		return err
	}
	if err != nil {
		return err
	}
	_, err = io.Copy(w, text)
	if werr := wait(); err == nil {
		err = werr
	}
	return err
}

// mboxReader reads the messages of an mbox mailbox, or the one message
// of a file that is no mailbox, one at a time: after next, Read returns
// the bytes of a message up to the "From " line that starts the next
// (after an empty line, as mbox writes it). The "From " lines go to
// envelope.
type mboxReader struct {
	br        *bufio.Reader
	envelope  io.Writer // where the "From " lines go: their sender is text too
	line      []byte    // what is left of the current line
	lineStart bool      // the next byte starts a line
	blank     bool      // the last line was empty
	ended     bool      // the message ended at a "From " line
	started   bool
	eof       bool
	err       error
}

// next moves to the next message and reports whether there is one.
func (m *mboxReader) next() bool {
	if m.eof || m.err != nil {
		return false
	}
	if !m.started {
		m.started = true
		if head, _ := m.br.Peek(5); string(head) == "From " {
			m.copyLine() // the first message's envelope
		}
	}
	m.ended = false
	_, err := m.br.Peek(1)
	return err == nil
}

func (m *mboxReader) copyLine() {
	for {
		line, err := m.br.ReadSlice('\n')
		io.WriteString(m.envelope, rawText(string(line)))
		if err != bufio.ErrBufferFull {
			if len(line) == 0 || line[len(line)-1] != '\n' {
				m.envelope.Write([]byte("\n"))
			}
			return
		}
	}
}

func (m *mboxReader) Read(p []byte) (int, error) {
	if m.ended || m.eof {
		return 0, io.EOF
	}
	if m.err != nil {
		return 0, m.err
	}
	if len(m.line) == 0 {
		if m.lineStart && m.blank {
			if head, _ := m.br.Peek(5); string(head) == "From " {
				m.copyLine()
				m.ended = true
				return 0, io.EOF
			}
		}
		line, err := m.br.ReadSlice('\n')
		switch {
		case err == io.EOF:
			m.eof = true
		case err != nil && err != bufio.ErrBufferFull:
			m.err = err
		}
		if len(line) == 0 {
			if m.err != nil {
				return 0, m.err
			}
			return 0, io.EOF
		}
		m.blank = m.lineStart && (string(line) == "\n" || string(line) == "\r\n")
		m.lineStart = line[len(line)-1] == '\n'
		m.line = line
	}
	n := copy(p, m.line)
	m.line = m.line[n:]
	return n, nil
}

// capBuffer keeps the first max bytes written to it.
type capBuffer struct {
	b   []byte
	max int
}

func (c *capBuffer) Write(p []byte) (int, error) {
	if room := c.max - len(c.b); room > 0 {
		c.b = append(c.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// base64Filter passes only the bytes of the base64 alphabet, and '=':
// the line breaks and stray spaces of mail bodies go.
type base64Filter struct{ r io.Reader }

func (f *base64Filter) Read(p []byte) (int, error) {
	for {
		n, err := f.r.Read(p)
		w := 0
		for _, c := range p[:n] {
			if isBase64Byte(c) {
				p[w] = c
				w++
			}
		}
		if w > 0 || err != nil {
			return w, err
		}
	}
}

func isBase64Byte(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '='
}

// stopAtError ends an entity's body at its first read error (a broken
// base64 or quoted-printable encoding, say): what was read stays, and
// the mailbox goes on.
type stopAtError struct{ r io.Reader }

func (s *stopAtError) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		err = io.EOF
	}
	return n, err
}
