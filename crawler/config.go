package crawler

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/andybalholm/cascadia"
	"go.yaml.in/yaml/v3"
	"golang.org/x/net/http/httpguts"
)

// Source kinds.
const (
	KindPasteAPI    = "paste-api"
	KindHTMLListing = "html-listing"
	KindDiscourse   = "discourse"
	KindFeed        = "feed"
	KindURL         = "url"
)

// Defaults applied to fields left empty.
const (
	DefaultInterval   = 5 * time.Minute
	DefaultJitter     = 0.1
	DefaultMaxItems   = 100
	DefaultRate       = 1.0
	DefaultTimeout    = 30 * time.Second
	DefaultMaxBody    = 10 << 20
	DefaultUserAgent  = "leakwatch/1.0 (continuous leak monitoring)"
	DefaultPasteLimit = 100
)

// SourceConfig describes one watched source. It is read from YAML (the
// daemon's configuration embeds a list of them under "sources") and must
// be checked with Validate before use; New does that.
type SourceConfig struct {
	// Name identifies the source in state, logs and health; letters,
	// digits, '.', '_' and '-', at most 64.
	Name string `yaml:"name"`
	// Kind is one of paste-api, html-listing, discourse, feed, url.
	Kind string `yaml:"kind"`
	// URL is where a visit starts: the listing, forum, feed or page.
	URL string `yaml:"url"`
	// Interval is the time between visits (default 5m, at least 1s).
	Interval Duration `yaml:"interval"`
	// Jitter spreads visits: a fraction of Interval ("0.1") or a
	// duration ("30s"); each visit is due Interval ± Jitter after the
	// previous one. Default 0.1.
	Jitter Jitter `yaml:"jitter"`
	// MaxItems bounds the items (pastes, pages, topics, entries) fetched
	// per visit (default 100); the rest wait for the next visit.
	MaxItems int `yaml:"max_items"`
	// Rate is the most requests per second sent to one host:port
	// (default 1), shared with every source on the same host. A robots.txt
	// Crawl-delay that asks for more time wins.
	Rate float64 `yaml:"rate"`
	// UserAgent is sent with every request (and matched against
	// robots.txt groups).
	UserAgent string `yaml:"user_agent"`
	// Headers are added to every request.
	Headers map[string]string `yaml:"headers"`
	// Cookies are sent with every request to the source's hosts: a map
	// of name to value, or a list of "name=value" strings.
	Cookies Cookies `yaml:"cookies"`
	// Proxy is an http, https or socks5 proxy URL, with optional
	// credentials (socks5://user:pass@127.0.0.1:9050). Names are resolved
	// by a socks5 proxy, so .onion addresses work; distinct credentials
	// per source give distinct Tor circuits.
	Proxy string `yaml:"proxy"`
	// Robots obeys robots.txt when true (the default).
	Robots *bool `yaml:"robots"`
	// AllowPrivate permits loopback, private, link-local and CGNAT
	// addresses (intranet sites, tests). Cloud metadata, unspecified and
	// multicast addresses stay refused.
	AllowPrivate bool `yaml:"allow_private"`
	// Timeout bounds one request, body included (default 30s).
	Timeout Duration `yaml:"timeout"`
	// MaxBody bounds a response body after decompression (default
	// 10 MiB): a number of bytes or "512KiB", "10MiB". A larger body is
	// an error, never a truncated page.
	MaxBody ByteSize `yaml:"max_body"`

	// ItemSelector (html-listing, required) selects the item links on a
	// listing page: an <a href> or an element containing one.
	ItemSelector string `yaml:"item_selector"`
	// NextSelector (html-listing) selects the link to the next listing
	// page; item pages are followed through it too.
	NextSelector string `yaml:"next_selector"`
	// MaxPages (html-listing, discourse) bounds the listing pages read per
	// visit (default 1 without NextSelector, else 5; discourse 3).
	MaxPages int `yaml:"max_pages"`
	// ContentSelector (html-listing) selects the content on an item page;
	// each match becomes its own document, keyed by the id of the match
	// or of its nearest ancestor with one (a forum post). Empty: the
	// whole page is one document.
	ContentSelector string `yaml:"content_selector"`
	// Limit (paste-api) is the listing's limit parameter (default 100,
	// at most 250).
	Limit int `yaml:"limit"`
	// UseContent (feed) takes each entry's content from the feed instead
	// of fetching the entry's link.
	UseContent bool `yaml:"use_content"`
}

// RobotsEnabled reports whether robots.txt is obeyed (the default).
func (s *SourceConfig) RobotsEnabled() bool { return s.Robots == nil || *s.Robots }

