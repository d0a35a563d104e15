package store

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Queue keys. Every key of one queue shares the hash tag {q:<queue>}, so
// each script below touches one Redis Cluster slot:
//
//	lw:{q:<queue>}:due        sorted set: scheduled job -> due time (Unix ms)
//	lw:{q:<queue>}:stream     stream of entries {job}, consumer group "workers":
//	                          ready entries, and pending ones (delivered, not done)
//	lw:{q:<queue>}:jobs       hash: job in the stream -> its entry ID, or
//	                          "dead" for a dead-lettered job
//	lw:{q:<queue>}:dead       stream of dead letters {job, deliveries}, capped
//	                          at about 1000
//	lw:{q:<queue>}:consumers  sorted set: consumer -> last Claim or Touch (ms,
//	                          the server's clock)
//
// A job is in the due set, or in the jobs hash (with an entry in the
// stream, or "dead"), never both: every script that moves it checks and
// moves it atomically. Idle times of pending entries are the stream's own
// (XPENDING), reset by XCLAIM … JUSTID on Touch; reclaiming is XAUTOCLAIM.
const redisGroup = "workers"

func redisQueueKey(queue, part string) string { return "lw:{q:" + queue + "}:" + part }

// redisQueueKeys returns the keys of a queue in the order the scripts
// take them: due, stream, jobs, dead, consumers.
func redisQueueKeys(queue string) []string {
	return []string{
		redisQueueKey(queue, "due"), redisQueueKey(queue, "stream"), redisQueueKey(queue, "jobs"),
		redisQueueKey(queue, "dead"), redisQueueKey(queue, "consumers"),
	}
}

// Queue scripts. KEYS are always the five of redisQueueKeys, so every
// script declares every key it may touch. The group is created with the
// stream (MKSTREAM) the first time a script finds no stream; it survives
// everything but the deletion of the stream key.
const redisQueuePrelude = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function ensure_group()
  if redis.call('EXISTS', KEYS[2]) == 0 then
    redis.call('XGROUP', 'CREATE', KEYS[2], 'workers', '0', 'MKSTREAM')
  end
end
-- owned: is entry id pending to consumer with this delivery count?
local function owned(id, consumer, n)
  if redis.call('EXISTS', KEYS[2]) == 0 then return false end
  local p = redis.call('XPENDING', KEYS[2], 'workers', id, id, 1)
  return #p == 1 and p[1][2] == consumer and tonumber(p[1][4]) == tonumber(n)
end
`

var (
	// ARGV job, due ms, mode ("nx" or "replace"). Returns 1 if changed.
	queueScheduleScript = redis.NewScript(redisQueuePrelude + `
local where = redis.call('HGET', KEYS[3], ARGV[1])
if ARGV[3] == 'nx' then
  if where then return 0 end
  return redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[1])
end
if where and where ~= 'dead' then return 0 end
local changed = redis.call('ZADD', KEYS[1], 'CH', ARGV[2], ARGV[1])
if where == 'dead' then
  redis.call('HDEL', KEYS[3], ARGV[1])
  changed = 1
end
return changed`)

	// ARGV now ms, max. Returns {promoted, earliest due left or ''}.
	queuePromoteScript = redis.NewScript(redisQueuePrelude + `
ensure_group()
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local n = 0
for _, job in ipairs(due) do
  redis.call('ZREM', KEYS[1], job)
  if not redis.call('HGET', KEYS[3], job) then
    local id = redis.call('XADD', KEYS[2], '*', 'job', job)
    redis.call('HSET', KEYS[3], job, id)
    n = n + 1
  end
end
local left = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {n, left[2] or ''}`)

	// ARGV consumer, reclaim ms, max deliveries. Returns {id, job,
	// deliveries} or false. Reclaims first (XAUTOCLAIM, one entry at a
	// time, dead-lettering those delivered too often), then reads a new
	// entry without blocking.
	queueClaimScript = redis.NewScript(redisQueuePrelude + `
