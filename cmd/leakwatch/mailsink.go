package main

import (
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// mailSink is a real SMTP server on loopback that keeps what it is sent:
// the demo's mailbox, and the tests'.
type mailSink struct {
	mu   sync.Mutex
	msgs [][]byte
	srv  *smtp.Server
	port int
}

// newMailSink starts a sink on a loopback port (0: any free one).
func newMailSink(port int) (*mailSink, error) {
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
		return nil, err
	}
	m.port = ln.Addr().(*net.TCPAddr).Port
	go m.srv.Serve(ln)
	return m, nil
}

func (m *mailSink) close() { m.srv.Close() }

func (m *mailSink) messages() [][]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([][]byte(nil), m.msgs...)
}

type sinkSession struct{ m *mailSink }

func (s *sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(io.LimitReader(r, 4<<20))
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
