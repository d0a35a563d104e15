package notify

import (
	"bytes"
	"embed"
	"encoding/hex"
	"fmt"
	htmltemplate "html/template"
	"regexp"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"
	"unicode"
	"unicode/utf8"
)

// Finding is what the matcher reports about one crawled page: which
// records of which set it holds, by reference, and where it was seen. It
// deliberately has no field for a matched value or for page text; the
// evidence itself is only ever handled sealed (see Seal).
type Finding struct {
	// ID identifies the finding ([A-Za-z0-9._-], at most 64 bytes).
	ID string `json:"id"`
	// Set is the name of the fingerprint set the records belong to.
	Set string `json:"set"`
	// Refs are opaque references of the matched records (row references
	// made by package fingerprints), never their values.
	Refs []string `json:"refs,omitempty"`
	// Kinds are the field kinds that matched ("email", "phone", ...).
	Kinds []string `json:"kinds,omitempty"`
	// URL is the page's address. Attacker-controlled.
	URL string `json:"url"`
	// Source is the name of the crawler source that found the page.
	Source string `json:"source,omitempty"`
	// Title is the page's title. Attacker-controlled.
	Title string `json:"title,omitempty"`
	// FirstSeen is when the page was first seen holding the records.
	FirstSeen time.Time `json:"first_seen"`
	// Score is the matcher's confidence, 0 to 1.
	Score float64 `json:"score"`
	// ContentHash is the hex SHA-256 of the page content as crawled.
	ContentHash string `json:"content_hash,omitempty"`
	// Records is how many distinct records the page holds.
	Records int `json:"records"`
}

// Message is a rendered email: a subject and the same content as plain
// text and as HTML.
type Message struct {
	// Subject is the subject line, unencoded; Mailer encodes it (RFC 2047).
	Subject string
	// Text is the text/plain body.
	Text string
	// HTML is the text/html body, with the same content as Text.
	HTML string
	// Language is the language the message was rendered in.
	Language string
	// MessageID, when set, is used as the Message-ID (without brackets),
	// so a resend of the same outbox item is recognisably the same email.
	MessageID string
}

// Digest is many findings of one set gathered into one email, either
// because the set is in digest mode or because its rate limit was reached.
type Digest struct {
	// Set is the set every finding belongs to.
	Set string
	// Start and End bound when the findings were queued.
	Start, End time.Time
	// Findings are the findings, oldest first.
	Findings []Finding
	// RateLimited says the findings were folded by the rate limit rather
	// than gathered by a digest schedule.
	RateLimited bool
}

// Limits on what a message shows of a finding.
const (
	maxTitleRunes   = 120
	maxURLRunes     = 200
	maxSourceRunes  = 64
	maxRefRunes     = 64
	maxKindRunes    = 32
	maxRefsShown    = 20
	maxRefsKept     = 50
	maxDigestListed = 100
	maxInputBytes   = 4096
)

//go:embed templates/*.tmpl
var templateFS embed.FS

var (
	textTemplates = texttemplate.Must(texttemplate.New("").Funcs(texttemplate.FuncMap(templateFuncs)).ParseFS(templateFS, "templates/*.txt.tmpl"))
	htmlTemplates = htmltemplate.Must(htmltemplate.New("").Funcs(htmltemplate.FuncMap(templateFuncs)).ParseFS(templateFS, "templates/*.html.tmpl"))
)

var templateFuncs = map[string]any{
	"num": formatCount,
}

var jst = time.FixedZone("JST", 9*60*60)

// findingView is a finding as the templates see it: every string already
// sanitized, the URL defanged, times formatted.
type findingView struct {
	ID          string
	Set         string
	URL         string
	Source      string
	Title       string
	FirstSeen   string
	Score       string
	ContentHash string
	Records     int
	Refs        []string
	MoreRefs    int
	Kinds       []string
}

type digestView struct {
	Set          string
	Start, End   string
	Findings     []findingView
	More         int
	Count        int
	TotalRecords int
	RateLimited  bool
}

type testView struct {
	Sent string
	Host string
}