ensure_group()
local now = now_ms()
redis.call('ZADD', KEYS[5], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now - 86400000)
local start = '0-0'
repeat
  local r = redis.call('XAUTOCLAIM', KEYS[2], 'workers', ARGV[1], ARGV[2], start, 'COUNT', 1)
  start = r[1]
  for _, e in ipairs(r[2]) do
    local id, job = e[1], e[2][2]
    local p = redis.call('XPENDING', KEYS[2], 'workers', id, id, 1)
    local n = tonumber(p[1][4])
    if n > tonumber(ARGV[3]) then
      redis.call('XACK', KEYS[2], 'workers', id)
      redis.call('XDEL', KEYS[2], id)
      redis.call('HSET', KEYS[3], job, 'dead')
      redis.call('XADD', KEYS[4], 'MAXLEN', '~', 1000, '*', 'job', job, 'deliveries', n - 1)
    else
      return {id, job, n}
    end
  end
until start == '0-0'
local r = redis.call('XREADGROUP', 'GROUP', 'workers', ARGV[1], 'COUNT', 1, 'STREAMS', KEYS[2], '>')
if r and r[1] and r[1][2][1] then
  local e = r[1][2][1]
  return {e[1], e[2][2], 1}
end
return false`)

	// ARGV id, consumer, deliveries. Returns 1, or 0 if not owned.
	queueTouchScript = redis.NewScript(redisQueuePrelude + `
if not owned(ARGV[1], ARGV[2], ARGV[3]) then return 0 end
redis.call('XCLAIM', KEYS[2], 'workers', ARGV[2], 0, ARGV[1], 'JUSTID')
redis.call('ZADD', KEYS[5], now_ms(), ARGV[2])
return 1`)

	// ARGV id, consumer, deliveries, job, next ms ('' drops the job).
	// Returns 1, or 0 if not owned.
	queueDoneScript = redis.NewScript(redisQueuePrelude + `
if not owned(ARGV[1], ARGV[2], ARGV[3]) then return 0 end
redis.call('XACK', KEYS[2], 'workers', ARGV[1])
redis.call('XDEL', KEYS[2], ARGV[1])
if redis.call('HGET', KEYS[3], ARGV[4]) == ARGV[1] then
  redis.call('HDEL', KEYS[3], ARGV[4])
end
if ARGV[5] ~= '' then
  redis.call('ZADD', KEYS[1], ARGV[5], ARGV[4])
end
redis.call('ZADD', KEYS[5], now_ms(), ARGV[2])
return 1`)

	// ARGV now ms (the caller's, for overdue), list limit. Returns one
	// consistent snapshot: {scheduled, overdue, xlen, pending count,
	// pending {id, consumer, idle, n, job}..., consumers {name, ms}...,
	// dead count, dead letters {id, job, deliveries}..., server ms}.
	queueStatsScript = redis.NewScript(redisQueuePrelude + `
local lim = tonumber(ARGV[2])
local out = {}
out[1] = redis.call('ZCARD', KEYS[1])
out[2] = redis.call('ZCOUNT', KEYS[1], '-inf', ARGV[1])
out[3] = redis.call('XLEN', KEYS[2])
local pend = {}
out[4] = 0
if out[3] > 0 or redis.call('EXISTS', KEYS[2]) == 1 then
  out[4] = redis.call('XPENDING', KEYS[2], 'workers')[1]
  for _, p in ipairs(redis.call('XPENDING', KEYS[2], 'workers', '-', '+', lim)) do
    local e = redis.call('XRANGE', KEYS[2], p[1], p[1])
    local job = ''
    if e[1] then job = e[1][2][2] end
    table.insert(pend, {p[1], p[2], p[3], p[4], job})
  end
end
out[5] = pend
out[6] = redis.call('ZREVRANGE', KEYS[5], 0, -1, 'WITHSCORES')
local dead = 0
for _, v in ipairs(redis.call('HVALS', KEYS[3])) do
  if v == 'dead' then dead = dead + 1 end
end
out[7] = dead
local letters = {}
for _, e in ipairs(redis.call('XREVRANGE', KEYS[4], '+', '-', 'COUNT', lim)) do
  table.insert(letters, {e[1], e[2][2], e[2][4]})
