package notify

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/mail"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// TLS modes of SMTPConfig.TLS.
const (
	// TLSStartTLS connects in plain text and upgrades with STARTTLS before
	// anything else is said. A server that does not offer STARTTLS is an
	// error, never a silent fallback to plain text. The default.
	TLSStartTLS = "starttls"
	// TLSImplicit speaks TLS from the first byte (SMTPS, usually port 465).
	TLSImplicit = "implicit"
	// TLSNone sends in plain text. It is accepted only for a loopback host
	// (a local relay such as a sidecar MTA).
	TLSNone = "none"
)

// Digest modes of Policy.Digest.
const (
	// DigestOff sends one email per finding (subject to the rate limit).
	DigestOff = "off"
	// DigestHourly gathers a set's findings into one email per clock hour.
	DigestHourly = "hourly"
	// DigestDaily gathers a set's findings into one email per UTC day.
	DigestDaily = "daily"
)

// Languages of Policy.Language.
const (
	// LangJapanese renders messages in Japanese, times in JST.
	LangJapanese = "ja"
	// LangEnglish renders messages in English, times in UTC.
	LangEnglish = "en"
)

// Defaults used where the configuration leaves a value out.
const (
	// DefaultTimeout bounds every SMTP dial and command.
	DefaultTimeout = 30 * time.Second
	// DefaultRateLimit is the default maximum of emails per set per hour.
	DefaultRateLimit = 20
	// DefaultLanguage is the language of sets that name none.
	DefaultLanguage = LangJapanese
)

// Config is the notify section of leakwatch's configuration file.
//
//	smtp:
//	  host: smtp.example.jp
//	  port: 587                # default: 587 starttls, 465 implicit, 25 none
//	  tls: starttls            # starttls | implicit | none (loopback only)
//	  username: leakwatch
//	  password_file: /etc/leakwatch/smtp-password   # mode 0600 or stricter
//	  from: leakwatch@example.jp
//	  timeout: 30s
//	default:
//	  recipients: [security@example.jp]
//	  language: ja             # ja | en
//	  digest: off              # off | hourly | daily
//	  rate_limit: 20           # emails per set per hour; more are folded
//	sets:
//	  customers:
//	    recipients: [privacy@example.jp, security@example.jp]
//	    digest: hourly
//	operator_key: /etc/leakwatch/operator.pub
//
// A set that is not listed under sets, and every field a listed set leaves
// empty, takes the value under default.
type Config struct {
	// SMTP is the relay every email goes through.
	SMTP SMTPConfig `yaml:"smtp"`
	// Default is the policy of sets not listed in Sets, and the fallback
	// for every field a listed set leaves empty.
	Default Policy `yaml:"default"`
	// Sets holds per-set policies, by set name.
	Sets map[string]Policy `yaml:"sets"`
	// OperatorKey is the path of the operator's public key file (see
	// GenerateOperatorKey); evidence is sealed to it. Optional.
	OperatorKey string `yaml:"operator_key"`
	// Retry tunes redelivery after temporary failures.
	Retry RetryConfig `yaml:"retry"`
	// Poll is how often the outbox is looked at for due items (default
	// 30s); new findings wake it at once.
	Poll time.Duration `yaml:"poll"`
}

// RetryConfig tunes redelivery: the first wait (default 30s), doubling
// with jitter up to Max (default 1h), for at most Attempts tries (default
// 25) before an item is marked failed.
type RetryConfig struct {
	Base     time.Duration `yaml:"base"`
	Max      time.Duration `yaml:"max"`
	Attempts int           `yaml:"attempts"`
}

// SMTPConfig says how to reach the mail relay.
type SMTPConfig struct {
	// Host is the relay's host name or IP address.
	Host string `yaml:"host"`
	// Port is the relay's port; zero picks 587, 465 or 25 by TLS mode.
	Port int `yaml:"port"`
	// TLS is one of TLSStartTLS (default), TLSImplicit or TLSNone.
	TLS string `yaml:"tls"`
	// CAFile is a PEM file of extra certificate authorities to trust, for
	// a relay with a private CA. The system roots are trusted as well.
	CAFile string `yaml:"ca_file"`
	// Username enables SMTP AUTH. The password comes from PasswordFile or
	// PasswordEnv, exactly one of which must be set with a username.
	Username string `yaml:"username"`
	// PasswordFile is a file holding the password (one line). It is
	// refused if group or others may read it.
	PasswordFile string `yaml:"password_file"`
	// PasswordEnv names an environment variable holding the password.
	PasswordEnv string `yaml:"password_env"`
	// Auth is the SASL mechanism: "plain", "login", or empty to let the
	// client pick the strongest one the server offers.
	Auth string `yaml:"auth"`
	// From is the sender address of every email.
	From string `yaml:"from"`
	// Timeout bounds the dial and each SMTP command; zero means
	// DefaultTimeout.
	Timeout time.Duration `yaml:"timeout"`
}