// RenderFinding renders the email for one finding in lang ("ja" or "en").
// Every attacker-controlled string is sanitized first (see the package
// documentation).
func RenderFinding(f Finding, lang string) (Message, error) {
	return renderFinding(f.sanitized(), lang, len(f.Refs))
}

func renderFinding(f Finding, lang string, refTotal int) (Message, error) {
	return render("finding", lang, viewOf(f, lang, refTotal))
}

// RenderDigest renders one email listing many findings of one set.
func RenderDigest(d Digest, lang string) (Message, error) {
	totals := make([]int, len(d.Findings))
	for i, f := range d.Findings {
		totals[i] = len(f.Refs)
	}
	return renderDigest(d, totals, lang)
}

// renderDigest renders a digest; refTotals[i] is how many record
// references d.Findings[i] had before its stored list was cut.
func renderDigest(d Digest, refTotals []int, lang string) (Message, error) {
	if len(d.Findings) == 0 {
		return Message{}, fmt.Errorf("render digest: no findings")
	}
	v := digestView{
		Set:         sanitizeLine(d.Set, maxSourceRunes),
		Start:       formatTime(d.Start, lang),
		End:         formatTime(d.End, lang),
		Count:       len(d.Findings),
		RateLimited: d.RateLimited,
	}
	for i, f := range d.Findings {
		v.TotalRecords += max(f.Records, 0)
		if i < maxDigestListed {
			v.Findings = append(v.Findings, viewOf(f.sanitized(), lang, refTotals[i]))
		}
	}
	v.More = len(d.Findings) - len(v.Findings)
	return render("digest", lang, v)
}

// renderTest renders the message SendTest sends.
func renderTest(lang, host string, now time.Time) (Message, error) {
	return render("test", lang, testView{Sent: formatTime(now, lang), Host: sanitizeLine(host, maxSourceRunes)})
}

func render(kind, lang string, data any) (Message, error) {
	if lang != LangJapanese && lang != LangEnglish {
		return Message{}, fmt.Errorf("render %s: unknown language %q", kind, lang)
	}
	base := kind + "." + lang
	var subj, text, html bytes.Buffer
	if err := textTemplates.ExecuteTemplate(&subj, base+".subject", data); err != nil {
		return Message{}, fmt.Errorf("render %s subject: %w", base, err)
	}
	if err := textTemplates.ExecuteTemplate(&text, base+".txt.tmpl", data); err != nil {
		return Message{}, fmt.Errorf("render %s text: %w", base, err)
	}
	if err := htmlTemplates.ExecuteTemplate(&html, base+".html.tmpl", data); err != nil {
		return Message{}, fmt.Errorf("render %s html: %w", base, err)
	}
	return Message{
		// The subject is made only of fixed words, the set name and
		// numbers; sanitizing again guarantees a single line.
		Subject:  sanitizeLine(subj.String(), 200),
		Text:     text.String(),
		HTML:     html.String(),
		Language: lang,
	}, nil
}

// viewOf prepares a sanitized finding for the templates. refTotal is how
// many record references the finding had before the stored list was cut.
func viewOf(f Finding, lang string, refTotal int) findingView {
	v := findingView{
		ID:          f.ID,
		Set:         f.Set,
		URL:         defangURL(f.URL),
		Source:      f.Source,
		Title:       f.Title,
		FirstSeen:   formatTime(f.FirstSeen, lang),
		Score:       strconv.FormatFloat(f.Score, 'f', 2, 64),
		ContentHash: f.ContentHash,
		Records:     f.Records,
		Kinds:       kindLabels(f.Kinds, lang),
	}
	v.Refs = f.Refs
	if len(v.Refs) > maxRefsShown {
		v.Refs = v.Refs[:maxRefsShown]
	}
	v.MoreRefs = max(refTotal, len(f.Refs)) - len(v.Refs)
	return v
}

var kindNamesJA = map[string]string{
	"email": "メールアドレス", "phone": "電話番号", "birthdate": "生年月日",
	"date": "日付", "name": "氏名", "postal": "郵便番号", "address": "住所",
	"mynumber": "個人番号", "card": "カード番号", "id": "ID",
}