end
out[8] = letters
out[9] = now_ms()
return out`)
)

// msOf is a time in Unix milliseconds.
func msOf(t time.Time) int64 { return t.UnixMilli() }

// streamIDTime is the time part of a stream entry ID ("<ms>-<seq>").
func streamIDTime(id string) time.Time {
	ms, _, _ := strings.Cut(id, "-")
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.UnixMilli(n)
}

// Schedule adds or moves a job in the schedule (see ScheduleMode), in one
// script.
func (r *Redis) Schedule(ctx context.Context, queue, job string, due time.Time, mode ScheduleMode) (bool, error) {
	if err := checkQueue(queue, job); err != nil {
		return false, r.errorf("schedule: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return false, r.errorf("schedule job %q in queue %s: %w", job, queue, err)
	}
	m := "nx"
	if mode == ScheduleReplace {
		m = "replace"
	}
	n, err := queueScheduleScript.Run(ctx, r.c, redisQueueKeys(queue), job, msOf(due), m).Int64()
	if err != nil {
		return false, r.errorf("schedule job %q in queue %s: %w", job, queue, err)
	}
	return n == 1, nil
}

// Promote moves due jobs into the stream in one script, so each due job
// becomes one entry however many workers promote at once.
func (r *Redis) Promote(ctx context.Context, queue string, now time.Time, max int) (int, time.Time, error) {
	if err := checkBucket(queue); err != nil {
		return 0, time.Time{}, r.errorf("promote: queue: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return 0, time.Time{}, r.errorf("promote due jobs of queue %s: %w", queue, err)
	}
	if max <= 0 {
		max = 100
	}
	res, err := queuePromoteScript.Run(ctx, r.c, redisQueueKeys(queue), msOf(now), max).Slice()
	if err != nil {
		return 0, time.Time{}, r.errorf("promote due jobs of queue %s: %w", queue, err)
	}
	n, _ := res[0].(int64)
	var next time.Time
	if s, _ := res[1].(string); s != "" {
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			next = time.UnixMilli(int64(f))
		}
	}
	return int(n), next, nil
}

// Claim reclaims an idle entry or reads a new one in one script; if there
// is none, it blocks in XREADGROUP for up to o.Block.
func (r *Redis) Claim(ctx context.Context, queue, consumer string, o ClaimOptions) (*Delivery, error) {
	o, err := claimDefaults(queue, consumer, o)
	if err != nil {
		return nil, r.errorf("claim: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, r.errorf("claim from queue %s: %w", queue, err)
	}
	keys := redisQueueKeys(queue)
	reclaim := max(1, o.ReclaimAfter.Milliseconds())
	res, err := queueClaimScript.Run(ctx, r.c, keys, consumer, reclaim, o.MaxDeliveries).Slice()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, r.errorf("claim from queue %s: %w", queue, err)
	}
	if err == nil {
		id, _ := res[0].(string)
		job, _ := res[1].(string)
		n, _ := res[2].(int64)
		return &Delivery{Queue: queue, Job: job, ID: id, Consumer: consumer, Deliveries: int(n)}, nil
	}
	if o.Block <= 0 {
		return nil, nil
	}
	streams, err := r.c.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: redisGroup, Consumer: consumer, Streams: []string{keys[1], ">"},
		Count: 1, Block: max(o.Block, time.Millisecond),
	}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, r.errorf("claim from queue %s: wait for a job: %w", queue, err)
	}
	for _, s := range streams {
		for _, m := range s.Messages {
			job, _ := m.Values["job"].(string)
			return &Delivery{Queue: queue, Job: job, ID: m.ID, Consumer: consumer, Deliveries: 1}, nil
		}
	}
	return nil, nil
}

// Touch resets the entry's idle time (XCLAIM … JUSTID, which keeps its
// delivery count) if the delivery is still the consumer's.
func (r *Redis) Touch(ctx context.Context, d Delivery) error {
	if err := checkQueue(d.Queue, d.Job); err != nil {
		return r.errorf("touch: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return r.errorf("touch job %q of queue %s: %w", d.Job, d.Queue, err)
	}
	n, err := queueTouchScript.Run(ctx, r.c, redisQueueKeys(d.Queue), d.ID, d.Consumer, d.Deliveries).Int64()
	if err != nil {
		return r.errorf("touch job %q of queue %s: %w", d.Job, d.Queue, err)
	}
	if n == 0 {
		return r.errorf("touch job %q of queue %s (entry %s, delivery %d to %s): %w", d.Job, d.Queue, d.ID, d.Deliveries, d.Consumer, ErrNotOwner)
	}
	return nil
}

// Done acknowledges and deletes the entry and schedules the job's next
// run, in one script.
func (r *Redis) Done(ctx context.Context, d Delivery, next time.Time) error {
	if err := checkQueue(d.Queue, d.Job); err != nil {
		return r.errorf("done: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return r.errorf("finish job %q of queue %s: %w", d.Job, d.Queue, err)
	}
	nextArg := ""
	if !next.IsZero() {
		nextArg = strconv.FormatInt(msOf(next), 10)
	}
	n, err := queueDoneScript.Run(ctx, r.c, redisQueueKeys(d.Queue), d.ID, d.Consumer, d.Deliveries, d.Job, nextArg).Int64()
	if err != nil {
		return r.errorf("finish job %q of queue %s: %w", d.Job, d.Queue, err)
	}
	if n == 0 {
		return r.errorf("finish job %q of queue %s (entry %s, delivery %d to %s): %w", d.Job, d.Queue, d.ID, d.Deliveries, d.Consumer, ErrNotOwner)
	}
	return nil
}

// Stats reads the queue in one script, so the numbers agree.
func (r *Redis) Stats(ctx context.Context, queue string, now time.Time) (QueueStats, error) {
	if err := checkBucket(queue); err != nil {
		return QueueStats{}, r.errorf("queue stats: queue: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return QueueStats{}, r.errorf("stats of queue %s: %w", queue, err)
	}
	res, err := queueStatsScript.Run(ctx, r.c, redisQueueKeys(queue), msOf(now), queueStatsList).Slice()
	if err != nil {
		return QueueStats{}, r.errorf("stats of queue %s: %w", queue, err)
	}
	if len(res) != 9 {
		return QueueStats{}, r.errorf("stats of queue %s: unexpected reply of %d elements", queue, len(res))
	}
	i64 := func(v any) int64 {
		switch x := v.(type) {
		case int64:
			return x
		case string:
			n, _ := strconv.ParseInt(x, 10, 64)
			return n
		}
		return 0
	}
	str := func(v any) string { s, _ := v.(string); return s }
	server := time.UnixMilli(i64(res[8]))
	var s QueueStats
	s.Scheduled, s.Overdue = i64(res[0]), i64(res[1])
	s.Pending = i64(res[3])
	s.Ready = max(0, i64(res[2])-s.Pending)
	pend, _ := res[4].([]any)
	for _, p := range pend {
		f, _ := p.([]any)
		if len(f) != 5 {
			continue
		}
		id := str(f[0])
		age := time.Duration(0)
		if t := streamIDTime(id); !t.IsZero() {
			age = max(0, server.Sub(t))
		}
		s.OldestPending = append(s.OldestPending, PendingEntry{
			ID: id, Consumer: str(f[1]), Idle: time.Duration(i64(f[2])) * time.Millisecond,
			Deliveries: int(i64(f[3])), Job: str(f[4]), Age: age,
		})
	}
	cons, _ := res[5].([]any)
	for i := 0; i+1 < len(cons); i += 2 {
		ms, _ := strconv.ParseFloat(str(cons[i+1]), 64)
		s.Consumers = append(s.Consumers, Consumer{Name: str(cons[i]), LastSeen: time.UnixMilli(int64(ms))})
	}
	s.Dead = i64(res[6])
	letters, _ := res[7].([]any)
	for _, l := range letters {
		f, _ := l.([]any)
		if len(f) != 3 {
			continue
		}
		id := str(f[0])
		s.DeadLetters = append(s.DeadLetters, DeadLetter{ID: id, Job: str(f[1]), Deliveries: int(i64(f[2])), At: streamIDTime(id)})
	}
	return s, nil
}
