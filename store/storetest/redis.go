package storetest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// EnvRedis names the environment variable that points the tests at an
// existing Redis (a single-node redis:// URL). When it is unset, tests
// start their own redis-server.
const EnvRedis = "LEAKWATCH_TEST_REDIS"

// installHint is appended to failures caused by a missing redis-server.
const installHint = "redis-server not found on PATH: apt-get install redis-server (or set " + EnvRedis + " to a redis:// URL)"

// StartOptions configures a redis-server started by StartRedis.
type StartOptions struct {
	// AOF turns on the append-only file with appendfsync always, so
	// data survives Stop and Restart (and Kill).
	AOF bool
	// Cluster starts the server in cluster mode owning all 16384 slots;
	// URL then returns a redis+cluster:// URL. A one-node cluster still
	// refuses multi-key commands that span slots (CROSSSLOT).
	Cluster bool
}

// RedisServer is a redis-server process owned by one test, listening on
// 127.0.0.1 with its files in a temporary directory.
type RedisServer struct {
	t    testing.TB
	opts StartOptions
	bin  string
	dir  string
	port int

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

// StartRedis starts a redis-server on a free loopback port in a directory
// of t.TempDir(), waits until it answers, and stops it when the test ends.
// It fails the test (it never skips) if redis-server is not installed.
func StartRedis(t testing.TB, opts StartOptions) *RedisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("%s: %v", installHint, err)
	}
	s := &RedisServer{t: t, opts: opts, bin: bin, dir: t.TempDir()}
	t.Cleanup(s.Kill)
	var lastErr error
	for range 5 { // another process may take the free port first
		s.port = freePort(t)
		if lastErr = s.start(); lastErr == nil {
			return s
		}
	}
	t.Fatalf("start redis-server: %v", lastErr)
	return nil
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free loopback port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Addr returns the server's host:port.
func (s *RedisServer) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// Dir returns the server's working directory (AOF and logs).
func (s *RedisServer) Dir() string { return s.dir }

// URL returns the URL to pass to store.OpenRedis.
func (s *RedisServer) URL() string {
	if s.opts.Cluster {
		return "redis+cluster://" + s.Addr()
	}
	return "redis://" + s.Addr()
}

// start launches the process and waits until it serves commands.
func (s *RedisServer) start() error {
	args := []string{
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--dir", s.dir,
		"--logfile", filepath.Join(s.dir, "redis.log"),
		"--daemonize", "no",
		"--save", "",
		"--appendonly", map[bool]string{true: "yes", false: "no"}[s.opts.AOF],
		"--appendfsync", "always",
	}
	if s.opts.Cluster {
		args = append(args,
			"--cluster-enabled", "yes",
			"--cluster-config-file", filepath.Join(s.dir, "nodes.conf"),
			"--cluster-announce-ip", "127.0.0.1",
		)
	}
	cmd := exec.Command(s.bin, args...)
	cmd.Dir = s.dir
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run %s: %w", s.bin, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	s.mu.Lock()
	s.cmd, s.exited = cmd, exited
	s.mu.Unlock()

	if err := s.waitReady(exited); err != nil {
		s.Kill()
		return err
	}
	if s.opts.Cluster {
		if err := s.assignSlots(); err != nil {
			s.Kill()
			return err
		}
	}
	return nil
}

// waitReady polls PING until the server answers PONG (not LOADING).
func (s *RedisServer) waitReady(exited <-chan struct{}) error {
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case <-exited:
			return fmt.Errorf("redis-server on %s exited during startup; log:\n%s", s.Addr(), s.logTail())
		default:
		}
		if ping(s.Addr()) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redis-server on %s did not answer PING within 15s; log:\n%s", s.Addr(), s.logTail())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ping reports whether addr answers PING with PONG.
func ping(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "+PONG")
}

