package notify

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

var sampleFinding = Finding{
	ID:          "f-20250304-0001",
	Set:         "customers",
	Refs:        []string{"r:000017", "r:000342", "r:001205"},
	Kinds:       []string{"email", "phone", "name"},
	URL:         "https://paste.example.net/raw/Ab3dE",
	Source:      "paste-example",
	Title:       "customer list 2025",
	FirstSeen:   time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC),
	Score:       0.97,
	ContentHash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
	Records:     3,
}

func sendOne(t *testing.T, cfg Config, lang string) error {
	t.Helper()
	m, err := NewMailer(cfg.SMTP, nil)
	if err != nil {
		t.Fatalf("NewMailer: %v", err)
	}
	msg, err := RenderFinding(sampleFinding, lang)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return m.Send(ctx, cfg.Default.Recipients, msg)
}

func TestSendStartTLSAuth(t *testing.T) {
	for _, mech := range []string{"plain", "login"} {
		t.Run(mech, func(t *testing.T) {
			s := newTestServer(t, TLSStartTLS)
			cfg := s.config(t)
			cfg.SMTP.Auth = mech
			if err := sendOne(t, cfg, LangJapanese); err != nil {
				t.Fatalf("send: %v", err)
			}
			msgs := s.messages()
			if len(msgs) != 1 {
				t.Fatalf("server got %d messages, want 1", len(msgs))
			}
			got := msgs[0]
			if !got.TLS {
				t.Error("message was not sent over TLS")
			}
			if want := strings.ToUpper(mech); got.AuthVia != want || got.User != "leakwatch" {
				t.Errorf("auth via %q as %q, want %s as leakwatch", got.AuthVia, got.User, want)
			}
			if got.From != "leakwatch@example.jp" || len(got.To) != 1 || got.To[0] != "security@example.jp" {
				t.Errorf("envelope %q -> %q", got.From, got.To)
			}
			pm := parseMail(t, got.Data)
			if !strings.Contains(pm.Subject, "漏えいの疑い") || !strings.Contains(pm.Subject, sampleFinding.ID) {
				t.Errorf("decoded subject %q", pm.Subject)
			}
			for _, r := range pm.RawSubject {
				if r > 0x7e || r < 0x20 {
					t.Fatalf("raw subject is not MIME-encoded ASCII: %q", pm.RawSubject)
				}
			}
			if !strings.HasPrefix(pm.RawSubject, "=?UTF-8?") {
				t.Errorf("raw subject %q is not an RFC 2047 encoded word", pm.RawSubject)
			}
			if !strings.Contains(pm.Text, "hxxps://paste[.]example[.]net/raw/Ab3dE") {
				t.Errorf("text part lacks the defanged URL:\n%s", pm.Text)
			}
			if pm.Header.Get("Auto-Submitted") != "auto-generated" {
				t.Errorf("Auto-Submitted header = %q", pm.Header.Get("Auto-Submitted"))
			}
		})
	}
}

func TestSendImplicitTLS(t *testing.T) {
	s := newTestServer(t, TLSImplicit)
	if err := sendOne(t, s.config(t), LangEnglish); err != nil {
		t.Fatalf("send: %v", err)
	}
	msgs := s.messages()
	if len(msgs) != 1 || !msgs[0].TLS || msgs[0].AuthVia == "" {
		t.Fatalf("got %d messages (tls=%v auth=%q), want 1 over TLS with AUTH", len(msgs), len(msgs) > 0 && msgs[0].TLS, func() string {
			if len(msgs) > 0 {
				return msgs[0].AuthVia
			}
			return ""
		}())
	}
	pm := parseMail(t, msgs[0].Data)
	if pm.Subject != "[leakwatch] Possible leak: 3 records of customers (f-20250304-0001)" {
		t.Errorf("subject %q", pm.Subject)
	}
}

func TestSendPlainLoopback(t *testing.T) {
	s := newTestServer(t, TLSNone)
	cfg := s.config(t)
	cfg.SMTP.Auth = "plain"
	if err := sendOne(t, cfg, LangEnglish); err != nil {
		t.Fatalf("send: %v", err)
	}
	if msgs := s.messages(); len(msgs) != 1 || msgs[0].TLS {
		t.Fatalf("want one plain-text message, got %d", len(msgs))
	}
}

