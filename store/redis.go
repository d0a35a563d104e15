package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Key layout. Every key starts with "lw:" and carries a hash tag, so that
// every multi-key operation touches one Redis Cluster slot:
//
//	lw:{lwsets}:cur             hash  set name -> ID of the committed version
//	lw:{lwsets}:meta            hash  set name -> setRecord JSON
//	lw:{lwsets}:stages          hash  open stage ID -> set name
//	lw:{lwsets}:trash           hash  version ID awaiting deletion -> set name
//	lw:{lwsets}:gen             string, the sets generation
//	lw:{lwv:<id>}:chunks        list  "" then the chunks of one version
//	lw:{b:<bucket>}:k:<key>     string, one KV value (with PX expiry)
//	lw:{b:<bucket>}:idx         sorted set, all scores 0: the bucket's keys
//	lw:{b:<bucket>}:exp         sorted set: keys with a TTL, by expiry (ms)
//
// A version's chunk list lives in its own slot, so big sets spread over a
// cluster; the list's first element is a placeholder that lets Append use
// RPUSHX, which fails once the stage has been discarded.
const (
	redisCur    = "lw:{lwsets}:cur"
	redisMeta   = "lw:{lwsets}:meta"
	redisStages = "lw:{lwsets}:stages"
	redisTrash  = "lw:{lwsets}:trash"
	redisGen    = "lw:{lwsets}:gen"
)

const (
	// redisDialTimeout, redisIOTimeout bound how long a dead Redis can
	// stall a call, unless the URL sets its own.
	redisDialTimeout = 2 * time.Second
	redisIOTimeout   = 3 * time.Second
	// redisUpdateAttempts bounds Update's optimistic retries.
	redisUpdateAttempts = 200
	// redisScanPage is how many keys one Scan round trip fetches.
	redisScanPage = 256
	// redisReadBatchBytes is roughly how much one pipelined ReadSet round
	// trip fetches.
	redisReadBatchBytes = 16 << 20
)

func redisChunksKey(id string) string       { return "lw:{lwv:" + id + "}:chunks" }
func redisValuePrefix(bucket string) string { return "lw:{b:" + bucket + "}:k:" }
func redisIndexKey(bucket string) string    { return "lw:{b:" + bucket + "}:idx" }
func redisExpiryKey(bucket string) string   { return "lw:{b:" + bucket + "}:exp" }

// Lua scripts. Each touches keys of one hash tag only. The KV scripts
// build value keys from a prefix argument; those keys share the prefix's
// hash tag, hence the slot of the declared keys.
var (
	// stageScript: KEYS stages, trash; ARGV id, name. Moves the name's
	// open stages to the trash and registers the new one.
	stageScript = redis.NewScript(`
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if all[i+1] == ARGV[2] then
    redis.call('HDEL', KEYS[1], all[i])
    redis.call('HSET', KEYS[2], all[i], ARGV[2])
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1`)

	// commitScript: KEYS stages, cur, meta, trash, gen; ARGV id, name,
	// record, initial generation. Returns -1 if the stage is gone, else
	// the previous version's ID ("" if none).
	commitScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return -1 end
local old = redis.call('HGET', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[2], ARGV[3])
redis.call('HDEL', KEYS[1], ARGV[1])
if old then redis.call('HSET', KEYS[4], old, ARGV[2]) end
if redis.call('EXISTS', KEYS[5]) == 0 then redis.call('SET', KEYS[5], ARGV[4]) end
redis.call('INCR', KEYS[5])
return old or ''`)

	// abortScript: KEYS stages, trash; ARGV id, name.
	abortScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
end
return 1`)

	// removeScript: KEYS stages, cur, meta, trash, gen; ARGV name,
	// initial generation. Returns 1 if a committed version was removed.
	removeScript = redis.NewScript(`
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if all[i+1] == ARGV[1] then
    redis.call('HDEL', KEYS[1], all[i])
    redis.call('HSET', KEYS[4], all[i], ARGV[1])
  end
end
local id = redis.call('HGET', KEYS[2], ARGV[1])
if not id then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('HSET', KEYS[4], id, ARGV[1])
if redis.call('EXISTS', KEYS[5]) == 0 then redis.call('SET', KEYS[5], ARGV[2]) end
redis.call('INCR', KEYS[5])
return 1`)

	// putScript: KEYS value, idx, exp; ARGV value, ttl ms (0: none),
	// mode ("set" or "nx"), key, value key prefix. Returns 1 if stored.
	// It also drops index entries of up to 16 keys that have expired, so
	// indexes of buckets that are never scanned stay bounded.
	putScriptSrc = `
local ttl = tonumber(ARGV[2])
local ok
if ARGV[3] == 'nx' then
  if ttl > 0 then ok = redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl, 'NX')
  else ok = redis.call('SET', KEYS[1], ARGV[1], 'NX') end
else
  if ttl > 0 then ok = redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
  else ok = redis.call('SET', KEYS[1], ARGV[1]) end
end
if not ok then return 0 end
redis.call('ZADD', KEYS[2], 0, ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ttl > 0 then redis.call('ZADD', KEYS[3], now + ttl, ARGV[4])
else redis.call('ZREM', KEYS[3], ARGV[4]) end
local old = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, 16)
for _, m in ipairs(old) do
  if redis.call('EXISTS', ARGV[5] .. m) == 0 then
    redis.call('ZREM', KEYS[2], m)
    redis.call('ZREM', KEYS[3], m)
  end
end
return 1`
	putScript = redis.NewScript(putScriptSrc)

	// dropStaleScript: KEYS idx, exp; ARGV value key prefix, keys...
	// Removes the index entries of the given keys that no longer exist.
	dropStaleScript = redis.NewScript(`
for i = 2, #ARGV do
  if redis.call('EXISTS', ARGV[1] .. ARGV[i]) == 0 then
    redis.call('ZREM', KEYS[1], ARGV[i])
    redis.call('ZREM', KEYS[2], ARGV[i])
  end
end
return 1`)
)

