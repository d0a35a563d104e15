package notify

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// testServer is a real SMTP server (emersion/go-smtp) on 127.0.0.1 that
// records what it accepts. It can require AUTH, speak STARTTLS or implicit
// TLS with a certificate made for the test, refuse with a chosen reply, and
// be stopped and restarted on the same port.
type testServer struct {
	t      testing.TB
	mode   string // TLSStartTLS, TLSImplicit, TLSNone, or "plain-no-starttls"
	addr   string
	port   int
	caFile string
	tlsCfg *tls.Config
	user   string
	pass   string

	mu       sync.Mutex
	srv      *smtp.Server
	ln       net.Listener
	msgs     []received
	attempts int // DATA commands seen, accepted or not
	refuse   *smtp.SMTPError
	refuseAt string // "rcpt" or "data"
	// onData, if set, runs when a message has been accepted, before the
	// server's reply goes out.
	onData func()
}

// received is one accepted message.
type received struct {
	From    string
	To      []string
	Data    []byte
	TLS     bool
	AuthVia string
	User    string
}

const testPassword = "s3cret-password"

func newTestServer(t testing.TB, mode string) *testServer {
	t.Helper()
	s := &testServer{t: t, mode: mode, user: "leakwatch", pass: testPassword}
	dir := t.TempDir()
	cert, caPEM := makeCert(t)
	s.caFile = filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(s.caFile, caPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	s.tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	s.start()
	t.Cleanup(s.stop)
	return s
}

// makeCert makes a self-signed certificate for 127.0.0.1 and localhost.
func makeCert(t testing.TB) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "leakwatch test smtp"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return cert, certPEM
}

func (s *testServer) start() {
	s.t.Helper()
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &testSession{srv: s, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.MaxMessageBytes = 1 << 20
	srv.ErrorLog = testLogger{}
	switch s.mode {
	case TLSStartTLS:
		srv.TLSConfig = s.tlsCfg
	case TLSNone, "plain-no-starttls":
		srv.AllowInsecureAuth = true
	}
	addr := s.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ { // the old socket may linger a moment after a stop
		ln, err = net.Listen("tcp", addr)
		if err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatalf("listen: %v", err)
	}
	s.addr = ln.Addr().String()
	s.port = ln.Addr().(*net.TCPAddr).Port
	if s.mode == TLSImplicit {
		ln = tls.NewListener(ln, s.tlsCfg)
	}
	s.mu.Lock()
	s.srv, s.ln = srv, ln
	s.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// stop closes the listener and every connection. The port stays ours to
// restart on.
func (s *testServer) stop() {
	s.mu.Lock()
	srv, ln := s.srv, s.ln
	s.srv, s.ln = nil, nil
	s.mu.Unlock()
	if ln != nil {
		// Closed here, not only by srv.Close: Serve may not have
		// registered the listener yet.
		_ = ln.Close()
	}
	if srv != nil {
		_ = srv.Close()
	}
}

func (s *testServer) restart() { s.start() }

// refuseWith makes the server reply code at "rcpt" or "data" until cleared
// with refuseWith(0, "").
func (s *testServer) refuseWith(code int, at string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if code == 0 {
		s.refuse = nil
		return
	}
	enh := smtp.EnhancedCode{code / 100, 0, 0}
	s.refuse = &smtp.SMTPError{Code: code, EnhancedCode: enh, Message: fmt.Sprintf("test refusal %d", code)}
	s.refuseAt = at
}

func (s *testServer) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.msgs...)
}

func (s *testServer) dataAttempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

