package notify

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func validConfig(t *testing.T) Config {
	t.Helper()
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return Config{
		SMTP: SMTPConfig{
			Host: "smtp.example.jp", Username: "lw", PasswordFile: pw, From: "leakwatch@example.jp",
		},
		Default: Policy{Recipients: []string{"security@example.jp"}},
	}
}

func TestParseConfig(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	pubPath := filepath.Join(dir, "op.pub")
	pub, priv, err := GenerateOperatorKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteOperatorKey(pubPath, filepath.Join(dir, "op.key"), pub, priv); err != nil {
		t.Fatal(err)
	}
	text := `
smtp:
  host: smtp.example.jp
  port: 465
  tls: implicit
  username: leakwatch
  password_file: ` + pw + `
  from: leakwatch@example.jp
  timeout: 15s
default:
  recipients: [security@example.jp]
  language: ja
  rate_limit: 10
sets:
  customers:
    recipients: [privacy@example.jp]
    language: en
    digest: hourly
  staff:
    digest: daily
operator_key: ` + pubPath + `
`
	path := filepath.Join(dir, "notify.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	if c.SMTP.Timeout != 15*time.Second || c.SMTP.port() != 465 {
		t.Errorf("smtp %+v", c.SMTP)
	}
	p := c.PolicyFor("customers")
	if p.Language != LangEnglish || p.Digest != DigestHourly || p.RateLimit != 10 || strings.Join(p.Recipients, ",") != "privacy@example.jp" {
		t.Errorf("customers policy %+v", p)
	}
	p = c.PolicyFor("staff")
	if p.Language != LangJapanese || p.Digest != DigestDaily || strings.Join(p.Recipients, ",") != "security@example.jp" {
		t.Errorf("staff policy %+v", p)
	}
	p = c.PolicyFor("unlisted")
	if p.Digest != DigestOff || p.RateLimit != 10 {
		t.Errorf("default policy %+v", p)
	}
	if pw, err := c.SMTP.password(); err != nil || pw != "secret" {
		t.Errorf("password %q, %v", pw, err)
	}

	if _, err := ParseConfig([]byte("smtp:\n  hots: x\n")); err == nil || !strings.Contains(err.Error(), "hots") {
		t.Errorf("unknown field accepted: %v", err)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(c *Config)
		field string
	}{
		{"no host", func(c *Config) { c.SMTP.Host = "" }, "smtp.host:"},
		{"bad host", func(c *Config) { c.SMTP.Host = "a b/c" }, "smtp.host:"},
		{"bad port", func(c *Config) { c.SMTP.Port = 70000 }, "smtp.port:"},
		{"bad tls", func(c *Config) { c.SMTP.TLS = "ssl" }, "smtp.tls:"},
		{"plain text to a remote host", func(c *Config) { c.SMTP.TLS = TLSNone }, "smtp.tls: none is allowed only for a loopback host"},
		{"no from", func(c *Config) { c.SMTP.From = "" }, "smtp.from:"},
		{"bad from", func(c *Config) { c.SMTP.From = "not an address" }, "smtp.from:"},
		{"negative timeout", func(c *Config) { c.SMTP.Timeout = -time.Second }, "smtp.timeout:"},
		{"both passwords", func(c *Config) { c.SMTP.PasswordEnv = "X" }, "smtp.password_file: set either"},
		{"no password", func(c *Config) { c.SMTP.PasswordFile = "" }, "smtp.password_file: password_file or password_env is required"},
		{"password without user", func(c *Config) { c.SMTP.Username = "" }, "smtp.username:"},
		{"missing env", func(c *Config) { c.SMTP.PasswordFile, c.SMTP.PasswordEnv = "", "LEAKWATCH_TEST_UNSET_VAR" }, "smtp.password_env:"},
		{"bad auth", func(c *Config) { c.SMTP.Auth = "cram" }, "smtp.auth:"},
		{"missing ca", func(c *Config) { c.SMTP.CAFile = "/nonexistent/ca.pem" }, "smtp.ca_file:"},
		{"no recipients", func(c *Config) { c.Default.Recipients = nil }, "default.recipients:"},
		{"bad recipient", func(c *Config) { c.Default.Recipients = []string{"x"} }, "default.recipients[0]:"},
		{"bad language", func(c *Config) { c.Sets = map[string]Policy{"s": {Language: "fr"}} }, "sets.s.language:"},
		{"bad digest", func(c *Config) { c.Sets = map[string]Policy{"s": {Digest: "weekly"}} }, "sets.s.digest:"},
		{"bad rate", func(c *Config) { c.Default.RateLimit = -1 }, "default.rate_limit:"},
		{"bad set name", func(c *Config) { c.Sets = map[string]Policy{"a b": {}} }, "sets:"},
		{"missing operator key", func(c *Config) { c.OperatorKey = "/nonexistent/op.pub" }, "operator_key:"},
	}
	if err := validConfig(t).Validate(); err != nil {
		t.Fatalf("valid config refused: %v", err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := validConfig(t)
			c.edit(&cfg)
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), c.field) {
				t.Fatalf("want an error naming %q, got %v", c.field, err)
			}
		})
	}
}

func TestPlainTextAllowedOnLoopback(t *testing.T) {
	for _, host := range []string{"127.0.0.1", "localhost", "::1", "127.0.0.53"} {
		cfg := validConfig(t)
		cfg.SMTP.Host, cfg.SMTP.TLS = host, TLSNone
		if err := cfg.Validate(); err != nil {
			t.Errorf("%s: %v", host, err)
		}
	}
}

func TestPasswordFilePermissions(t *testing.T) {
	cfg := validConfig(t)
	for _, mode := range []os.FileMode{0o640, 0o604, 0o644} {
		if err := os.Chmod(cfg.SMTP.PasswordFile, mode); err != nil {
			t.Fatal(err)
		}
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), "smtp.password_file:") || !strings.Contains(err.Error(), "group or others") {
			t.Errorf("mode %04o: %v", mode, err)
		}
		if _, err := NewMailer(cfg.SMTP, nil); err == nil {
			t.Errorf("mode %04o: NewMailer read the password", mode)
		}
	}
	if err := os.Chmod(cfg.SMTP.PasswordFile, 0o400); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("mode 0400: %v", err)
	}
	if err := os.Chmod(cfg.SMTP.PasswordFile, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LEAKWATCH_TEST_SMTP_PW", "from-env")
	cfg.SMTP.PasswordFile, cfg.SMTP.PasswordEnv = "", "LEAKWATCH_TEST_SMTP_PW"
	if pw, err := cfg.SMTP.password(); err != nil || pw != "from-env" {
		t.Errorf("password from env: %q %v", pw, err)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	var c Config
	err := c.Validate()
	if err == nil {
		t.Fatal("empty config accepted")
	}
	for _, f := range []string{"smtp.host:", "smtp.from:", "default.recipients:"} {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error lacks %s: %v", f, err)
		}
	}
}