// Redis is the Store on a Redis server or Redis Cluster, shared by every
// worker pointed at it. It caches nothing.
type Redis struct {
	c redis.UniversalClient
	// addr names the server (or first seed node) in errors; it never
	// holds credentials.
	addr string
}

var _ Store = (*Redis)(nil)

// OpenRedis connects to the Redis named by rawURL and pings it. Accepted
// forms:
//
//	redis://[user:password@]host:port[/db][?options]
//	rediss://…                                 (TLS)
//	redis+cluster://[user:password@]h1:p1,h2:p2[?options]
//	redis://h1:p1?cluster=1[&addr=h2:p2]       (Redis Cluster)
//
// Options are go-redis's URL options (dial_timeout, read_timeout, …).
// Unless the URL says otherwise, dialing times out after 2 s and reads and
// writes after 3 s, so a dead Redis yields errors rather than hangs.
// Errors name the address, never the password.
func OpenRedis(ctx context.Context, rawURL string) (*Redis, error) {
	quietRedis.Do(func() {
		// go-redis logs connection trouble with its own plain-text
		// logger on stderr, which breaks --log-format json. Every such
		// failure also reaches the caller as an error, which the caller
		// logs in its own format, so the library's lines are dropped.
		redis.SetLogger(discardRedisLog{})
	})
	c, addr, err := newRedisClient(rawURL)
	if err != nil {
		return nil, err
	}
	if err := c.Ping(ctx).Err(); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("redis at %s is unreachable: %w", addr, err)
	}
	return &Redis{c: c, addr: addr}, nil
}

