package notify

// Fuzz targets for the operator's files: the notify configuration and the
// operator key files. Seeds run as regular tests; the committed corpus is
// in testdata/fuzz/FuzzXxx/.

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const seedNotifyConfig = `
smtp:
  host: smtp.example.jp
  port: 587                # default: 587 starttls, 465 implicit, 25 none
  tls: starttls            # starttls | implicit | none (loopback only)
  username: leakwatch
  password_file: /etc/leakwatch/smtp-password   # mode 0600 or stricter
  from: leakwatch@example.jp
  timeout: 30s
default:
  recipients: [security@example.jp]
  language: ja             # ja | en
  digest: off              # off | hourly | daily
  rate_limit: 20           # emails per set per hour; more are folded
sets:
  customers:
    recipients: [privacy@example.jp, security@example.jp]
    digest: hourly
operator_key: /etc/leakwatch/operator.pub
`

// notifyFieldErr is how each problem Validate reports begins: the field.
var notifyFieldErr = regexp.MustCompile(`^(retry|poll|smtp\.[a-z_]+|default\.[a-z_]+(\[[0-9]+\])?|sets(\.[A-Za-z0-9._-]+\.[a-z_]+(\[[0-9]+\])?)?|operator_key): `)

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(seedNotifyConfig))
	for _, s := range []string{
		"smtp: {host: 127.0.0.1, tls: none, from: leakwatch@example.jp}\ndefault: {recipients: [security@example.jp]}\n",
		"smtp: {host: '[::1]', tls: NONE, port: 2525, from: 'Leakwatch <lw@example.jp>', auth: LOGIN, username: lw, password_env: LW_SMTP_PW}\n" +
			"default: {recipients: ['\"Sec Team\" <sec@example.jp>'], language: en, digest: daily}\nretry: {base: 1m, max: 2h, attempts: 3}\npoll: 5s\n",
		"smtp: {host: smtp.example.jp, tls: none, from: x}\ndefault: {recipients: [not-an-address], language: fr, digest: weekly, rate_limit: -1}\n" +
			"sets: {'../etc': {}, ok: {recipients: ['a@b']}}\nretry: {base: 2h, max: 1h}\npoll: -1s\n",
		"smtp: {host: 'a b', port: 70000}\n",
		"smtp: {host: smtp.example.jp, timeout: 30}\n",
		"smtpp: {}\n",
		"sets: {a: {recipients: 1}}\n",
		"",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("secret\n"), 0o600); err != nil {
		f.Fatal(err)
	}
	pub, priv := seedKey(f, KEMX25519)
	if err := WriteOperatorKey(filepath.Join(dir, "op.pub"), filepath.Join(dir, "op.key"), pub, priv); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "parse notify config: ") {
				t.Fatalf("error %q", err)
			}
			return
		}
		// Written back, it reads the same.
		b1, err := yaml.Marshal(c)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		c2, err := ParseConfig(b1)
		if err != nil {
			t.Fatalf("marshalled as %q, which does not parse: %v", b1, err)
		}
		if b2, err := yaml.Marshal(c2); err != nil || !bytes.Equal(b1, b2) {
			t.Fatalf("round trip changed the config:\n%s\n%s", b1, b2)
		}

		// Validate, with the files it reads replaced by the test's own.
		if c.SMTP.CAFile != "" {
			c.SMTP.CAFile = pw
		}
		if c.SMTP.PasswordFile != "" {
			c.SMTP.PasswordFile = pw
		}
		if c.OperatorKey != "" {
			c.OperatorKey = filepath.Join(dir, "op.pub")
		}
		if err := c.Validate(); err != nil {
			var leaves []error
			if j, ok := err.(interface{ Unwrap() []error }); ok {
				leaves = j.Unwrap()
			} else {
				leaves = []error{err}
			}
			for _, e := range leaves {
				if !notifyFieldErr.MatchString(e.Error()) {
					t.Fatalf("problem %q does not start with its field", e)
				}
			}
			return
		}
		// What a valid config promises the mailer.
		s := c.SMTP
		if p := s.port(); p < 1 || p > 65535 {
			t.Fatalf("port %d", p)
		}
		switch s.tlsMode() {
		case TLSStartTLS, TLSImplicit:
		case TLSNone:
			if !isLoopbackHost(s.Host) {
				t.Fatalf("plain text to %q", s.Host)
			}
		default:
			t.Fatalf("tls mode %q", s.tlsMode())
		}
		if s.timeout() <= 0 {
			t.Fatalf("timeout %v", s.timeout())
		}
		if _, err := mail.ParseAddress(s.From); err != nil {
			t.Fatalf("from %q: %v", s.From, err)
		}
		sets := []string{"a-set-not-listed"}
		for name := range c.Sets {
			sets = append(sets, name)
		}
		for _, name := range sets {
			p := c.PolicyFor(name)
			if len(p.Recipients) == 0 || (p.Language != LangJapanese && p.Language != LangEnglish) ||
				(p.Digest != DigestOff && p.Digest != DigestHourly && p.Digest != DigestDaily) || p.RateLimit < 1 {
				t.Fatalf("set %q: policy %+v", name, p)
			}
			for _, r := range p.Recipients {
				if _, err := mail.ParseAddress(r); err != nil {
					t.Fatalf("set %q: recipient %q: %v", name, r, err)
				}
			}
		}
	})
}

