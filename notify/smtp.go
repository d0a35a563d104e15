package notify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"syscall"
	"time"

	gomail "github.com/wneessen/go-mail"
	gomailsmtp "github.com/wneessen/go-mail/smtp"
)

// DeliveryError is a failed delivery, classified. Temporary failures
// (connection refused or reset, timeouts, 4xx replies) are worth retrying;
// permanent ones (5xx replies, a server without the STARTTLS the
// configuration demands, a certificate that does not verify) are not, until
// someone changes something.
type DeliveryError struct {
	// Temporary says a later retry may succeed.
	Temporary bool
	// Code is the SMTP reply code when the server gave one, else 0.
	Code int
	// Err is the underlying error.
	Err error
}

// Error describes the failure; it never includes message content.
func (e *DeliveryError) Error() string {
	kind := "permanent"
	if e.Temporary {
		kind = "temporary"
	}
	if e.Code != 0 {
		return fmt.Sprintf("%s delivery failure (smtp %d): %v", kind, e.Code, e.Err)
	}
	return fmt.Sprintf("%s delivery failure: %v", kind, e.Err)
}

// Unwrap returns the underlying error.
func (e *DeliveryError) Unwrap() error { return e.Err }

// IsTemporary reports whether err is, or wraps, a temporary DeliveryError.
func IsTemporary(err error) bool {
	var de *DeliveryError
	return errors.As(err, &de) && de.Temporary
}

// ErrNoStartTLS is wrapped by the error of a delivery to a server that did
// not offer STARTTLS although the configuration requires it.
var ErrNoStartTLS = errors.New("server does not offer STARTTLS")

// Mailer sends rendered messages through the configured relay. It opens a
// new connection for every Send, so it holds no connection between sends
// and is safe for concurrent use.
type Mailer struct {
	cfg      SMTPConfig
	password string
	tls      *tls.Config
	from     *mail.Address
	logger   *slog.Logger
	now      func() time.Time
}

// NewMailer checks the SMTP configuration, reads the password and the CA
// file, and returns a Mailer. A nil logger discards.
func NewMailer(cfg SMTPConfig, logger *slog.Logger) (*Mailer, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("smtp.from: %w", err)
	}
	if cfg.Host == "" {
		return nil, errors.New("smtp.host: is required")
	}
	if cfg.tlsMode() == TLSNone && !isLoopbackHost(cfg.Host) {
		return nil, fmt.Errorf("smtp.tls: none is allowed only for a loopback host, not %q", cfg.Host)
	}
	pw, err := cfg.password()
	if err != nil {
		return nil, err
	}
	tc := &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		pemData, err := readBounded(cfg.CAFile, "CA bundle", false, maxCAFile)
		if err != nil {
			return nil, fmt.Errorf("smtp.ca_file: %w", err)
		}
		if !pool.AppendCertsFromPEM(pemData) {
			return nil, fmt.Errorf("smtp.ca_file: %s holds no PEM certificate", cfg.CAFile)
		}
		tc.RootCAs = pool
	}
	return &Mailer{cfg: cfg, password: pw, tls: tc, from: from, logger: logger, now: time.Now}, nil
}

