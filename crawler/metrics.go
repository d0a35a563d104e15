package crawler

import (
	"io"
	"net/http"
	"sync"
	"time"
)

// FetchEvent is the outcome of one HTTP request a source sent (a listing,
// an item, robots.txt, a redirect hop, a retry): what metrics need, and
// nothing more. It names the source, never the URL, and holds no page text.
type FetchEvent struct {
	// Source is the name of the source that sent the request.
	Source string
	// Status is the HTTP status code, or 0 when no response came (a
	// network error, a refused address, a timeout).
	Status int
	// Bytes counts the response body bytes read, after decompression.
	Bytes int64
	// Duration runs from sending the request to closing the response
	// body (or to the error).
	Duration time.Duration
	// Err is true for a request without a response or with a status of
	// 400 or more.
	Err bool
}

// FetchObserver receives a FetchEvent for every request sent, from many
// goroutines at once; it must be quick and must not block. Set it as
// Options.Observer. The crawler behaves the same with or without one.
type FetchObserver interface {
	ObserveFetch(FetchEvent)
}

// FetchObserverFunc adapts a function to FetchObserver.
type FetchObserverFunc func(FetchEvent)

// ObserveFetch calls f.
func (f FetchObserverFunc) ObserveFetch(e FetchEvent) { f(e) }

// instrument wraps the client's transport so that every request is
// reported to obs under the source's name.
func instrument(client *http.Client, source string, obs FetchObserver) {
	client.Transport = &observedTransport{next: client.Transport, source: source, obs: obs}
}

// observedTransport reports each round trip to a FetchObserver.
type observedTransport struct {
	next   http.RoundTripper
	source string
	obs    FetchObserver
}

// RoundTrip sends the request through the wrapped transport and reports
// it once the body is closed.
func (t *observedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		t.obs.ObserveFetch(FetchEvent{Source: t.source, Duration: time.Since(start), Err: true})
		return nil, err
	}
	resp.Body = &observedBody{ReadCloser: resp.Body, t: t, start: start, status: resp.StatusCode}
	return resp, nil
}

// CloseIdleConnections forwards to the wrapped transport, so that
// http.Client.CloseIdleConnections still reaches it.
func (t *observedTransport) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// observedBody counts the bytes read and reports on Close.
type observedBody struct {
	io.ReadCloser
	t      *observedTransport
	start  time.Time
	status int
	n      int64
	once   sync.Once
}

func (b *observedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	return n, err
}

func (b *observedBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(func() {
		b.t.obs.ObserveFetch(FetchEvent{Source: b.t.source, Status: b.status, Bytes: b.n, Duration: time.Since(b.start), Err: b.status >= 400})
	})
	return err
}
