package crawler

import (
	"context"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/andybalholm/cascadia"
	"github.com/leakwatch/leakwatch/store"
)

// openState opens a real bbolt store in the test's temporary directory.
func openState(t testing.TB) *store.Bolt {
	t.Helper()
	return openStateAt(t, filepath.Join(t.TempDir(), "db"))
}

func openStateAt(t testing.TB, path string) *store.Bolt {
	t.Helper()
	db, err := store.OpenBolt(path)
	if err != nil {
		t.Fatalf("open bolt: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// collector is a Handler that keeps what it is given.
type collector struct {
	mu   sync.Mutex
	docs []Document
	// fail, if set, decides whether a document is refused.
	fail func(Document) error
}

func (c *collector) HandleDocument(_ context.Context, d Document) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		if err := c.fail(d); err != nil {
			return err
		}
	}
	d.Body = append([]byte(nil), d.Body...)
	c.docs = append(c.docs, d)
	return nil
}

func (c *collector) all() []Document {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Document(nil), c.docs...)
}

// containing returns the documents whose body contains s.
func (c *collector) containing(s string) []Document {
	var out []Document
	for _, d := range c.all() {
		if strings.Contains(string(d.Body), s) {
			out = append(out, d)
		}
	}
	return out
}

// loopSource is a source allowed to reach the loopback fixtures, fast.
func loopSource(name, kind, url string, mod ...func(*SourceConfig)) SourceConfig {
	s := SourceConfig{Name: name, Kind: kind, URL: url, AllowPrivate: true, Rate: 200, Timeout: Duration(5 * time.Second)}
	for _, m := range mod {
		m(&s)
	}
	return s
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// newCrawler builds a crawler over st with the given handler and sources.
func newCrawler(t testing.TB, st State, h Handler, srcs ...SourceConfig) *Crawler {
	t.Helper()
	c, err := New(Options{Sources: srcs, State: st, Handler: h, Logger: testLogger(t), RetryBackoff: 50 * time.Millisecond, MaxRetryWait: 5 * time.Second})
	if err != nil {
		t.Fatalf("new crawler: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

func visitOnce(t testing.TB, c *Crawler, name string) VisitStats {
	t.Helper()
	st, err := c.VisitOnce(context.Background(), name)
	if err != nil {
		t.Fatalf("visit %s: %v", name, err)
	}
	return st
}

func mustURL(t testing.TB, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func mustSel(t testing.TB, sel string) cascadia.Selector {
	t.Helper()
	s, err := cascadia.Compile(sel)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