func kindLabels(kinds []string, lang string) []string {
	out := make([]string, 0, len(kinds))
	for _, k := range kinds {
		if lang == LangJapanese {
			if ja, ok := kindNamesJA[k]; ok {
				k = ja
			}
		}
		out = append(out, k)
	}
	return out
}

func formatTime(t time.Time, lang string) string {
	if t.IsZero() {
		return "-"
	}
	if lang == LangJapanese {
		return t.In(jst).Format("2006-01-02 15:04 MST")
	}
	return t.UTC().Format("2006-01-02 15:04 MST")
}

// formatCount writes n with thousands separators: 100000 → "100,000".
func formatCount(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

var (
	idRE   = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
	kindRE = regexp.MustCompile(`^[a-z0-9_-]{1,32}$`)
	hexRE  = regexp.MustCompile(`^[0-9a-f]{16,128}$`)
)

// validate reports whether the finding can be queued: its ID and set name
// end up in store keys and subjects, so they are checked, not cleaned.
func (f Finding) validate() error {
	if !idRE.MatchString(f.ID) {
		return fmt.Errorf("finding id %q: want 1 to 64 of [A-Za-z0-9._-]", truncateRunes(sanitizeLine(f.ID, 80), 80))
	}
	if !setNameRE.MatchString(f.Set) {
		return fmt.Errorf("finding %s: set name %q is invalid", f.ID, truncateRunes(sanitizeLine(f.Set, 80), 80))
	}
	if strings.TrimSpace(f.URL) == "" {
		return fmt.Errorf("finding %s: url is empty", f.ID)
	}
	return nil
}

// sanitized returns a copy of the finding that is safe to store and to
// show: every string is a single line of valid UTF-8 without control or
// bidirectional-override characters, things that look like personal data
// (email addresses, long digit runs) are masked, and lengths are bounded.
// It is idempotent.
func (f Finding) sanitized() Finding {
	out := f
	out.Title = sanitizeLine(defangText(redact(f.Title)), maxTitleRunes)
	out.URL = sanitizeLine(redact(f.URL), maxURLRunes)
	out.Source = sanitizeLine(redact(f.Source), maxSourceRunes)
	out.Refs = nil
	for _, r := range f.Refs {
		if len(out.Refs) == maxRefsKept {
			break
		}
		out.Refs = append(out.Refs, sanitizeLine(redact(r), maxRefRunes))
	}
	out.Kinds = nil
	for _, k := range f.Kinds {
		k = strings.ToLower(strings.TrimSpace(k))
		if kindRE.MatchString(k) && len(out.Kinds) < 16 {
			out.Kinds = append(out.Kinds, k)
		}
	}
	h := strings.ToLower(strings.TrimSpace(f.ContentHash))
	if _, err := hex.DecodeString(h); err != nil || !hexRE.MatchString(h) {
		h = ""
	}
	out.ContentHash = h
	if out.Score < 0 || out.Score != out.Score {
		out.Score = 0
	}
	if out.Score > 1 {
		out.Score = 1
	}
	if out.Records < 0 {
		out.Records = 0
	}
	if !out.FirstSeen.IsZero() {
		out.FirstSeen = out.FirstSeen.UTC().Truncate(time.Second)
	}
	return out
}

// sanitizeLine makes s one line of valid UTF-8 of at most n runes: control
// characters (CR and LF included), bidirectional overrides and zero-width
// characters become spaces, runs of spaces collapse, and a longer string
// is cut with an ellipsis.
func sanitizeLine(s string, n int) string {
	if len(s) > maxInputBytes {
		s = s[:maxInputBytes]
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	space := true
	for _, r := range s {
		if isInvisible(r) || unicode.IsSpace(r) {
			if !space {
				b.WriteByte(' ')
				space = true
			}
			continue
		}
		b.WriteRune(r)
		space = false
	}
	return truncateRunes(strings.TrimRight(b.String(), " "), n)
}

func isInvisible(r rune) bool {
	switch {
	case unicode.IsControl(r):
		return true
	case r >= 0x200B && r <= 0x200F, // zero-width, LRM, RLM
		r >= 0x202A && r <= 0x202E, // bidi embeddings and overrides
		r >= 0x2066 && r <= 0x2069, // bidi isolates
		r == 0x2028, r == 0x2029, r == 0xFEFF, r == 0x061C:
		return true
	}
	return false
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for pos := range s {
		if i == n-1 {
			return s[:pos] + "…"
		}
		i++
	}
	return s
}

// emailRE matches email addresses, also with a percent-encoded or
// full-width at sign as they appear in URLs and Japanese text.
var emailRE = regexp.MustCompile(`[\p{L}\p{N}._%+\-]+(?:@|%40|＠)[\p{L}\p{N}\-]+(?:\.[\p{L}\p{N}\-]+)+`)

// minDigitRun is the shortest run of digits that redact masks: phone
// numbers (10 or 11 digits in Japan), individual numbers (12) and card
// numbers (13 to 19) are all at least this long.
const minDigitRun = 10

// redact masks what looks like personal data in attacker-controlled text:
// email addresses become "[email]" and runs of at least minDigitRun digits
// (ASCII or full-width, single separators such as '-', ' ', '.' allowed
// between them) become "[number]".
func redact(s string) string {
	if len(s) > maxInputBytes {
		s = strings.ToValidUTF8(s[:maxInputBytes], "")
	}
	s = emailRE.ReplaceAllString(s, "[email]")
	return maskDigitRuns(s)
}

func isDigit(r rune) bool { return (r >= '0' && r <= '9') || (r >= '０' && r <= '９') }

func isDigitSep(r rune) bool {
	switch r {
	case '-', ' ', '.', '/', '(', ')', '‐', '−', 'ー', '－', '　', '（', '）':
		return true
	}
	return false
}

func maskDigitRuns(s string) string {
	rs := []rune(s)
	var b strings.Builder
	for i := 0; i < len(rs); {
		if !isDigit(rs[i]) {
			b.WriteRune(rs[i])
			i++
			continue
		}
		// Extend the run: digits, with at most one separator between two.
		j, digits, end := i, 0, i
		for j < len(rs) {
			if isDigit(rs[j]) {
				digits++
				j++
				end = j
				continue
			}
			if isDigitSep(rs[j]) && j+1 < len(rs) && isDigit(rs[j+1]) {
				j++
				continue
			}
			break
		}
		if digits >= minDigitRun {
			b.WriteString("[number]")
		} else {
			b.WriteString(string(rs[i:end]))
		}
		i = end
	}
	return b.String()
}

// hostRE matches host names in free text ("evil.example", "www.x.co.jp").
var hostRE = regexp.MustCompile(`(?i)\b[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,}\b`)

// defangText keeps mail clients from turning free text into links: "://"
// becomes "[:]//" and the dots of host names become "[.]".
func defangText(s string) string {
	s = strings.ReplaceAll(s, "://", "[:]//")
	return hostRE.ReplaceAllStringFunc(s, func(h string) string { return strings.ReplaceAll(h, ".", "[.]") })
}

// defangURL makes a URL unclickable yet readable: the scheme http becomes
// hxxp (https hxxps, others are followed by "[:]//") and every dot of the
// host becomes "[.]". Mail clients do not turn the result into a link.
func defangURL(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok || strings.ContainsAny(scheme, "/?#") {
		scheme, rest = "", u
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	host := strings.ReplaceAll(rest[:end], ".", "[.]")
	out := host + rest[end:]
	switch strings.ToLower(scheme) {
	case "":
		return out
	case "http":
		return "hxxp://" + out
	case "https":
		return "hxxps://" + out
	default:
		return scheme + "[:]//" + out
	}
}

// Sanitized returns the finding as it is stored and shown: attacker-
// controlled text (title, URL, source) made one line, e-mail addresses and
// long digit runs masked, lengths capped and URLs defanged. Callers that
// keep findings anywhere else should keep this form.
func (f Finding) Sanitized() Finding { return f.sanitized() }