func (m *Mailer) client() (*gomail.Client, error) {
	opts := []gomail.Option{
		gomail.WithPort(m.cfg.port()),
		gomail.WithTimeout(m.cfg.timeout()),
		gomail.WithTLSConfig(m.tls),
	}
	switch m.cfg.tlsMode() {
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if m.cfg.Username != "" {
		var auth gomail.SMTPAuthType
		switch strings.ToLower(m.cfg.Auth) {
		case "plain":
			auth = gomail.SMTPAuthPlain
		case "login":
			auth = gomail.SMTPAuthLogin
		default:
			auth = gomail.SMTPAuthAutoDiscover
		}
		opts = append(opts, gomail.WithSMTPAuth(auth),
			gomail.WithUsername(m.cfg.Username), gomail.WithPassword(m.password))
	}
	c, err := gomail.NewClient(m.cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("smtp client: %w", err)
	}
	return c, nil
}

// Send delivers msg to the recipients. Its error is a *DeliveryError that
// says whether a retry is worthwhile (a context error is temporary too).
func (m *Mailer) Send(ctx context.Context, to []string, msg Message) error {
	if len(to) == 0 {
		return &DeliveryError{Err: errors.New("no recipients")}
	}
	gm, err := m.build(to, msg)
	if err != nil {
		return &DeliveryError{Err: err}
	}
	c, err := m.client()
	if err != nil {
		return &DeliveryError{Err: err}
	}
	start := time.Now()
	err = c.DialAndSendWithContext(ctx, gm)
	if err != nil {
		de := classify(ctx, err)
		m.logger.LogAttrs(ctx, slog.LevelWarn, "smtp delivery failed",
			slog.String("host", m.cfg.Host), slog.Int("port", m.cfg.port()),
			slog.Bool("temporary", de.Temporary), slog.Int("code", de.Code),
			slog.String("error", de.Err.Error()))
		return de
	}
	m.logger.LogAttrs(ctx, slog.LevelDebug, "smtp delivery accepted",
		slog.String("host", m.cfg.Host), slog.Int("recipients", len(to)),
		slog.Duration("took", time.Since(start)))
	return nil
}

// build turns a rendered message into a MIME message: multipart/alternative
// with text and HTML, UTF-8, base64 for Japanese and quoted-printable for
// English, the subject RFC 2047-encoded.
func (m *Mailer) build(to []string, msg Message) (*gomail.Msg, error) {
	enc := gomail.EncodingQP
	if msg.Language == LangJapanese {
		enc = gomail.EncodingB64
	}
	gm := gomail.NewMsg(gomail.WithCharset(gomail.CharsetUTF8), gomail.WithEncoding(enc), gomail.WithNoDefaultUserAgent())
	gm.FromMailAddress(m.from)
	if err := gm.To(to...); err != nil {
		return nil, fmt.Errorf("recipients: %w", err)
	}
	gm.Subject(sanitizeLine(msg.Subject, 200))
	if msg.MessageID != "" {
		gm.SetMessageIDWithValue(msg.MessageID)
	} else {
		gm.SetMessageID()
	}
	gm.SetDateWithValue(m.now())
	gm.SetGenHeader(gomail.HeaderUserAgent, "leakwatch")
	gm.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	gm.SetGenHeader(gomail.HeaderXAutoResponseSuppress, "All")
	gm.SetBodyString(gomail.TypeTextPlain, msg.Text)
	gm.AddAlternativeString(gomail.TypeTextHTML, msg.HTML)
	return gm, nil
}

// classify sorts a go-mail error into temporary or permanent. The reply
// code comes from go-mail's SendError (MAIL, RCPT, DATA) or from the
// textproto error of the greeting, EHLO, STARTTLS and AUTH steps.
func classify(ctx context.Context, err error) *DeliveryError {
	de := &DeliveryError{Err: err}
	var se *gomail.SendError
	var te *textproto.Error
	switch {
	case errors.As(err, &se) && se.ErrorCode() != 0:
		de.Code = se.ErrorCode()
	case errors.As(err, &te):
		de.Code = te.Code
	}
	switch {
	case de.Code >= 400 && de.Code < 500:
		de.Temporary = true
	case de.Code >= 500:
		de.Temporary = false
	case ctx.Err() != nil, errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		de.Temporary = true
	case strings.Contains(err.Error(), "does not support STARTTLS"):
		de.Err = fmt.Errorf("%w: %w", ErrNoStartTLS, err)
	case isTLSFailure(err):
		de.Temporary = false
	case errors.Is(err, gomailsmtp.ErrUnencrypted), errors.Is(err, gomailsmtp.ErrWrongHostname),
		errors.Is(err, gomail.ErrPlainAuthNotSupported), errors.Is(err, gomail.ErrLoginAuthNotSupported),
		errors.Is(err, gomail.ErrNoSupportedAuthDiscovered),
		strings.Contains(err.Error(), "does not support SMTP AUTH"):
		de.Temporary = false
	case isNetFailure(err):
		de.Temporary = true
	case se != nil:
		// A SendError without a reply code: the connection broke during
		// the transaction, or the server said something unparsable.
		de.Temporary = true
	default:
		// Unknown failures are retried; the outbox bounds the attempts.
		de.Temporary = true
	}
	return de
}

func isTLSFailure(err error) bool {
	var cve *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	var rh tls.RecordHeaderError
	var ae tls.AlertError
	return errors.As(err, &cve) || errors.As(err, &ua) || errors.As(err, &he) ||
		errors.As(err, &ci) || errors.As(err, &rh) || errors.As(err, &ae)
}

func isNetFailure(err error) bool {
	var ne net.Error
	var oe *net.OpError
	return errors.As(err, &ne) || errors.As(err, &oe) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed)
}

// SendTest sends one test email, in the default language, to every
// recipient configured (default and per-set, each once), through the
// configured relay. `leakwatch notify test` calls it. It validates cfg
// first.
func SendTest(ctx context.Context, cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("notify test: %w", err)
	}
	m, err := NewMailer(cfg.SMTP, nil)
	if err != nil {
		return fmt.Errorf("notify test: %w", err)
	}
	lang := cfg.PolicyFor("").Language
	msg, err := renderTest(lang, cfg.SMTP.Host, m.now())
	if err != nil {
		return fmt.Errorf("notify test: %w", err)
	}
	if err := m.Send(ctx, cfg.allRecipients(), msg); err != nil {
		return fmt.Errorf("notify test: %w", err)
	}
	return nil
}
