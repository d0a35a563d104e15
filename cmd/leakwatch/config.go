package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
//	sources:                          # see package crawler
//	  - name: pastes
//	    kind: paste-api
//	    url: https://paste.example/api_scraping.php
//	notify:                           # optional; see package notify
//	  smtp: {host: smtp.example.jp, from: leakwatch@example.jp}
//	  default: {recipients: [security@example.jp], language: ja}
//
// Relative paths are relative to the file. Command-line flags and the
// LEAKWATCH_* variables override data, redis and key.
type daemonConfig struct {
	Data      string                 `yaml:"data"`
	Redis     string                 `yaml:"redis"`
	Key       string                 `yaml:"key"`
	Sets      []string               `yaml:"sets"`
	Window    int                    `yaml:"window"`
	Workers   int                    `yaml:"workers"`
	Retention crawler.Duration       `yaml:"retention"`
	Reload    crawler.Duration       `yaml:"reload"`
	Sources   []crawler.SourceConfig `yaml:"sources"`
	Notify    *notify.Config         `yaml:"notify"`
	path      string
}

// loadDaemonConfig reads and validates a config file; every error names the
// file and, where it can, the field.
func loadDaemonConfig(path string) (*daemonConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
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
	for _, s := range c.Sets {
		if err := validSetName(s); err != nil {
			errs = append(errs, fmt.Errorf("sets: %w", err))
		}
	}
	if len(c.Sources) == 0 {
		errs = append(errs, errors.New("sources: none configured; leakwatch run needs something to watch"))
	} else if err := crawler.ValidateSources(c.Sources); err != nil {
		errs = append(errs, err)
	}
	if c.Notify != nil {
		if err := c.Notify.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("notify: %w", err))
		}
	}
	return errors.Join(errs...)
}