// newRedisClient parses rawURL into a single-node or cluster client.
func newRedisClient(rawURL string) (redis.UniversalClient, string, error) {
	safe := redactURL(rawURL)
	bad := func(err error) error {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the URL, password included
		}
		return fmt.Errorf("invalid redis url %s: %w", safe, err)
	}
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return nil, "", bad(errors.New("missing scheme (want redis://, rediss:// or redis+cluster://)"))
	}
	cluster := false
	switch scheme {
	case "redis", "rediss":
	case "redis+cluster", "rediss+cluster":
		scheme = strings.TrimSuffix(scheme, "+cluster")
		cluster = true
	default:
		return nil, "", bad(fmt.Errorf("unsupported scheme %q (want redis://, rediss:// or redis+cluster://)", scheme))
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	if i := strings.IndexByte(tail, '#'); i >= 0 {
		tail = tail[:i]
	}
	userinfo, hostlist := "", authority
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		userinfo, hostlist = authority[:i+1], authority[i+1:]
	}
	hosts := strings.Split(hostlist, ",")
	if len(hosts) > 1 {
		cluster = true
	}
	path, rawQuery, _ := strings.Cut(tail, "?")
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, "", bad(err)
	}
	if v := q.Get("cluster"); v != "" {
		on, err := strconv.ParseBool(v)
		if err != nil {
			return nil, "", bad(fmt.Errorf("cluster=%q is not a boolean", v))
		}
		cluster = cluster || on
		q.Del("cluster")
	}
	if cluster {
		if path != "" && path != "/" && path != "/0" {
			return nil, "", bad(errors.New("a Redis Cluster has no database number"))
		}
		for _, h := range hosts[1:] {
			q.Add("addr", h)
		}
		opts, err := redis.ParseClusterURL(scheme + "://" + userinfo + hosts[0] + "?" + q.Encode())
		if err != nil {
			return nil, "", bad(err)
		}
		clientDefaults(&opts.DialTimeout, &opts.ReadTimeout, &opts.WriteTimeout, &opts.MaxRetries, &opts.DialerRetries, &opts.ContextTimeoutEnabled)
		return redis.NewClusterClient(opts), strings.Join(opts.Addrs, ","), nil
	}
	opts, err := redis.ParseURL(scheme + "://" + userinfo + hosts[0] + path + "?" + q.Encode())
	if err != nil {
		return nil, "", bad(err)
	}
	clientDefaults(&opts.DialTimeout, &opts.ReadTimeout, &opts.WriteTimeout, &opts.MaxRetries, &opts.DialerRetries, &opts.ContextTimeoutEnabled)
	return redis.NewClient(opts), opts.Addr, nil
}

// redactURL returns rawURL with any password replaced by "xxxxx".
func redactURL(rawURL string) string {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		if strings.Contains(rawURL, "@") {
			return "(unparsable url)"
		}
		return rawURL
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority := rest[:end]
	i := strings.LastIndexByte(authority, '@')
	if i < 0 {
		return rawURL
	}
	user, _, hasPass := strings.Cut(authority[:i], ":")
	if hasPass {
		user += ":xxxxx"
	}
	return scheme + "://" + user + authority[i:] + rest[end:]
}

// Addr returns the address the store talks to (the first seed node for a
// cluster), without credentials.
func (r *Redis) Addr() string { return r.addr }

// Close closes the connections. It deletes nothing.
func (r *Redis) Close() error {
	if err := r.c.Close(); err != nil {
		return fmt.Errorf("close redis %s: %w", r.addr, err)
	}
	return nil
}

// errorf prefixes an error with the server's address.
func (r *Redis) errorf(format string, args ...any) error {
	return fmt.Errorf("redis %s: "+format, append([]any{r.addr}, args...)...)
}

// StageSet begins a new version of meta.Name. Open stages of the same name
// are superseded (their Append and Commit fail) and every leftover of the
// set's earlier versions is deleted.
func (r *Redis) StageSet(ctx context.Context, meta SetMeta) (SetStage, error) {
	if err := ctx.Err(); err != nil {
		return nil, r.errorf("stage set: %w", err)
	}
	meta, err := newStageInfo(meta)
	if err != nil {
		return nil, r.errorf("stage set: %w", err)
	}
	id := randomHex(16)
	if err := stageScript.Run(ctx, r.c, []string{redisStages, redisTrash}, id, meta.Name).Err(); err != nil {
		return nil, r.errorf("stage set %q: %w", meta.Name, err)
	}
	if err := r.c.RPush(ctx, redisChunksKey(id), "").Err(); err != nil {
		_ = abortScript.Run(context.WithoutCancel(ctx), r.c, []string{redisStages, redisTrash}, id, meta.Name).Err()
		return nil, r.errorf("stage set %q: %w", meta.Name, err)
	}
	if err := r.reclaim(ctx, meta.Name); err != nil {
		return nil, err
	}
	return &redisStage{r: r, id: id, meta: meta}, nil
}

// reclaim deletes the chunk lists of every trashed version of the set.
func (r *Redis) reclaim(ctx context.Context, name string) error {
	all, err := r.c.HGetAll(ctx, redisTrash).Result()
	if err != nil {
		return r.errorf("list leftovers of set %q: %w", name, err)
	}
	var ids []string
	for id, n := range all {
		if n == name {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	// UNLINK frees the memory in the background, so even a huge list
	// costs the server little here. Lists live in different slots, so
	// they are unlinked one command each, pipelined.
	_, err = r.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, id := range ids {
			p.Unlink(ctx, redisChunksKey(id))
		}
		return nil
	})
	if err != nil {
		return r.errorf("delete leftovers of set %q: %w", name, err)
	}
	if err := r.c.HDel(ctx, redisTrash, ids...).Err(); err != nil {
		return r.errorf("delete leftovers of set %q: %w", name, err)
	}
	return nil
}

