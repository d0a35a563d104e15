package main

import (
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// mailSink is a real SMTP server on loopback that keeps what it is sent.
type mailSink struct {
	mu   sync.Mutex
	msgs [][]byte
	srv  *smtp.Server
	port int
}

func startMailSink(t *testing.T) *mailSink { return startMailSinkOn(t, 0) }

// startMailSinkOn starts the sink on a given loopback port (0: any).
func startMailSinkOn(t *testing.T, port int) *mailSink {
	t.Helper()
	m := &mailSink{}
	m.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &sinkSession{m: m}, nil }))
	m.srv.Domain = "localhost"
	m.srv.ReadTimeout, m.srv.WriteTimeout = 10*time.Second, 10*time.Second
	var ln net.Listener
	var err error
	for i := 0; i < 100; i++ { // a port just closed may linger a moment
		if ln, err = net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	m.port = ln.Addr().(*net.TCPAddr).Port
	go m.srv.Serve(ln)
	t.Cleanup(func() { m.srv.Close() })
	return m
}

func (m *mailSink) messages() [][]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([][]byte(nil), m.msgs...)
}

// waitFor waits until the sink holds at least n messages.
func (m *mailSink) waitFor(t *testing.T, n int, within time.Duration) [][]byte {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if msgs := m.messages(); len(msgs) >= n {
			return msgs
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("mail sink got %d messages within %s, want %d", len(m.messages()), within, n)
	return nil
}

type sinkSession struct{ m *mailSink }

func (s *sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.m.mu.Lock()
	s.m.msgs = append(s.m.msgs, b)
	s.m.mu.Unlock()
	return nil
}
func (s *sinkSession) Reset()        {}
func (s *sinkSession) Logout() error { return nil }
