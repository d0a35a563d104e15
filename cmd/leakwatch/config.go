package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"
	"time"

	"github.com/leakwatch/leakwatch/crawler"
	"github.com/leakwatch/leakwatch/matcher"
	"github.com/leakwatch/leakwatch/notify"
	"go.yaml.in/yaml/v3"
)

// daemonConfig is the file `leakwatch run --config FILE` reads:
//
//	data: /var/lib/leakwatch          # embedded store (or redis: redis://...)
//	key: /etc/leakwatch/key           # the fingerprint key, outside data
//	sets: [customers]                 # default: every loaded set
//	window: 500                       # proximity window, characters
//	workers: 4                        # sources visited at once
//	retention: 720h                   # seen items and content hashes
//	reload: 30s                       # how often set changes are looked for
//	reclaim: 30s                      # a dead worker's visit is taken over after this
//	max_visit: 30m                    # a visit still running then is cancelled and fails
//	findings_retention: 8760h         # findings and sealed evidence (365 days)
//	listen: 127.0.0.1:9464            # status page, /metrics, /healthz, /readyz
//	listen_public: false              # true to allow a non-loopback listen
//	stale_after: 24h                  # default: 24 × the source's interval, ≥ 1h
//	stall_failures: 5                 # consecutive failed visits = stalled
//	sources:                          # see package crawler
//	  - name: pastes
//	    kind: paste-api
//	    url: https://paste.example/api_scraping.php
//	    stale_after: 6h               # per source: overrides the global one
//	key_service:                      # optional: blind loading (docs/blind-loading.md)
//	  oprf_key: /etc/leakwatch/oprf.key
//	  tokens: /etc/leakwatch/tokens   # owners' hashed tokens
//	  evaluations_per_day: 1000000    # per token
//	notify:                           # optional; see package notify
//	  smtp: {host: smtp.example.jp, from: leakwatch@example.jp}
//	  default: {recipients: [security@example.jp], language: ja}
//
// Relative paths are relative to the file. Command-line flags and the
// LEAKWATCH_* variables override data, redis and key; --listen overrides
// listen. docs/configuration.md describes every field.
type daemonConfig struct {
	Data              string           `yaml:"data"`
	Redis             string           `yaml:"redis"`
	Key               string           `yaml:"key"`
	Sets              []string         `yaml:"sets"`
	Window            int              `yaml:"window"`
	Workers           int              `yaml:"workers"`
	Retention         crawler.Duration `yaml:"retention"`
	Reload            crawler.Duration `yaml:"reload"`
	Reclaim           crawler.Duration `yaml:"reclaim"`
	MaxVisit          crawler.Duration `yaml:"max_visit"`
	FindingsRetention crawler.Duration `yaml:"findings_retention"`
	Listen            string           `yaml:"listen"`
	ListenPublic      bool             `yaml:"listen_public"`
	StaleAfter        crawler.Duration `yaml:"stale_after"`
	StallFailures     int              `yaml:"stall_failures"`
	Sources           []daemonSource   `yaml:"sources"`
	Notify            *notify.Config   `yaml:"notify"`
	path              string

	// KeyService, when set, serves blind loading (keyservice.go).
	KeyService *keyServiceConfig `yaml:"key_service"`
}

// daemonSource is a crawler source with the daemon's own per-source
// settings beside its fields.
type daemonSource struct {
	crawler.SourceConfig `yaml:",inline"`
	// StaleAfter overrides the global stale_after for this source.
	StaleAfter crawler.Duration `yaml:"stale_after"`
	// StallFailures overrides the global stall_failures for this source.
	StallFailures int `yaml:"stall_failures"`
}

// Defaults of the daemon's own settings.
const (
	defaultFindingsRetention = 365 * 24 * time.Hour
	defaultStallFailures     = 5
	staleIntervals           = 24 // default stale_after: this many intervals...
	minStaleAfter            = time.Hour
)

// crawlerSources returns the sources as the crawler takes them.
func (c *daemonConfig) crawlerSources() []crawler.SourceConfig {
	out := make([]crawler.SourceConfig, len(c.Sources))
	for i, s := range c.Sources {
		out[i] = s.SourceConfig
	}
	return out
}

// stallLimits returns how long the source may yield nothing new, and how
// many visits in a row may fail, before it counts as stalled.
func (c *daemonConfig) stallLimits(s *daemonSource) (staleAfter time.Duration, failures int) {
	staleAfter = max(staleIntervals*time.Duration(s.Interval), minStaleAfter)
	if c.StaleAfter > 0 {
		staleAfter = time.Duration(c.StaleAfter)
	}
	if s.StaleAfter > 0 {
		staleAfter = time.Duration(s.StaleAfter)
	}
	failures = c.StallFailures
	if s.StallFailures > 0 {
		failures = s.StallFailures
	}
	return staleAfter, failures
}