// redisStage is a version being written to Redis.
type redisStage struct {
	r    *Redis
	id   string
	meta SetMeta

	mu     sync.Mutex
	chunks int64
	closed bool
}

// Append pushes chunk onto the version's list, failing if the stage has
// been discarded.
func (s *redisStage) Append(ctx context.Context, chunk []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return s.r.errorf("append to set %q: %w", s.meta.Name, err)
	}
	if s.closed {
		return s.r.errorf("append to set %q: %w", s.meta.Name, errStageGone)
	}
	n, err := s.r.c.RPushX(ctx, redisChunksKey(s.id), chunk).Result()
	if err != nil {
		return s.r.errorf("append to set %q: %w", s.meta.Name, err)
	}
	if n == 0 {
		return s.r.errorf("append to set %q: %w", s.meta.Name, errStageGone)
	}
	s.chunks = n - 1
	return nil
}

// Commit flips the set to this version, bumps the generation, and then
// unlinks the previous version's chunks. A failure of that cleanup is not
// reported: the leftovers are reclaimed by the set's next StageSet or
// RemoveSet.
func (s *redisStage) Commit(ctx context.Context, meta SetMeta) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return s.r.errorf("commit set %q: %w", s.meta.Name, err)
	}
	if s.closed {
		return s.r.errorf("commit set %q: %w", s.meta.Name, errStageGone)
	}
	final, err := finalMeta(s.meta, meta, s.chunks)
	if err != nil {
		return s.r.errorf("%w", err)
	}
	rec, err := json.Marshal(setRecord{ID: s.id, Meta: final})
	if err != nil {
		return s.r.errorf("commit set %q: encode metadata: %w", s.meta.Name, err)
	}
	res, err := commitScript.Run(ctx, s.r.c,
		[]string{redisStages, redisCur, redisMeta, redisTrash, redisGen},
		s.id, s.meta.Name, rec, randomGeneration()).Result()
	if err != nil {
		return s.r.errorf("commit set %q: %w", s.meta.Name, err)
	}
	if n, ok := res.(int64); ok && n == -1 {
		s.closed = true
		_ = s.r.c.Unlink(context.WithoutCancel(ctx), redisChunksKey(s.id)).Err()
		return s.r.errorf("commit set %q: %w", s.meta.Name, errStageGone)
	}
	s.closed = true
	_ = s.r.reclaim(context.WithoutCancel(ctx), s.meta.Name)
	return nil
}

// Abort discards the stage and its chunks. After Commit it does nothing.
func (s *redisStage) Abort(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return s.r.errorf("abort stage of set %q: %w", s.meta.Name, err)
	}
	if err := abortScript.Run(ctx, s.r.c, []string{redisStages, redisTrash}, s.id, s.meta.Name).Err(); err != nil {
		return s.r.errorf("abort stage of set %q: %w", s.meta.Name, err)
	}
	s.closed = true
	return s.r.reclaim(ctx, s.meta.Name)
}