// Policy is how one set's findings are mailed.
type Policy struct {
	// Recipients are the addresses the set's emails go to.
	Recipients []string `yaml:"recipients"`
	// Language is LangJapanese or LangEnglish.
	Language string `yaml:"language"`
	// Digest is DigestOff, DigestHourly or DigestDaily.
	Digest string `yaml:"digest"`
	// RateLimit is the most emails sent for the set in one clock hour;
	// findings beyond it are folded into one summary sent the next hour.
	// Zero inherits (and, under default, means DefaultRateLimit).
	RateLimit int `yaml:"rate_limit"`
}

// maxConfigFile bounds a configuration file LoadConfig reads.
const maxConfigFile = 1 << 20

// LoadConfig reads a YAML configuration file holding the notify section
// at its top level, a regular file of at most 1 MiB. Unknown fields are an error. It does not validate:
// call Validate.
func LoadConfig(path string) (Config, error) {
	data, err := readBounded(path, "config", false, maxConfigFile)
	if err != nil {
		return Config{}, fmt.Errorf("read notify config: %w", err)
	}
	return ParseConfig(data)
}

// ParseConfig decodes YAML text into a Config. Unknown fields are an
// error. It does not validate: call Validate.
func ParseConfig(data []byte) (Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("parse notify config: %w", err)
	}
	return c, nil
}

var setNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Validate checks the whole configuration and returns every problem found,
// joined; each message starts with the name of the field at fault, for
// example "smtp.tls: ...". It reads the file system to check that the
// password file is private and that key files parse.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if c.Retry.Base < 0 || c.Retry.Max < 0 || c.Retry.Attempts < 0 || (c.Retry.Max > 0 && c.Retry.Base > c.Retry.Max) {
		bad("retry", "base, max and attempts must be positive, and base at most max")
	}
	if c.Poll < 0 {
		bad("poll", "must be positive")
	}
	s := c.SMTP
	switch {
	case s.Host == "":
		bad("smtp.host", "is required")
	case strings.ContainsAny(s.Host, " /:@\r\n") && net.ParseIP(s.Host) == nil:
		bad("smtp.host", "%q is not a host name or address", s.Host)
	}
	if s.Port < 0 || s.Port > 65535 {
		bad("smtp.port", "%d is out of range", s.Port)
	}
	switch s.tlsMode() {
	case TLSStartTLS, TLSImplicit:
	case TLSNone:
		if s.Host != "" && !isLoopbackHost(s.Host) {
			bad("smtp.tls", "none is allowed only for a loopback host, not %q", s.Host)
		}
	default:
		bad("smtp.tls", "%q is not one of starttls, implicit, none", s.TLS)
	}
	if s.CAFile != "" {
		if _, err := os.Stat(s.CAFile); err != nil {
			bad("smtp.ca_file", "%v", err)
		}
	}
	switch {
	case s.Username == "" && (s.PasswordFile != "" || s.PasswordEnv != ""):
		bad("smtp.username", "is required when a password is configured")
	case s.Username != "" && s.PasswordFile != "" && s.PasswordEnv != "":
		bad("smtp.password_file", "set either password_file or password_env, not both")
	case s.Username != "" && s.PasswordFile == "" && s.PasswordEnv == "":
		bad("smtp.password_file", "password_file or password_env is required with a username")
	case s.PasswordFile != "":
		if err := checkPrivateFile(s.PasswordFile); err != nil {
			bad("smtp.password_file", "%v", err)
		}
	case s.PasswordEnv != "":
		if os.Getenv(s.PasswordEnv) == "" {
			bad("smtp.password_env", "environment variable %s is not set", s.PasswordEnv)
		}
	}
	switch strings.ToLower(s.Auth) {
	case "", "plain", "login":
	default:
		bad("smtp.auth", "%q is not one of plain, login", s.Auth)
	}
	if s.From == "" {
		bad("smtp.from", "is required")
	} else if _, err := mail.ParseAddress(s.From); err != nil {
		bad("smtp.from", "%q is not an email address", s.From)
	}
	if s.Timeout < 0 {
		bad("smtp.timeout", "must not be negative")
	}

	checkPolicy := func(prefix string, p Policy) {
		for i, r := range p.Recipients {
			if _, err := mail.ParseAddress(r); err != nil {
				bad(fmt.Sprintf("%s.recipients[%d]", prefix, i), "%q is not an email address", r)
			}
		}
		switch p.Language {
		case "", LangJapanese, LangEnglish:
		default:
			bad(prefix+".language", "%q is not one of ja, en", p.Language)
		}
		switch p.Digest {
		case "", DigestOff, DigestHourly, DigestDaily:
		default:
			bad(prefix+".digest", "%q is not one of off, hourly, daily", p.Digest)
		}
		if p.RateLimit < 0 {
			bad(prefix+".rate_limit", "must not be negative")
		}
	}
	if len(c.Default.Recipients) == 0 {
		bad("default.recipients", "at least one recipient is required")
	}
	checkPolicy("default", c.Default)
	names := make([]string, 0, len(c.Sets))
	for name := range c.Sets {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if !setNameRE.MatchString(name) {
			bad("sets", "%q is not a valid set name", name)
			continue
		}
		checkPolicy("sets."+name, c.Sets[name])
	}
	if c.OperatorKey != "" {
		if _, err := LoadOperatorPublicKey(c.OperatorKey); err != nil {
			bad("operator_key", "%v", err)
		}
	}
	return errors.Join(errs...)
}

