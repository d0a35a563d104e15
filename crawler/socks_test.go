package crawler

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/leakwatch/leakwatch/crawler/fixtures"
)

// socksConnect is one CONNECT a socksServer accepted.
type socksConnect struct {
	user, pass string
	atyp       byte // 1 IPv4, 3 domain name, 4 IPv6
	host       string
	port       uint16
}

// socksServer is a minimal SOCKS5 server (RFC 1928) on loopback that
// requires username/password authentication (RFC 1929), accepts only
// CONNECT, and, like Tor, resolves names itself: every name is connected
// to target (the fixture that plays the hidden service).
type socksServer struct {
	ln     net.Listener
	target string
	creds  map[string]string // user → password
	mu     sync.Mutex
	conns  []socksConnect
	errs   []error
}

func startSOCKS(t *testing.T, target string, creds map[string]string) *socksServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &socksServer{ln: ln, target: target, creds: creds}
	var wg sync.WaitGroup
	t.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				if err := s.serve(c); err != nil {
					s.mu.Lock()
					s.errs = append(s.errs, err)
					s.mu.Unlock()
				}
			})
		}
	})
	return s
}

func (s *socksServer) connects() []socksConnect {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]socksConnect(nil), s.conns...)
}

func (s *socksServer) errors() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]error(nil), s.errs...)
}

func (s *socksServer) serve(c net.Conn) error {
	defer c.Close()
	// greeting: VER NMETHODS METHODS…; we insist on 0x02 (user/pass)
	var hdr [2]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	if hdr[0] != 5 {
		return fmt.Errorf("greeting: version %d", hdr[0])
	}
	methods := make([]byte, hdr[1])
	if _, err := io.ReadFull(c, methods); err != nil {
		return fmt.Errorf("methods: %w", err)
	}
	if !bytes.Contains(methods, []byte{2}) {
		_, _ = c.Write([]byte{5, 0xFF})
		return fmt.Errorf("client offered methods %v, not username/password", methods)
	}
	if _, err := c.Write([]byte{5, 2}); err != nil {
		return err
	}
	// RFC 1929: VER(1) ULEN UNAME PLEN PASSWD
	readStr := func() (string, error) {
		var n [1]byte
		if _, err := io.ReadFull(c, n[:]); err != nil {
			return "", err
		}
		b := make([]byte, n[0])
		_, err := io.ReadFull(c, b)
		return string(b), err
	}
	var ver [1]byte
	if _, err := io.ReadFull(c, ver[:]); err != nil || ver[0] != 1 {
		return fmt.Errorf("auth version %v: %v", ver, err)
	}
	user, err := readStr()
	if err != nil {
		return err
	}
	pass, err := readStr()
	if err != nil {
		return err
	}
	if want, ok := s.creds[user]; !ok || want != pass {
		_, _ = c.Write([]byte{1, 1})
		return fmt.Errorf("bad credentials for %q", user)
	}
	if _, err := c.Write([]byte{1, 0}); err != nil {
		return err
	}
	// request: VER CMD RSV ATYP DST.ADDR DST.PORT
	var req [4]byte
	if _, err := io.ReadFull(c, req[:]); err != nil {
		return fmt.Errorf("request: %w", err)
	}
	if req[0] != 5 || req[1] != 1 {
		_, _ = c.Write([]byte{5, 7, 0, 1, 0, 0, 0, 0, 0, 0})
		return fmt.Errorf("request: version %d command %d, want CONNECT", req[0], req[1])
	}
	cc := socksConnect{user: user, pass: pass, atyp: req[3]}
	switch req[3] {
	case 1, 4:
		ip := make(net.IP, map[byte]int{1: 4, 4: 16}[req[3]])
		if _, err := io.ReadFull(c, ip); err != nil {
			return err
		}
		cc.host = ip.String()
	case 3:
		if cc.host, err = readStr(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("address type %d", req[3])
	}
	var port [2]byte
	if _, err := io.ReadFull(c, port[:]); err != nil {
		return err
	}
	cc.port = binary.BigEndian.Uint16(port[:])
	s.mu.Lock()
	s.conns = append(s.conns, cc)
	s.mu.Unlock()
	up, err := net.Dial("tcp", s.target) // the "hidden service", whatever the name
	if err != nil {
		_, _ = c.Write([]byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0})
		return err
	}
	defer up.Close()
	if _, err := c.Write([]byte{5, 0, 0, 1, 127, 0, 0, 1, 0, 0}); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(up, c)
		if tc, ok := up.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
		close(done)
	}()
	_, _ = io.Copy(c, up)
	_ = c.Close()
	<-done
	return nil
}

func TestSOCKS5ProxyCarriesEveryRequestByName(t *testing.T) {
	page := fixtures.NewPage("<p>hidden service page</p>")
	defer page.Close()
	creds := map[string]string{"forum-a": "x", "forum-b": "y"}
	proxy := startSOCKS(t, page.Listener.Addr().String(), creds)
	onion := func(name, user string) SourceConfig {
		host := strings.Repeat(name[:1], 56) + ".onion"
		return SourceConfig{Name: name, Kind: KindURL, URL: "http://" + host + "/page", Rate: 100,
			Proxy: fmt.Sprintf("socks5://%s:%s@%s", user, creds[user], proxy.ln.Addr())}
	}
	h := &collector{}
	c := newCrawler(t, openState(t), h, onion("alpha", "forum-a"), onion("bravo", "forum-b"))
	for _, name := range []string{"alpha", "bravo"} {
		if st := visitOnce(t, c, name); st.New != 1 {
			t.Fatalf("%s: %+v, want the page handed over", name, st)
		}
	}
	if errs := proxy.errors(); len(errs) > 0 {
		t.Fatalf("proxy errors: %v", errors.Join(errs...))
	}
	got := proxy.connects()
	if len(got) == 0 {
		t.Fatal("no CONNECT reached the proxy")
	}
	users := map[string]string{} // onion host → user
	for _, cc := range got {
		if cc.atyp != 3 || net.ParseIP(cc.host) != nil || !strings.HasSuffix(cc.host, ".onion") || cc.port != 80 {
			t.Errorf("CONNECT %+v: want the .onion name (address type 3) and port 80, not an address", cc)
		}
		if u, ok := users[cc.host]; ok && u != cc.user {
			t.Errorf("host %s reached with credentials of %s and %s", cc.host, u, cc.user)
		}
		users[cc.host] = cc.user
	}
	// each source presents its own credentials: Tor isolates circuits
	if a, b := users[strings.Repeat("a", 56)+".onion"], users[strings.Repeat("b", 56)+".onion"]; a != "forum-a" || b != "forum-b" {
		t.Errorf("credentials per host %v: want alpha's host by forum-a and bravo's by forum-b", users)
	}
	// every request the page saw (robots.txt and the page, per source)
	// came through a proxied connection: the names resolve nowhere else
	if n := page.Hits().Total(); n < 4 {
		t.Errorf("the page saw %d requests, want robots.txt and the page for both sources", n)
	}
	for _, d := range h.all() {
		if !strings.Contains(d.URL, ".onion/page") || !strings.Contains(string(d.Body), "hidden service page") {
			t.Errorf("document %s: %q", d.URL, d.Body)
		}
	}
}
