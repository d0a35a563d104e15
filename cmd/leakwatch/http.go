package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The daemon's HTTP side, served on cfg.Listen while it runs:
//
//	/         the status page: sources, recent findings, the outbox (HTML,
//	          no JavaScript, read-only)
//	/metrics  Prometheus metrics (see metrics.go)
//	/healthz  200 while the process runs
//	/readyz   200 when the store answers and a matcher is built, else 503
//	/oprf/v1/ the key service for blind loading, when key_service is
//	          configured (keyservice.go: token-authenticated, takes POST)
//
// Everything is read-only (GET and HEAD only) and shows nothing raw: stored
// findings are sanitized, errors are the crawler's own messages, masked
// again. Unless listen_public is set the address is loopback and requests
// must name a loopback host, so a web page cannot read the status through
// DNS rebinding.

// httpShutdownGrace bounds how long requests in flight may finish after
// the daemon is told to stop.
const httpShutdownGrace = 5 * time.Second

// readyTimeout bounds the store read of /readyz.
const readyTimeout = 3 * time.Second

// listenHTTP binds the configured address, so that a busy port fails the
// start (exit 2) rather than the run. Without a listen address it does
// nothing.
func (d *daemon) listenHTTP() error {
	if d.cfg.Listen == "" {
		return nil
	}
	if err := checkListen(d.cfg.Listen, d.cfg.ListenPublic); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", d.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	handler := d.routes()
	if d.cfg.KeyService != nil {
		if handler, err = d.mountKeyService(handler); err != nil {
			ln.Close()
			return err
		}
	}
	d.httpLn = ln
	d.httpSrv = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(d.pipe.log.Handler(), slog.LevelDebug),
	}
	d.pipe.log.Info("http listening", "addr", ln.Addr().String(), "status", "http://"+ln.Addr().String()+"/")
	return nil
}

// httpAddr is the address the HTTP side listens on ("" if none).
func (d *daemon) httpAddr() string {
	if d.httpLn == nil {
		return ""
	}
	return d.httpLn.Addr().String()
}

// serveHTTP serves until ctx ends, then shuts the server down gracefully.
func (d *daemon) serveHTTP(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- d.httpSrv.Serve(d.httpLn) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), httpShutdownGrace)
	defer cancel()
	if err := d.httpSrv.Shutdown(sctx); err != nil {
		d.httpSrv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http server: %w", err)
	}
	return nil
}

// routes is the daemon's HTTP handler.
func (d *daemon) routes() http.Handler {
	mux := http.NewServeMux()
	reg := d.newRegistry()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorHandling:       promhttp.ContinueOnError,
		ErrorLog:            slog.NewLogLogger(d.pipe.log.Handler(), slog.LevelWarn),
		MaxRequestsInFlight: 4,
		Timeout:             2 * scrapeTimeout,
	}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", d.serveReady)
	mux.HandleFunc("GET /{$}", d.serveStatus)
	return d.guard(mux)
}

// serveReady answers 200 when the store answers and a matcher is built,
// else 503 with the reasons, one a line.
func (d *daemon) serveReady(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	var problems []string
	if _, err := d.st.SetsGeneration(ctx); err != nil {
		problems = append(problems, "store unreachable")
	}
	if m, _ := d.pipe.current(); m == nil {
		problems = append(problems, "no matcher: no set loaded")
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if len(problems) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, strings.Join(problems, "\n"))
		return
	}
	fmt.Fprintln(w, "ready")
}

// guard allows only GET and HEAD, only loopback Host names unless the
// listen address is public, and sets headers that keep a browser from
// running, framing or leaking anything.
func (d *daemon) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "read-only: GET or HEAD", http.StatusMethodNotAllowed)
			return
		}
		if !d.cfg.ListenPublic && !loopbackHost(r.Host) {
			http.Error(w, "host not allowed: use a loopback address such as 127.0.0.1", http.StatusMisdirectedRequest)
			return
		}
		start := time.Now()
		next.ServeHTTP(w, r)
		d.pipe.log.Debug("http request", "method", r.Method, "path", r.URL.Path, "took", time.Since(start).Round(time.Microsecond))
	})
}

// loopbackHost reports whether a Host header names this machine by a
// loopback address or "localhost".
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