func TestStartTLSIsMandatory(t *testing.T) {
	s := newTestServer(t, "plain-no-starttls")
	err := sendOne(t, s.config(t), LangEnglish)
	if err == nil {
		t.Fatal("send succeeded although the server offers no STARTTLS")
	}
	if !errors.Is(err, ErrNoStartTLS) {
		t.Errorf("error %v does not wrap ErrNoStartTLS", err)
	}
	if IsTemporary(err) {
		t.Errorf("missing STARTTLS classified as temporary: %v", err)
	}
	if n := len(s.messages()); n != 0 {
		t.Fatalf("server got %d messages in plain text", n)
	}
	if strings.Contains(err.Error(), testPassword) {
		t.Fatal("error mentions the password")
	}
}

func TestUntrustedCertificateIsPermanent(t *testing.T) {
	s := newTestServer(t, TLSImplicit)
	cfg := s.config(t)
	cfg.SMTP.CAFile = ""
	err := sendOne(t, cfg, LangEnglish)
	if err == nil {
		t.Fatal("send succeeded with an untrusted certificate")
	}
	if IsTemporary(err) {
		t.Errorf("certificate failure classified as temporary: %v", err)
	}
}

func TestDeliveryErrorClassification(t *testing.T) {
	cases := []struct {
		name      string
		code      int
		at        string
		temporary bool
	}{
		{"451 at data", 451, "data", true},
		{"452 at rcpt", 452, "rcpt", true},
		{"550 at rcpt", 550, "rcpt", false},
		{"554 at data", 554, "data", false},
	}
	s := newTestServer(t, TLSStartTLS)
	cfg := s.config(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s.refuseWith(c.code, c.at)
			defer s.refuseWith(0, "")
			err := sendOne(t, cfg, LangEnglish)
			var de *DeliveryError
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not a DeliveryError", err)
			}
			if de.Code != c.code || de.Temporary != c.temporary {
				t.Errorf("code %d temporary %v, want %d %v (%v)", de.Code, de.Temporary, c.code, c.temporary, err)
			}
		})
	}
	if n := len(s.messages()); n != 0 {
		t.Fatalf("refused messages were recorded: %d", n)
	}
}

func TestAuthFailureIsPermanent(t *testing.T) {
	s := newTestServer(t, TLSStartTLS)
	cfg := s.config(t)
	s.mu.Lock()
	s.pass = "another-password" // the client still sends testPassword
	s.mu.Unlock()
	err := sendOne(t, cfg, LangEnglish)
	var de *DeliveryError
	if !errors.As(err, &de) || de.Temporary || de.Code != 535 {
		t.Fatalf("want permanent 535, got %v", err)
	}
}

func TestConnectionRefusedIsTemporary(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s := newTestServer(t, TLSStartTLS)
	cfg := s.config(t)
	cfg.SMTP.Port = port
	err = sendOne(t, cfg, LangEnglish)
	if err == nil || !IsTemporary(err) {
		t.Fatalf("want a temporary error, got %v", err)
	}
}

func TestTimeoutIsTemporary(t *testing.T) {
	// A listener that accepts and never greets.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	s := newTestServer(t, TLSStartTLS)
	cfg := s.config(t)
	cfg.SMTP.Port = ln.Addr().(*net.TCPAddr).Port
	cfg.SMTP.Timeout = 300 * time.Millisecond
	start := time.Now()
	err = sendOne(t, cfg, LangEnglish)
	if err == nil || !IsTemporary(err) {
		t.Fatalf("want a temporary error, got %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("timeout of 300ms took %v", d)
	}
}

func TestSendTest(t *testing.T) {
	s := newTestServer(t, TLSStartTLS)
	cfg := s.config(t)
	cfg.Default.Language = LangJapanese
	cfg.Sets = map[string]Policy{"staff": {Recipients: []string{"hr@example.jp", "security@example.jp"}}}
	if err := SendTest(context.Background(), cfg); err != nil {
		t.Fatalf("SendTest: %v", err)
	}
	msgs := s.messages()
	if len(msgs) != 1 {
		t.Fatalf("got %d messages", len(msgs))
	}
	if got := strings.Join(msgs[0].To, ","); got != "security@example.jp,hr@example.jp" {
		t.Errorf("recipients %s", got)
	}
	pm := parseMail(t, msgs[0].Data)
	if pm.Subject != "[leakwatch] テストメール" {
		t.Errorf("subject %q", pm.Subject)
	}

	bad := cfg
	bad.SMTP.From = ""
	if err := SendTest(context.Background(), bad); err == nil || !strings.Contains(err.Error(), "smtp.from") {
		t.Errorf("SendTest with no from: %v", err)
	}
}