// PolicyFor returns the effective policy of a set: its own fields, the
// default policy's where it leaves them empty, and built-in defaults last.
func (c Config) PolicyFor(set string) Policy {
	p := c.Sets[set]
	d := c.Default
	if len(p.Recipients) == 0 {
		p.Recipients = d.Recipients
	}
	p.Recipients = slices.Clone(p.Recipients)
	if p.Language == "" {
		p.Language = d.Language
	}
	if p.Language == "" {
		p.Language = DefaultLanguage
	}
	if p.Digest == "" {
		p.Digest = d.Digest
	}
	if p.Digest == "" {
		p.Digest = DigestOff
	}
	if p.RateLimit == 0 {
		p.RateLimit = d.RateLimit
	}
	if p.RateLimit == 0 {
		p.RateLimit = DefaultRateLimit
	}
	return p
}

// allRecipients returns every configured recipient once, in order.
func (c Config) allRecipients() []string {
	var out []string
	add := func(rs []string) {
		for _, r := range rs {
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	add(c.Default.Recipients)
	names := make([]string, 0, len(c.Sets))
	for name := range c.Sets {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		add(c.Sets[name].Recipients)
	}
	return out
}

func (s SMTPConfig) tlsMode() string {
	if s.TLS == "" {
		return TLSStartTLS
	}
	return strings.ToLower(s.TLS)
}

func (s SMTPConfig) port() int {
	if s.Port != 0 {
		return s.Port
	}
	switch s.tlsMode() {
	case TLSImplicit:
		return 465
	case TLSNone:
		return 25
	default:
		return 587
	}
}

func (s SMTPConfig) timeout() time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return DefaultTimeout
}

// password returns the SMTP password from its file or environment
// variable; the file is refused if group or others may read it.
func (s SMTPConfig) password() (string, error) {
	switch {
	case s.PasswordFile != "":
		f, err := os.Open(s.PasswordFile)
		if err != nil {
			return "", fmt.Errorf("smtp.password_file: %w", err)
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return "", fmt.Errorf("smtp.password_file: %w", err)
		}
		if err := privateMode(s.PasswordFile, fi); err != nil {
			return "", fmt.Errorf("smtp.password_file: %w", err)
		}
		buf := make([]byte, 4096)
		n, err := f.Read(buf)
		if err != nil {
			return "", fmt.Errorf("smtp.password_file: read: %w", err)
		}
		pw := strings.TrimRight(string(buf[:n]), "\r\n")
		if pw == "" || strings.ContainsAny(pw, "\r\n") {
			return "", fmt.Errorf("smtp.password_file: %s must hold the password on one line", s.PasswordFile)
		}
		return pw, nil
	case s.PasswordEnv != "":
		pw := os.Getenv(s.PasswordEnv)
		if pw == "" {
			return "", fmt.Errorf("smtp.password_env: environment variable %s is not set", s.PasswordEnv)
		}
		return pw, nil
	}
	return "", nil
}

// checkPrivateFile refuses a path that is not a regular file or that group
// or others may access.
func checkPrivateFile(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	return privateMode(path, fi)
}

func privateMode(path string, fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%s is accessible to group or others (mode %04o); chmod 600 it", path, perm)
	}
	return nil
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