// assignSlots gives the one node every slot (unless nodes.conf already
// did) and waits for the cluster to report state ok.
func (s *RedisServer) assignSlots() error {
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), DialTimeout: time.Second})
	defer c.Close()
	info, err := c.ClusterInfo(ctx).Result()
	if err != nil {
		return fmt.Errorf("cluster info on %s: %w", s.Addr(), err)
	}
	if !strings.Contains(info, "cluster_slots_assigned:16384") {
		if err := c.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", 0, 16383).Err(); err != nil {
			return fmt.Errorf("cluster addslotsrange on %s: %w", s.Addr(), err)
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		info, err := c.ClusterInfo(ctx).Result()
		if err == nil && strings.Contains(info, "cluster_state:ok") {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cluster on %s not ok within 15s: %v %s", s.Addr(), err, info)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// logTail returns the end of the server's log file.
func (s *RedisServer) logTail() string {
	b, err := os.ReadFile(filepath.Join(s.dir, "redis.log"))
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(bytes.TrimSpace(b))
}

// signal sends sig to the running process and waits for it to exit,
// escalating to SIGKILL after 10 s.
func (s *RedisServer) signal(sig syscall.Signal) {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}

// Stop shuts the server down gracefully (SIGTERM: the AOF is flushed) and
// waits for it to exit. Stopping a stopped server does nothing.
func (s *RedisServer) Stop() { s.signal(syscall.SIGTERM) }

// Kill kills the server (SIGKILL) and waits for it to exit. Killing a
// stopped server does nothing.
func (s *RedisServer) Kill() { s.signal(syscall.SIGKILL) }

// Restart stops the server if it runs and starts it again on the same
// port and directory, so AOF data survives. It fails the test if the
// server does not come back.
func (s *RedisServer) Restart() {
	s.t.Helper()
	s.Stop()
	var err error
	deadline := time.Now().Add(10 * time.Second)
	for { // the port may linger for a moment
		if err = s.start(); err == nil {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("restart redis-server: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Client returns a go-redis client of the server (a cluster client in
// cluster mode), closed when the test ends: for tests that inspect the
// keyspace.
func (s *RedisServer) Client() redis.UniversalClient {
	var c redis.UniversalClient
	if s.opts.Cluster {
		c = redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{s.Addr()}})
	} else {
		c = redis.NewClient(&redis.Options{Addr: s.Addr()})
	}
	s.t.Cleanup(func() { _ = c.Close() })
	return c
}

// Flush deletes every key of the server, so one server can serve several
// tests in turn. It fails t on error.
func (s *RedisServer) Flush(t testing.TB) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: s.Addr()})
	defer c.Close()
	if err := c.FlushAll(context.Background()).Err(); err != nil {
		t.Fatalf("flush redis-server %s: %v", s.Addr(), err)
	}
}

// claimScript claims an empty database for one test: it sets a marker
// only if the database holds no key at all.
var claimScript = redis.NewScript(`
if redis.call('DBSIZE') ~= 0 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', 3600)
return 1`)

// RedisURL returns a Redis URL that the calling test has to itself. If
// LEAKWATCH_TEST_REDIS is set, it claims an empty numbered database of
// that server (1 to 15) and flushes it when the test ends; otherwise it
// starts a fresh redis-server with StartRedis.
func RedisURL(t testing.TB) string {
	t.Helper()
	raw := os.Getenv(EnvRedis)
	if raw == "" {
		return StartRedis(t, StartOptions{}).URL()
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Query().Has("cluster") || strings.Contains(u.Host, ",") {
		t.Fatalf("%s must be a single-node redis:// or rediss:// URL (tests isolate themselves in a database of their own)", EnvRedis)
	}
	opts, err := redis.ParseURL(raw)
	if err != nil {
		t.Fatalf("%s is not a valid redis URL: %v", EnvRedis, err)
	}
	ctx := context.Background()
	token := strconv.FormatInt(time.Now().UnixNano(), 36) + "-" + strconv.Itoa(os.Getpid())
	for db := 1; db < 16; db++ {
		o := *opts
		o.DB = db
		c := redis.NewClient(&o)
		ok, err := claimScript.Run(ctx, c, []string{"lwtest:claim"}, token).Int()
		if err != nil {
			c.Close()
			t.Fatalf("claim a database on %s (%s): %v", o.Addr, EnvRedis, err)
		}
		if ok == 0 {
			c.Close()
			continue
		}
		t.Cleanup(func() {
			defer c.Close()
			if err := c.FlushDB(context.Background()).Err(); err != nil {
				t.Errorf("flush test database %d on %s: %v", db, o.Addr, err)
			}
		})
		q := u.Query()
		q.Del("db")
		v := *u
		v.Path = "/" + strconv.Itoa(db)
		v.RawQuery = q.Encode()
		return v.String()
	}
	t.Fatalf("no empty database among 1-15 on %s (%s); flush some or start a redis-server of your own", opts.Addr, EnvRedis)
	return ""
}