// seedKey derives a fixed key pair of the KEM, as GenerateOperatorKeyKEM
// writes them, so the seeds are the same at every run.
func seedKey(tb testing.TB, kemName string) (pub, priv []byte) {
	tb.Helper()
	id, err := kemByName(kemName)
	if err != nil {
		tb.Fatal(err)
	}
	s := id.Scheme()
	pk, sk := s.DeriveKeyPair(bytes.Repeat([]byte{0x42}, s.SeedSize()))
	pkb, err := pk.MarshalBinary()
	if err != nil {
		tb.Fatal(err)
	}
	skb, err := sk.MarshalBinary()
	if err != nil {
		tb.Fatal(err)
	}
	h := map[string]string{"KEM": kemName}
	return pem.EncodeToMemory(&pem.Block{Type: publicKeyBlock, Headers: h, Bytes: pkb}),
		pem.EncodeToMemory(&pem.Block{Type: privateKeyBlock, Headers: h, Bytes: skb})
}

func FuzzParseKey(f *testing.F) {
	for _, kem := range []string{KEMX25519, KEMXWing} {
		pub, priv := seedKey(f, kem)
		f.Add(pub, false)
		f.Add(priv, true)
		f.Add(pub, true)                   // a public key where the private one is expected
		f.Add(append(priv, priv...), true) // two keys
		f.Add(bytes.Replace(priv, []byte(kem), []byte("P-256"), 1), true)
		f.Add(bytes.Replace(pub, []byte("KEM: "), []byte("Kem: "), 1), false)
	}
	f.Add([]byte("-----BEGIN LEAKWATCH OPERATOR PRIVATE KEY-----\nKEM: X25519-HKDF-SHA256\n\nAAAA\n-----END LEAKWATCH OPERATOR PRIVATE KEY-----\n"), true)
	f.Add([]byte("-----BEGIN LEAKWATCH OPERATOR PUBLIC KEY-----\nKEM: X-Wing\n\n-----END LEAKWATCH OPERATOR PUBLIC KEY-----\n"), false)
	f.Add([]byte("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl op@example\n"), false)
	f.Add([]byte(""), true)
	f.Fuzz(func(t *testing.T, data []byte, private bool) {
		blockType := publicKeyBlock
		if private {
			blockType = privateKeyBlock
		}
		k, err := parseKey(data, blockType)
		if err != nil {
			// A private key file's key never appears in the error.
			if block, _ := pem.Decode(data); private && block != nil && len(block.Bytes) >= 8 {
				msg := err.Error()
				for _, enc := range []string{base64.StdEncoding.EncodeToString(block.Bytes), hex.EncodeToString(block.Bytes), string(block.Bytes)} {
					if strings.Contains(msg, enc) {
						t.Fatalf("error %q contains the key", msg)
					}
				}
			}
			return
		}
		block, rest := pem.Decode(data)
		if block == nil || block.Type != blockType || len(bytes.TrimSpace(rest)) != 0 {
			t.Fatalf("accepted %q", data)
		}
		name, err := kemByID(k.kem)
		if err != nil || name != block.Headers["KEM"] {
			t.Fatalf("KEM %v (%q), header %q", k.kem, name, block.Headers["KEM"])
		}
		// Written again as GenerateOperatorKeyKEM writes it, it parses to
		// the same key.
		again := pem.EncodeToMemory(&pem.Block{Type: blockType, Headers: map[string]string{"KEM": name}, Bytes: k.raw})
		k2, err := parseKey(again, blockType)
		if err != nil || k2.kem != k.kem || !bytes.Equal(k2.raw, k.raw) {
			t.Fatalf("re-encoded key: %+v, %v", k2, err)
		}
		// Any key it accepts works: a public key seals, and evidence
		// sealed to a private key's public half opens with the file.
		aad := []byte("f-20250304-0001")
		var pub []byte
		if private {
			sk, err := k.kem.Scheme().UnmarshalBinaryPrivateKey(k.raw)
			if err != nil {
				t.Fatal(err)
			}
			pkb, err := sk.Public().MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			pub = pem.EncodeToMemory(&pem.Block{Type: publicKeyBlock, Headers: map[string]string{"KEM": name}, Bytes: pkb})
		} else {
			pub = data
		}
		sealed, err := Seal(pub, evidence, aad)
		if err != nil {
			t.Fatalf("seal to an accepted key: %v", err)
		}
		if kemID, _, _, _, err := splitSealed(sealed); err != nil || kemID != k.kem {
			t.Fatalf("sealed with %v, key is %v: %v", kemID, k.kem, err)
		}
		if private {
			got, err := Open(data, sealed, aad)
			if err != nil || !bytes.Equal(got, evidence) {
				t.Fatalf("open with the accepted private key: %v", err)
			}
			if _, err := Open(data, sealed, []byte("another finding")); !errors.Is(err, ErrOpen) {
				t.Fatalf("opened under another aad: %v", err)
			}
		}
	})
}