// config is a valid Config for this server, AUTH included.
func (s *testServer) config(t testing.TB) Config {
	t.Helper()
	mode := s.mode
	if mode == "plain-no-starttls" {
		mode = TLSStartTLS
	}
	pw := filepath.Join(t.TempDir(), "smtp-password")
	if err := os.WriteFile(pw, []byte(s.pass+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return Config{
		SMTP: SMTPConfig{
			Host: "127.0.0.1", Port: s.port, TLS: mode, CAFile: s.caFile,
			Username: s.user, PasswordFile: pw,
			From: "leakwatch@example.jp", Timeout: 5 * time.Second,
		},
		Default: Policy{Recipients: []string{"security@example.jp"}, Language: LangEnglish},
	}
}

type testLogger struct{}

func (testLogger) Printf(string, ...any) {}
func (testLogger) Println(...any)        {}

type testSession struct {
	srv     *testServer
	conn    *smtp.Conn
	authed  bool
	via     string
	user    string
	from    string
	to      []string
	started bool
}

func (ss *testSession) AuthMechanisms() []string { return []string{sasl.Plain, sasl.Login} }

func (ss *testSession) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		ss.srv.mu.Lock()
		wantUser, wantPass := ss.srv.user, ss.srv.pass
		ss.srv.mu.Unlock()
		if user != wantUser || pass != wantPass {
			return smtp.ErrAuthFailed
		}
		ss.authed, ss.via, ss.user = true, mech, user
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, user, pass string) error {
			if identity != "" && identity != user {
				return smtp.ErrAuthFailed
			}
			return check(user, pass)
		}), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

// loginServer is the server side of the LOGIN mechanism, which go-sasl
// does not provide: ask for the user name, then the password.
type loginServer struct {
	step  int
	user  string
	check func(user, pass string) error
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	switch l.step {
	case 0:
		l.step = 1
		if len(resp) == 0 {
			return []byte("Username:"), false, nil
		}
		fallthrough
	case 1:
		l.user = string(resp)
		l.step = 2
		return []byte("Password:"), false, nil
	case 2:
		l.step = 3
		return nil, true, l.check(l.user, string(resp))
	}
	return nil, false, errors.New("unexpected LOGIN response")
}

func (ss *testSession) Mail(from string, _ *smtp.MailOptions) error {
	if !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *testSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.srv.mu.Lock()
	refuse, at := ss.srv.refuse, ss.srv.refuseAt
	ss.srv.mu.Unlock()
	if refuse != nil && at == "rcpt" {
		return refuse
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *testSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.srv.mu.Lock()
	defer ss.srv.mu.Unlock()
	ss.srv.attempts++
	if ss.srv.refuse != nil && ss.srv.refuseAt == "data" {
		return ss.srv.refuse
	}
	_, isTLS := ss.conn.TLSConnectionState()
	ss.srv.msgs = append(ss.srv.msgs, received{
		From: ss.from, To: append([]string(nil), ss.to...), Data: data,
		TLS: isTLS, AuthVia: ss.via, User: ss.user,
	})
	if ss.srv.onData != nil {
		ss.srv.onData()
	}
	return nil
}

func (ss *testSession) Reset() { ss.from, ss.to = "", nil }

func (ss *testSession) Logout() error { return nil }

// parsedMail is a received message taken apart.
type parsedMail struct {
	Header     mail.Header
	RawSubject string
	Subject    string
	Text       string
	HTML       string
}

// parseMail parses a message as a mail client would: headers, the
// RFC 2047 subject, and the decoded text and HTML alternatives.
func parseMail(t *testing.T, data []byte) parsedMail {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("parse message: %v", err)
	}
	var pm parsedMail
	pm.Header = m.Header
	pm.RawSubject = m.Header.Get("Subject")
	dec := new(mime.WordDecoder)
	pm.Subject, err = dec.DecodeHeader(pm.RawSubject)
	if err != nil {
		t.Fatalf("decode subject %q: %v", pm.RawSubject, err)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("content type: %v", err)
	}
	if mt != "multipart/alternative" {
		t.Fatalf("content type %q, want multipart/alternative", mt)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart() // decodes quoted-printable itself
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("next part: %v", err)
		}
		body, err := io.ReadAll(p)
		if err != nil {
			t.Fatalf("read part: %v", err)
		}
		if p.Header.Get("Content-Transfer-Encoding") == "base64" {
			body = decodeBase64Lines(t, body)
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		switch ct {
		case "text/plain":
			pm.Text = string(body)
		case "text/html":
			pm.HTML = string(body)
		default:
			t.Fatalf("unexpected part %q", ct)
		}
	}
	if pm.Text == "" || pm.HTML == "" {
		t.Fatalf("message lacks a text or an HTML part")
	}
	return pm
}

func decodeBase64Lines(t *testing.T, b []byte) []byte {
	t.Helper()
	joined := strings.Join(strings.Fields(string(b)), "")
	out, err := base64.StdEncoding.DecodeString(joined)
	if err != nil {
		t.Fatalf("base64 part: %v", err)
	}
	return out
}