// getRecord reads a set's committed record.
func (r *Redis) getRecord(ctx context.Context, name string) (setRecord, error) {
	v, err := r.c.HGet(ctx, redisMeta, name).Bytes()
	if errors.Is(err, redis.Nil) {
		return setRecord{}, r.errorf("set %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return setRecord{}, r.errorf("get set %q: %w", name, err)
	}
	var rec setRecord
	if err := json.Unmarshal(v, &rec); err != nil {
		return setRecord{}, r.errorf("set %q: decode metadata: %w", name, err)
	}
	return rec, nil
}

// ListSets returns the committed sets in name order.
func (r *Redis) ListSets(ctx context.Context) ([]SetMeta, error) {
	if err := ctx.Err(); err != nil {
		return nil, r.errorf("list sets: %w", err)
	}
	all, err := r.c.HGetAll(ctx, redisMeta).Result()
	if err != nil {
		return nil, r.errorf("list sets: %w", err)
	}
	out := make([]SetMeta, 0, len(all))
	for name, v := range all {
		var rec setRecord
		if err := json.Unmarshal([]byte(v), &rec); err != nil {
			return nil, r.errorf("set %q: decode metadata: %w", name, err)
		}
		out = append(out, rec.Meta)
	}
	slices.SortFunc(out, func(a, b SetMeta) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// GetSet returns the committed version's metadata, or ErrNotFound.
func (r *Redis) GetSet(ctx context.Context, name string) (SetMeta, error) {
	if err := ctx.Err(); err != nil {
		return SetMeta{}, r.errorf("get set %q: %w", name, err)
	}
	rec, err := r.getRecord(ctx, name)
	if err != nil {
		return SetMeta{}, err
	}
	return rec.Meta, nil
}

// chunkBatch is one pipelined round trip's worth of chunks.
type chunkBatch struct {
	chunks [][]byte
	err    error
}

// ReadSet streams the committed version. Chunks are fetched by pipelined
// LRANGE round trips of about 16 MB, one round trip ahead of fn; a range
// that comes back short means the version was deleted, and fails the read.
func (r *Redis) ReadSet(ctx context.Context, name string, meta func(SetMeta) error, chunk func([]byte) error) error {
	if err := ctx.Err(); err != nil {
		return r.errorf("read set %q: %w", name, err)
	}
	rec, err := r.getRecord(ctx, name)
	if err != nil {
		return err
	}
	if err := meta(rec.Meta); err != nil {
		return err
	}
	total := rec.Meta.Chunks
	if total == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan chunkBatch, 1)
	go r.fetchChunks(ctx, rec, batches)
	for got := int64(0); got < total; {
		var b chunkBatch
		select {
		case b = <-batches:
		case <-ctx.Done():
			return r.errorf("read set %q: %w", name, ctx.Err())
		}
		if b.err != nil {
			return r.errorf("read set %q: %w", name, b.err)
		}
		for i, c := range b.chunks {
			if err := chunk(c); err != nil {
				return err
			}
			b.chunks[i] = nil
		}
		got += int64(len(b.chunks))
	}
	return nil
}

// fetchChunks sends the chunks of rec's version to out in batches, until
// all are sent, an error is sent, or ctx is done.
func (r *Redis) fetchChunks(ctx context.Context, rec setRecord, out chan<- chunkBatch) {
	key := redisChunksKey(rec.ID)
	total := rec.Meta.Chunks
	per := int64(1) // chunks per LRANGE, adapted to the chunk size
	const depth = 4 // LRANGEs per round trip
	send := func(b chunkBatch) bool {
		select {
		case out <- b:
			return b.err == nil
		case <-ctx.Done():
			return false
		}
	}
	for next := int64(0); next < total; {
		var cmds []*redis.StringSliceCmd
		_, err := r.c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, from := 0, next; i < depth && from < total; i, from = i+1, from+per {
				to := min(from+per, total) - 1
				// +1: element 0 of the list is the placeholder.
				cmds = append(cmds, p.LRange(ctx, key, from+1, to+1))
			}
			return nil
		})
		if err != nil {
			send(chunkBatch{err: err})
			return
		}
		var b chunkBatch
		size := 0
		for _, cmd := range cmds {
			vals := cmd.Val()
			want := min(per, total-next)
			if int64(len(vals)) != want {
				send(chunkBatch{err: vanished(rec.Meta.Name, rec.Meta.Version)})
				return
			}
			for _, v := range vals {
				b.chunks = append(b.chunks, []byte(v))
				size += len(v)
			}
			next += want
		}
		if avg := size / len(b.chunks); avg > 0 {
			per = max(1, int64(redisReadBatchBytes/depth/avg))
		} else {
			per = 1024
		}
		if !send(b) {
			return
		}
	}
}

// RemoveSet deletes the committed version, every open stage and every
// leftover of the set. It returns ErrNotFound if no version was committed
// (leftovers are deleted all the same).
func (r *Redis) RemoveSet(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return r.errorf("remove set %q: %w", name, err)
	}
	n, err := removeScript.Run(ctx, r.c,
		[]string{redisStages, redisCur, redisMeta, redisTrash, redisGen},
		name, randomGeneration()).Int64()
	if err != nil {
		return r.errorf("remove set %q: %w", name, err)
	}
	if err := r.reclaim(ctx, name); err != nil {
		return err
	}
	if n == 0 {
		return r.errorf("remove set %q: %w", name, ErrNotFound)
	}
	return nil
}