// checkListen refuses a listen address that is not loopback unless public
// is set: the status page and /metrics have no authentication, and though
// they show no raw value they do show which records of which sets were
// found where.
func checkListen(addr string, public bool) error {
	if addr == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen: %q: want HOST:PORT, such as 127.0.0.1:9464: %w", addr, err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("listen: %q: port %q is not a number from 0 to 65535", addr, port)
	}
	if public {
		return nil
	}
	if host == "localhost" {
		return nil
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("listen: %q is not a loopback address: the status page and /metrics have no authentication and show which records of which sets were found where; "+
		"serve them on 127.0.0.1 or ::1 (and reach them through SSH or an authenticating proxy), or set listen_public: true to serve them on other interfaces deliberately", addr)
}

// loadDaemonConfig reads and validates a config file; every error names the
// file and, where it can, the field.
func loadDaemonConfig(path string) (*daemonConfig, error) {
	data, err := readConfigFile(path, "config", maxConfigFile, false)
	if err != nil {
		return nil, err
	}
	return parseDaemonConfig(path, data)
}

// parseDaemonConfig decodes and validates the contents of the config file
// at path, which names it in errors and anchors relative paths.
func parseDaemonConfig(path string, data []byte) (*daemonConfig, error) {
	var c daemonConfig
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c.path = path
	dir := filepath.Dir(path)
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	c.Data, c.Key = rel(c.Data), rel(c.Key)
	if c.Notify != nil && c.Notify.OperatorKey != "" {
		c.Notify.OperatorKey = rel(c.Notify.OperatorKey)
	}
	if c.Notify != nil && c.Notify.SMTP.PasswordFile != "" {
		c.Notify.SMTP.PasswordFile = rel(c.Notify.SMTP.PasswordFile)
	}
	if c.KeyService != nil {
		c.KeyService.OPRFKey, c.KeyService.Tokens = rel(c.KeyService.OPRFKey), rel(c.KeyService.Tokens)
	}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &c, nil
}

func (c *daemonConfig) validate() error {
	var errs []error
	if c.Window == 0 {
		c.Window = matcher.DefaultWindow
	}
	if c.Window < 50 || c.Window > 100_000 {
		errs = append(errs, fmt.Errorf("window: %d characters is out of range (50 to 100000)", c.Window))
	}
	if c.Workers == 0 {
		c.Workers = 4
	}
	if c.Workers < 1 || c.Workers > 256 {
		errs = append(errs, fmt.Errorf("workers: %d is out of range (1 to 256)", c.Workers))
	}
	if c.Reload == 0 {
		c.Reload = crawler.Duration(30 * time.Second)
	}
	if time.Duration(c.Reload) < time.Second {
		errs = append(errs, errors.New("reload: must be at least 1s"))
	}
	if c.Reclaim == 0 {
		c.Reclaim = crawler.Duration(crawler.DefaultReclaimAfter)
	}
	if c.MaxVisit == 0 {
		c.MaxVisit = crawler.Duration(crawler.DefaultMaxVisit)
	}
	if time.Duration(c.MaxVisit) < time.Second {
		errs = append(errs, errors.New("max_visit: must be at least 1s"))
	}
	if time.Duration(c.Reclaim) < 3*time.Second {
		errs = append(errs, errors.New("reclaim: must be at least 3s (a visit shows life every third of it)"))
	}
	for _, s := range c.Sets {
		if err := validSetName(s); err != nil {
			errs = append(errs, fmt.Errorf("sets: %w", err))
		}
	}
	if c.FindingsRetention == 0 {
		c.FindingsRetention = crawler.Duration(defaultFindingsRetention)
	}
	if time.Duration(c.FindingsRetention) < time.Hour {
		errs = append(errs, errors.New("findings_retention: must be at least 1h"))
	}
	if err := checkListen(c.Listen, c.ListenPublic); err != nil {
		errs = append(errs, err)
	}
	if c.StaleAfter != 0 && time.Duration(c.StaleAfter) < time.Second {
		errs = append(errs, errors.New("stale_after: must be at least 1s"))
	}
	if c.StallFailures == 0 {
		c.StallFailures = defaultStallFailures
	}
	if c.StallFailures < 1 {
		errs = append(errs, fmt.Errorf("stall_failures: %d must be at least 1", c.StallFailures))
	}
	if len(c.Sources) == 0 {
		errs = append(errs, errors.New("sources: none configured; leakwatch run needs something to watch"))
	} else {
		srcs := c.crawlerSources()
		if err := crawler.ValidateSources(srcs); err != nil {
			errs = append(errs, err)
		}
		for i := range c.Sources {
			c.Sources[i].SourceConfig = srcs[i] // with the defaults filled in
			s := &c.Sources[i]
			if s.StaleAfter != 0 && time.Duration(s.StaleAfter) < time.Second {
				errs = append(errs, &crawler.ConfigError{Source: s.Name, Field: "stale_after", Err: errors.New("must be at least 1s")})
			}
			if s.StallFailures < 0 {
				errs = append(errs, &crawler.ConfigError{Source: s.Name, Field: "stall_failures", Err: errors.New("must be at least 1")})
			}
		}
	}
	if c.Notify != nil {
		if err := c.Notify.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("notify: %w", err))
		}
	}
	if c.KeyService != nil {
		if err := c.KeyService.validate(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