// Duration is a time.Duration read from YAML as "90s", "5m", "1h30m".
type Duration time.Duration

// UnmarshalYAML reads a duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return fmt.Errorf("line %d: want a duration such as \"5m\"", n.Line)
	}
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("line %d: want a duration such as \"5m\", got %q", n.Line, s)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as a string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// Jitter is either a fraction of the interval or a fixed duration.
type Jitter struct {
	Fraction float64
	Duration time.Duration
}

// UnmarshalYAML reads "0.1" as a fraction and "30s" as a duration.
func (j *Jitter) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return fmt.Errorf("line %d: want a fraction such as 0.1 or a duration such as \"30s\"", n.Line)
	}
	s = strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		*j = Jitter{Fraction: f}
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: want a fraction such as 0.1 or a duration such as \"30s\", got %q", n.Line, s)
	}
	*j = Jitter{Duration: d}
	return nil
}

// MarshalYAML writes the jitter back in the form it was given.
func (j Jitter) MarshalYAML() (any, error) {
	if j.Duration != 0 {
		return j.Duration.String(), nil
	}
	return j.Fraction, nil
}

// span returns the jitter as a duration for the given interval.
func (j Jitter) span(interval time.Duration) time.Duration {
	if j.Duration != 0 {
		return j.Duration
	}
	return time.Duration(j.Fraction * float64(interval))
}

// ByteSize is a size in bytes read from YAML as 1048576, "512KiB", "10MiB",
// "1GB".
type ByteSize int64

var sizeUnits = map[string]int64{"": 1, "b": 1, "kb": 1e3, "kib": 1 << 10, "mb": 1e6, "mib": 1 << 20, "gb": 1e9, "gib": 1 << 30}

