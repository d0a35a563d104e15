package crawler

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestObserverSeesEveryRequest: with an Observer, every request of a
// visit (robots.txt, a redirect hop, the page, a 404) is reported once
// with its source, status and body size; the visit's outcome is the same
// as without one.
func TestObserverSeesEveryRequest(t *testing.T) {
	page := strings.Repeat("<p>nothing to see</p>", 50)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/robots.txt":
			http.NotFound(w, r)
		case "/old":
			http.Redirect(w, r, "/page", http.StatusMovedPermanently)
		case "/page":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte(page))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	var mu sync.Mutex
	var events []FetchEvent
	obs := FetchObserverFunc(func(e FetchEvent) {
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
	})
	visit := func(observer FetchObserver, path string) (VisitStats, error) {
		c, err := New(Options{Sources: []SourceConfig{loopSource("watched", KindURL, srv.URL+path)}, State: openState(t),
			Handler: &collector{}, Logger: testLogger(t), Observer: observer, MaxRetries: -1})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.VisitOnce(t.Context(), "watched")
	}
	with, err := visit(obs, "/old")
	if err != nil {
		t.Fatal(err)
	}
	without, err := visit(nil, "/old")
	if err != nil || with != without {
		t.Fatalf("with an observer %+v, without %+v (%v)", with, without, err)
	}
	mu.Lock()
	got := append([]FetchEvent(nil), events...)
	mu.Unlock()
	if len(got) != 3 {
		t.Fatalf("%d events, want robots.txt, the redirect and the page: %+v", len(got), got)
	}
	for i, want := range []int{404, 301, 200} {
		e := got[i]
		if e.Source != "watched" || e.Status != want || e.Err != (want >= 400) || e.Duration <= 0 || e.Duration > 5*time.Second {
			t.Errorf("event %d: %+v, want status %d", i, e, want)
		}
	}
	if got[2].Bytes != int64(len(page)) {
		t.Errorf("page event counts %d bytes, want %d", got[2].Bytes, len(page))
	}

	// A request without an answer is an error with status 0.
	srv.Close()
	mu.Lock()
	events = nil
	mu.Unlock()
	if _, err := visit(obs, "/page"); err == nil {
		t.Fatal("visit of a closed server succeeded")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(events) == 0 || events[0].Status != 0 || !events[0].Err {
		t.Errorf("events for a closed server: %+v", events)
	}
}