// SetsGeneration returns the counter bumped by every commit and removal
// (0 before the first).
func (r *Redis) SetsGeneration(ctx context.Context) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, r.errorf("read sets generation: %w", err)
	}
	g, err := r.c.Get(ctx, redisGen).Uint64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, r.errorf("read sets generation: %w", err)
	}
	return g, nil
}

// Get returns the live value, or an error wrapping ErrNotFound.
func (r *Redis) Get(ctx context.Context, bucket, key string) ([]byte, error) {
	if err := checkKV(bucket, key); err != nil {
		return nil, r.errorf("get: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, r.errorf("get from bucket %s: %w", bucket, err)
	}
	v, err := r.c.Get(ctx, redisValuePrefix(bucket)+key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, r.errorf("get from bucket %s: %w", bucket, ErrNotFound)
	}
	if err != nil {
		return nil, r.errorf("get from bucket %s: %w", bucket, err)
	}
	return v, nil
}

// putArgs returns the keys and arguments of putScript.
func putArgs(bucket, key string, value []byte, ttl time.Duration, mode string) ([]string, []any) {
	var ms int64
	if ttl > 0 {
		ms = ttlMillis(ttl)
	}
	prefix := redisValuePrefix(bucket)
	return []string{prefix + key, redisIndexKey(bucket), redisExpiryKey(bucket)},
		[]any{value, ms, mode, key, prefix}
}

// Put stores value under key, replacing any previous value.
func (r *Redis) Put(ctx context.Context, bucket, key string, value []byte, ttl time.Duration) error {
	if err := checkKV(bucket, key); err != nil {
		return r.errorf("put: %w", err)
	}
	if err := checkTTL(ttl); err != nil {
		return r.errorf("put into bucket %s: %w", bucket, err)
	}
	if err := ctx.Err(); err != nil {
		return r.errorf("put into bucket %s: %w", bucket, err)
	}
	keys, args := putArgs(bucket, key, value, ttl, "set")
	if err := putScript.Run(ctx, r.c, keys, args...).Err(); err != nil {
		return r.errorf("put into bucket %s: %w", bucket, err)
	}
	return nil
}

// PutIfAbsent stores value only if key is absent or expired, atomically
// (SET NX in a script that also indexes the key).
func (r *Redis) PutIfAbsent(ctx context.Context, bucket, key string, value []byte, ttl time.Duration) (bool, error) {
	if err := checkKV(bucket, key); err != nil {
		return false, r.errorf("put if absent: %w", err)
	}
	if err := checkTTL(ttl); err != nil {
		return false, r.errorf("put if absent into bucket %s: %w", bucket, err)
	}
	if err := ctx.Err(); err != nil {
		return false, r.errorf("put if absent into bucket %s: %w", bucket, err)
	}
	keys, args := putArgs(bucket, key, value, ttl, "nx")
	n, err := putScript.Run(ctx, r.c, keys, args...).Int64()
	if err != nil {
		return false, r.errorf("put if absent into bucket %s: %w", bucket, err)
	}
	return n == 1, nil
}

// Update reads the value under WATCH, calls fn, and writes the result in
// MULTI/EXEC; a concurrent write makes it start over, up to 200 times.
func (r *Redis) Update(ctx context.Context, bucket, key string, fn func(old []byte, exists bool) (value []byte, keep bool, ttl time.Duration, err error)) error {
	if err := checkKV(bucket, key); err != nil {
		return r.errorf("update: %w", err)
	}
	vkey := redisValuePrefix(bucket) + key
	backoff := time.Millisecond
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return r.errorf("update in bucket %s: %w", bucket, err)
		}
		var fnErr error
		err := r.c.Watch(ctx, func(tx *redis.Tx) error {
			old, err := tx.Get(ctx, vkey).Bytes()
			exists := true
			if errors.Is(err, redis.Nil) {
				old, exists = nil, false
			} else if err != nil {
				return err
			}
			value, keep, ttl, err := fn(old, exists)
			if err != nil {
				fnErr = err
				return err
			}
			if err := checkTTL(ttl); err != nil {
				return err
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				if keep {
					keys, args := putArgs(bucket, key, value, ttl, "set")
					p.Eval(ctx, putScriptSrc, keys, args...)
				} else {
					p.Del(ctx, vkey)
					p.ZRem(ctx, redisIndexKey(bucket), key)
					p.ZRem(ctx, redisExpiryKey(bucket), key)
				}
				return nil
			})
			return err
		}, vkey)
		if fnErr != nil {
			return fnErr
		}
		if err == nil {
			return nil
		}
		if !errors.Is(err, redis.TxFailedErr) {
			return r.errorf("update in bucket %s: %w", bucket, err)
		}
		if attempt == redisUpdateAttempts {
			return r.errorf("update in bucket %s: gave up after %d attempts, each overtaken by a concurrent write", bucket, attempt)
		}
		// Randomized, growing backoff spreads out contending writers.
		t := time.NewTimer(rand.N(backoff) + time.Microsecond)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return r.errorf("update in bucket %s: %w", bucket, ctx.Err())
		}
		backoff = min(2*backoff, 50*time.Millisecond)
	}
}