var sizeRE = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)$`)

// UnmarshalYAML reads a byte count with an optional unit.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return fmt.Errorf("line %d: want a size such as \"10MiB\"", n.Line)
	}
	m := sizeRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return fmt.Errorf("line %d: want a size such as \"10MiB\", got %q", n.Line, s)
	}
	unit, ok := sizeUnits[strings.ToLower(m[2])]
	if !ok {
		return fmt.Errorf("line %d: unknown size unit %q (use B, KiB, MiB, GiB, KB, MB, GB)", n.Line, m[2])
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	if v*float64(unit) > math.MaxInt64/2 {
		return fmt.Errorf("line %d: size %q too large", n.Line, s)
	}
	*b = ByteSize(v * float64(unit))
	return nil
}

// Cookie is one cookie sent with a source's requests.
type Cookie struct {
	Name  string `yaml:"name"`
	Value string `yaml:"value"`
}

// Cookies is a list of cookies, read from YAML as a map of name to value
// or a list of "name=value" strings.
type Cookies []Cookie

// UnmarshalYAML reads a map or a list.
func (c *Cookies) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.MappingNode:
		var m map[string]string
		if err := n.Decode(&m); err != nil {
			return fmt.Errorf("line %d: want a map of cookie names to values: %w", n.Line, err)
		}
		out := make(Cookies, 0, len(m))
		for k, v := range m {
			out = append(out, Cookie{Name: k, Value: v})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
		*c = out
	case yaml.SequenceNode:
		var l []string
		if err := n.Decode(&l); err != nil {
			return fmt.Errorf("line %d: want a list of \"name=value\" strings", n.Line)
		}
		out := make(Cookies, 0, len(l))
		for _, s := range l {
			name, value, ok := strings.Cut(s, "=")
			if !ok {
				return fmt.Errorf("line %d: cookie %q: want \"name=value\"", n.Line, s)
			}
			out = append(out, Cookie{Name: strings.TrimSpace(name), Value: strings.TrimSpace(value)})
		}
		*c = out
	default:
		return fmt.Errorf("line %d: want a map or a list of cookies", n.Line)
	}
	return nil
}

// ConfigError is a problem with one field of one source.
type ConfigError struct {
	// Source is the source's name, or "#N" (1-based position) if it has
	// none.
	Source string
	// Field is the YAML field name.
	Field string
	// Err says what is wrong.
	Err error
}

// Error reads like `source "forum-a": interval: must be at least 1s`.
func (e *ConfigError) Error() string {
	src := fmt.Sprintf("source %q", e.Source)
	if strings.HasPrefix(e.Source, "#") {
		src = "source " + e.Source
	}
	if e.Field == "" {
		return fmt.Sprintf("%s: %v", src, e.Err)
	}
	return fmt.Sprintf("%s: %s: %v", src, e.Field, e.Err)
}

// Unwrap returns the underlying problem.
func (e *ConfigError) Unwrap() error { return e.Err }

// knownFields lists SourceConfig's YAML field names.
var knownFields = func() map[string]bool {
	m := map[string]bool{}
	t := reflect.TypeFor[SourceConfig]()
	for i := range t.NumField() {
		if tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); tag != "" {
			m[tag] = true
		}
	}
	return m
}()

// ParseSources reads a YAML list of sources, refuses unknown fields,
// applies defaults and validates every source. Errors name the source and
// the field.
func ParseSources(data []byte) ([]SourceConfig, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("sources: %w", err)
	}
	list := &root
	if list.Kind == yaml.DocumentNode && len(list.Content) == 1 {
		list = list.Content[0]
	}
	if list.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("sources: line %d: want a list of sources", list.Line)
	}
	out := make([]SourceConfig, 0, len(list.Content))
	for i, n := range list.Content {
		id := fmt.Sprintf("#%d", i+1)
		if n.Kind != yaml.MappingNode {
			return nil, &ConfigError{Source: id, Err: fmt.Errorf("line %d: want a mapping", n.Line)}
		}
		for j := 0; j+1 < len(n.Content); j += 2 {
			k := n.Content[j]
			if k.Value == "name" && n.Content[j+1].Value != "" {
				id = n.Content[j+1].Value
			}
		}
		for j := 0; j+1 < len(n.Content); j += 2 {
			if k := n.Content[j]; !knownFields[k.Value] {
				return nil, &ConfigError{Source: id, Field: k.Value, Err: fmt.Errorf("line %d: unknown field", k.Line)}
			}
		}
		var s SourceConfig
		if err := n.Decode(&s); err != nil {
			return nil, &ConfigError{Source: id, Err: err}
		}
		out = append(out, s)
	}
	if err := ValidateSources(out); err != nil {
		return nil, err
	}
	return out, nil
}

// ValidateSources applies defaults to and validates every source, and
// refuses duplicate names.
func ValidateSources(srcs []SourceConfig) error {
	names := map[string]bool{}
	var errs []error
	for i := range srcs {
		if err := srcs[i].Validate(); err != nil {
			if ce := (*ConfigError)(nil); errors.As(err, &ce) && ce.Source == "" {
				ce.Source = fmt.Sprintf("#%d", i+1)
			}
			errs = append(errs, err) // report every source's problem at once
			continue
		}
		if names[srcs[i].Name] {
			errs = append(errs, &ConfigError{Source: srcs[i].Name, Field: "name", Err: errors.New("duplicate name")})
		}
		names[srcs[i].Name] = true
	}
	return errors.Join(errs...)
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Validate fills in defaults and checks every field. The error is a
// *ConfigError naming the source and the field.
func (s *SourceConfig) Validate() error {
	bad := func(field, format string, args ...any) error {
		return &ConfigError{Source: s.Name, Field: field, Err: fmt.Errorf(format, args...)}
	}
	if s.Name == "" {
		return bad("name", "required")
	}
	if !nameRE.MatchString(s.Name) {
		return bad("name", "use letters, digits, '.', '_' and '-' (at most 64, starting with a letter or digit)")
	}
	switch s.Kind {
	case KindPasteAPI, KindHTMLListing, KindDiscourse, KindFeed, KindURL:
	case "":
		return bad("kind", "required (paste-api, html-listing, discourse, feed or url)")
	default:
		return bad("kind", "unknown kind %q (want paste-api, html-listing, discourse, feed or url)", s.Kind)
	}
	if s.URL == "" {
		return bad("url", "required")
	}
	u, err := url.Parse(s.URL)
	if err != nil {
		return bad("url", "%w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return bad("url", "scheme must be http or https")
	}
	if u.Hostname() == "" { // "http://:80/" has a port but no host
		return bad("url", "missing host")
	}
	if u.User != nil {
		return bad("url", "credentials in the URL are not allowed; use headers or cookies")
	}

	switch iv := time.Duration(s.Interval); {
	case iv == 0:
		s.Interval = Duration(DefaultInterval)
	case iv < time.Second:
		return bad("interval", "must be at least 1s")
	}
	iv := time.Duration(s.Interval)
	if s.Jitter == (Jitter{}) {
		s.Jitter = Jitter{Fraction: DefaultJitter}
	}
	if !(s.Jitter.Fraction >= 0 && s.Jitter.Fraction < 1) { // NaN too
		return bad("jitter", "fraction must be at least 0 and below 1")
	}
	if s.Jitter.Duration < 0 || s.Jitter.Duration >= iv {
		return bad("jitter", "duration must be at least 0 and below the interval (%s)", iv)
	}
	switch {
	case s.MaxItems == 0:
		s.MaxItems = DefaultMaxItems
	case s.MaxItems < 0 || s.MaxItems > 100000:
		return bad("max_items", "must be between 1 and 100000")
	}
	switch {
	case s.Rate == 0:
		s.Rate = DefaultRate
	case s.Rate < 0 || math.IsNaN(s.Rate) || s.Rate > 1000:
		return bad("rate", "must be above 0 and at most 1000 requests per second")
	}
	if s.UserAgent == "" {
		s.UserAgent = DefaultUserAgent
	}
	if !httpguts.ValidHeaderFieldValue(s.UserAgent) {
		return bad("user_agent", "contains characters not allowed in a header")
	}
	for k, v := range s.Headers {
		if !httpguts.ValidHeaderFieldName(k) {
			return bad("headers", "invalid header name %q", k)
		}
		if !httpguts.ValidHeaderFieldValue(v) {
			return bad("headers", "header %q: value contains characters not allowed in a header", k)
		}
		switch http.CanonicalHeaderKey(k) {
		case "Host", "Content-Length", "Transfer-Encoding", "Connection", "Accept-Encoding", "If-None-Match", "If-Modified-Since":
			return bad("headers", "header %q is set by the crawler", k)
		}
	}
	for _, c := range s.Cookies {
		if c.Name == "" || !httpguts.ValidHeaderFieldName(c.Name) {
			return bad("cookies", "invalid cookie name %q", c.Name)
		}
		if strings.ContainsAny(c.Value, ";\r\n\"\\") || !httpguts.ValidHeaderFieldValue(c.Value) {
			return bad("cookies", "cookie %q: value contains characters not allowed in a cookie", c.Name)
		}
	}
	if s.Proxy != "" {
		p, err := url.Parse(s.Proxy)
		if err != nil {
			return bad("proxy", "%w", err)
		}
		switch p.Scheme {
		case "http", "https", "socks5", "socks5h":
		default:
			return bad("proxy", "scheme must be http, https, socks5 or socks5h")
		}
		if p.Hostname() == "" || p.Port() == "" {
			return bad("proxy", "want host and port, e.g. socks5://127.0.0.1:9050")
		}
	}
	switch t := time.Duration(s.Timeout); {
	case t == 0:
		s.Timeout = Duration(DefaultTimeout)
	case t < 100*time.Millisecond || t > 10*time.Minute:
		return bad("timeout", "must be between 100ms and 10m")
	}
	switch {
	case s.MaxBody == 0:
		s.MaxBody = DefaultMaxBody
	case s.MaxBody < 1<<10 || s.MaxBody > 1<<30:
		return bad("max_body", "must be between 1KiB and 1GiB")
	}

	only := func(field string, set bool, kinds ...string) error {
		if set && !contains(kinds, s.Kind) {
			return bad(field, "only for kind %s", strings.Join(kinds, " or "))
		}
		return nil
	}
	for _, e := range []error{
		only("item_selector", s.ItemSelector != "", KindHTMLListing),
		only("next_selector", s.NextSelector != "", KindHTMLListing),
		only("content_selector", s.ContentSelector != "", KindHTMLListing),
		only("max_pages", s.MaxPages != 0, KindHTMLListing, KindDiscourse),
		only("limit", s.Limit != 0, KindPasteAPI),
		only("use_content", s.UseContent, KindFeed),
	} {
		if e != nil {
			return e
		}
	}
	for _, sel := range []struct{ field, v string }{
		{"item_selector", s.ItemSelector}, {"next_selector", s.NextSelector}, {"content_selector", s.ContentSelector},
	} {
		if sel.v == "" {
			continue
		}
		if _, err := cascadia.Compile(sel.v); err != nil {
			return bad(sel.field, "invalid CSS selector: %w", err)
		}
	}
	if s.Kind == KindHTMLListing && s.ItemSelector == "" {
		return bad("item_selector", "required for kind html-listing")
	}
	switch {
	case s.MaxPages < 0 || s.MaxPages > 1000:
		return bad("max_pages", "must be between 1 and 1000")
	case s.MaxPages == 0 && s.Kind == KindDiscourse:
		s.MaxPages = 3
	case s.MaxPages == 0 && s.Kind == KindHTMLListing && s.NextSelector != "":
		s.MaxPages = 5
	case s.MaxPages == 0 && s.Kind == KindHTMLListing:
		s.MaxPages = 1
	}
	switch {
	case s.Limit < 0 || s.Limit > 250:
		return bad("limit", "must be between 1 and 250")
	case s.Limit == 0 && s.Kind == KindPasteAPI:
		s.Limit = DefaultPasteLimit
	}
	return nil
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