// Delete removes key; an absent key is not an error.
func (r *Redis) Delete(ctx context.Context, bucket, key string) error {
	if err := checkKV(bucket, key); err != nil {
		return r.errorf("delete: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return r.errorf("delete from bucket %s: %w", bucket, err)
	}
	_, err := r.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, redisValuePrefix(bucket)+key)
		p.ZRem(ctx, redisIndexKey(bucket), key)
		p.ZRem(ctx, redisExpiryKey(bucket), key)
		return nil
	})
	if err != nil {
		return r.errorf("delete from bucket %s: %w", bucket, err)
	}
	return nil
}

// prefixEnd returns the smallest string greater than every string with the
// given prefix, or "" if there is none.
func prefixEnd(prefix string) string {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return ""
}

// Scan visits the live keys of bucket that start with prefix, in byte
// order, walking the bucket's index in pages and fetching each page's
// values with one MGET. Index entries of expired keys are dropped as they
// are met.
func (r *Redis) Scan(ctx context.Context, bucket, prefix string, fn func(key string, value []byte) error) error {
	if err := checkBucket(bucket); err != nil {
		return r.errorf("scan: %w", err)
	}
	vprefix, idx := redisValuePrefix(bucket), redisIndexKey(bucket)
	lo, hi := "-", "+"
	if prefix != "" {
		lo = "[" + prefix
		if end := prefixEnd(prefix); end != "" {
			hi = "(" + end
		}
	}
	for {
		if err := ctx.Err(); err != nil {
			return r.errorf("scan bucket %s: %w", bucket, err)
		}
		keys, err := r.c.ZRangeByLex(ctx, idx, &redis.ZRangeBy{Min: lo, Max: hi, Count: redisScanPage}).Result()
		if err != nil {
			return r.errorf("scan bucket %s: %w", bucket, err)
		}
		if len(keys) == 0 {
			return nil
		}
		full := make([]string, len(keys))
		for i, k := range keys {
			full[i] = vprefix + k
		}
		vals, err := r.c.MGet(ctx, full...).Result()
		if err != nil {
			return r.errorf("scan bucket %s: %w", bucket, err)
		}
		var stale []any
		for i, k := range keys {
			s, ok := vals[i].(string)
			if !ok {
				stale = append(stale, k)
				continue
			}
			if err := fn(k, []byte(s)); err != nil {
				return err
			}
		}
		if len(stale) > 0 {
			args := append([]any{vprefix}, stale...)
			if err := dropStaleScript.Run(ctx, r.c, []string{idx, redisExpiryKey(bucket)}, args...).Err(); err != nil {
				return r.errorf("scan bucket %s: drop expired keys from index: %w", bucket, err)
			}
		}
		if len(keys) < redisScanPage {
			return nil
		}
		lo = "(" + keys[len(keys)-1]
	}
}

// clientDefaults fills in what a URL left unset, for single-node and
// cluster clients alike: short timeouts, so a dead Redis gives errors
// rather than hangs, a couple of retries for a blip, and contexts honoured.
func clientDefaults(dial, read, write *time.Duration, retries, dialerRetries *int, ctxTimeout *bool) {
	if *dial == 0 {
		*dial = redisDialTimeout
	}
	if *read == 0 {
		*read = redisIOTimeout
	}
	if *write == 0 {
		*write = redisIOTimeout
	}
	if *retries == 0 {
		*retries = 2
	}
	if *dialerRetries == 0 {
		*dialerRetries = 2
	}
	*ctxTimeout = true
}

var quietRedis sync.Once

type discardRedisLog struct{}

func (discardRedisLog) Printf(context.Context, string, ...any) {}
