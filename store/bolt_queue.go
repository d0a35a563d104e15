package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The bbolt queue keeps what the Redis one keeps, in one nested bucket per
// queue under boltQueues:
//
//	due        job -> due time (Unix ns, 8 bytes)
//	bydue      due time (8 bytes) + job -> empty: the schedule in due order
//	stream     entry ID (8 bytes, increasing) -> boltEntry JSON
//	jobs       job in the stream -> its entry ID (8 bytes), or "dead"
//	dead       dead letter ID (8 bytes) -> DeadLetter JSON, the last 1000
//	consumers  consumer -> last Claim or Touch (Unix ns)
//	seq        (a key) the last entry ID given out
//
// Every operation is one bbolt write transaction, so the guarantees of
// Queue hold among the goroutines of the one process that can open the
// file. Idle times are measured with the wall clock and stored, so entries
// pending when the process died are reclaimed after ReclaimAfter once it
// is back.
var (
	boltQueues        = []byte("queues")
	boltQDue          = []byte("due")
	boltQByDue        = []byte("bydue")
	boltQStream       = []byte("stream")
	boltQJobs         = []byte("jobs")
	boltQDead         = []byte("dead")
	boltQConsumers    = []byte("consumers")
	boltQSeq          = []byte("seq")
	boltDeadMark      = []byte("dead")
	boltQueueSubs     = [][]byte{boltQDue, boltQByDue, boltQStream, boltQJobs, boltQDead, boltQConsumers}
	errBoltQueueEmpty = errors.New("no such queue")
)

// boltEntry is one stream entry. Consumer is empty while it is ready.
type boltEntry struct {
	Job        string `json:"job"`
	Consumer   string `json:"consumer,omitempty"`
	Deliveries int    `json:"deliveries"`
	// Last is when it was last delivered or touched, Added when it
	// entered the stream (Unix ns).
	Last  int64 `json:"last,omitempty"`
	Added int64 `json:"added"`
}

// boltQ is the buckets of one queue inside a transaction.
type boltQ struct {
	root                                     *bolt.Bucket
	due, bydue, stream, jobs, dead, consumer *bolt.Bucket
}

// queueBuckets opens (creating when write is true) the queue's buckets.
// Reading a queue never written returns errBoltQueueEmpty.
func queueBuckets(tx *bolt.Tx, queue string, write bool) (*boltQ, error) {
	var root *bolt.Bucket
	if write {
		top, err := tx.CreateBucketIfNotExists(boltQueues)
		if err != nil {
			return nil, err
		}
		if root, err = top.CreateBucketIfNotExists([]byte(queue)); err != nil {
			return nil, err
		}
		for _, name := range boltQueueSubs {
			if _, err := root.CreateBucketIfNotExists(name); err != nil {
				return nil, err
			}
		}
	} else {
		top := tx.Bucket(boltQueues)
		if top == nil {
			return nil, errBoltQueueEmpty
		}
		if root = top.Bucket([]byte(queue)); root == nil {
			return nil, errBoltQueueEmpty
		}
	}
	return &boltQ{
		root: root, due: root.Bucket(boltQDue), bydue: root.Bucket(boltQByDue), stream: root.Bucket(boltQStream),
		jobs: root.Bucket(boltQJobs), dead: root.Bucket(boltQDead), consumer: root.Bucket(boltQConsumers),
	}, nil
}

// nsKey encodes a time as 8 sortable bytes (times before 1970 as 0).
func nsKey(t time.Time) []byte {
	return u64(uint64(max(0, t.UnixNano())))
}

func byDueKey(due []byte, job string) []byte {
	return append(bytes.Clone(due), job...)
}

// unschedule removes a job from the schedule, if it is there.
func (q *boltQ) unschedule(job string) error {
	old := q.due.Get([]byte(job))
	if old == nil {
		return nil
	}
	if err := q.bydue.Delete(byDueKey(old, job)); err != nil {
		return err
	}
	return q.due.Delete([]byte(job))
}

// schedule puts a job in the schedule at due, replacing its due time.
func (q *boltQ) schedule(job string, due time.Time) error {
	if err := q.unschedule(job); err != nil {
		return err
	}
	k := nsKey(due)
	if err := q.due.Put([]byte(job), k); err != nil {
		return err
	}
	return q.bydue.Put(byDueKey(k, job), []byte{})
}

func (q *boltQ) entry(id []byte) (boltEntry, bool) {
	var e boltEntry
	v := q.stream.Get(id)
	if v == nil || json.Unmarshal(v, &e) != nil {
		return e, false
	}
	return e, true
}

func (q *boltQ) putEntry(id []byte, e boltEntry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return q.stream.Put(id, b)
}

// seen records that a consumer called, and forgets consumers silent for a
// day.
func (q *boltQ) seen(consumer string, now time.Time) error {
	if err := q.consumer.Put([]byte(consumer), u64(uint64(now.UnixNano()))); err != nil {
		return err
	}
	var old [][]byte
	_ = q.consumer.ForEach(func(k, v []byte) error {
		if len(v) == 8 && now.Sub(time.Unix(0, int64(binary.BigEndian.Uint64(v)))) > queueConsumerForget {
			old = append(old, bytes.Clone(k))
		}
		return nil
	})
	for _, k := range old {
		if err := q.consumer.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// owned returns the entry of a delivery if it is still the consumer's.
func (q *boltQ) owned(d Delivery) ([]byte, boltEntry, bool) {
	n, err := strconv.ParseUint(d.ID, 10, 64)
	if err != nil {
		return nil, boltEntry{}, false
	}
	id := u64(n)
	e, ok := q.entry(id)
	if !ok || e.Consumer != d.Consumer || e.Deliveries != d.Deliveries || e.Job != d.Job {
		return nil, boltEntry{}, false
	}
	return id, e, true
}

// wakeup returns the channel closed when the queue's stream next gets a
// ready entry.
func (b *Bolt) wakeup(queue string) <-chan struct{} {
	b.qmu.Lock()
	defer b.qmu.Unlock()
	if b.qwake == nil {
		b.qwake = map[string]chan struct{}{}
	}
	ch := b.qwake[queue]
	if ch == nil {
		ch = make(chan struct{})
		b.qwake[queue] = ch
	}
	return ch
}

// wake wakes the Claims waiting on the queue.
func (b *Bolt) wake(queue string) {
	b.qmu.Lock()
	defer b.qmu.Unlock()
	if ch := b.qwake[queue]; ch != nil {
		close(ch)
		delete(b.qwake, queue)
	}
}

// Schedule adds or moves a job in the schedule (see ScheduleMode).
func (b *Bolt) Schedule(ctx context.Context, queue, job string, due time.Time, mode ScheduleMode) (bool, error) {
	if err := checkQueue(queue, job); err != nil {
		return false, b.errorf("schedule: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return false, b.errorf("schedule job %q in queue %s: %w", job, queue, err)
	}
	changed := false
	err := b.db.Update(func(tx *bolt.Tx) error {
		changed = false
		q, err := queueBuckets(tx, queue, true)
		if err != nil {
			return err
		}
		where := q.jobs.Get([]byte(job))
		if mode != ScheduleReplace {
			if where != nil || q.due.Get([]byte(job)) != nil {
				return nil
			}
			changed = true
			return q.schedule(job, due)
		}
		if where != nil && !bytes.Equal(where, boltDeadMark) {
			return nil
		}
		if where != nil {
			if err := q.jobs.Delete([]byte(job)); err != nil {
				return err
			}
		}
		changed = true
		return q.schedule(job, due)
	})
	if err != nil {
		return false, b.errorf("schedule job %q in queue %s: %w", job, queue, err)
	}
	return changed, nil
}

// Promote moves due jobs into the stream in one transaction.
func (b *Bolt) Promote(ctx context.Context, queue string, now time.Time, max int) (int, time.Time, error) {
	if err := checkBucket(queue); err != nil {
		return 0, time.Time{}, b.errorf("promote: queue: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return 0, time.Time{}, b.errorf("promote due jobs of queue %s: %w", queue, err)
	}
	if max <= 0 {
		max = 100
	}
	promoted := 0
	var next time.Time
	err := b.db.Update(func(tx *bolt.Tx) error {
		promoted, next = 0, time.Time{}
		q, err := queueBuckets(tx, queue, true)
		if err != nil {
			return err
		}
		limit := nsKey(now)
		var due []string
		c := q.bydue.Cursor()
		for k, _ := c.First(); k != nil && len(due) < max && len(k) >= 8 && bytes.Compare(k[:8], limit) <= 0; k, _ = c.Next() {
			due = append(due, string(k[8:]))
		}
		wall := time.Now().UnixNano()
		for _, job := range due {
			if err := q.unschedule(job); err != nil {
				return err
			}
			if q.jobs.Get([]byte(job)) != nil {
				continue
			}
			seq, _ := strconv.ParseUint(string(q.root.Get(boltQSeq)), 10, 64)
			seq++
			if err := q.root.Put(boltQSeq, []byte(strconv.FormatUint(seq, 10))); err != nil {
				return err
			}
			if err := q.putEntry(u64(seq), boltEntry{Job: job, Added: wall}); err != nil {
				return err
			}
			if err := q.jobs.Put([]byte(job), u64(seq)); err != nil {
				return err
			}
			promoted++
		}
		if k, _ := q.bydue.Cursor().First(); len(k) >= 8 {
			next = time.Unix(0, int64(binary.BigEndian.Uint64(k[:8])))
		}
		return nil
	})
	if err != nil {
		return 0, time.Time{}, b.errorf("promote due jobs of queue %s: %w", queue, err)
	}
	if promoted > 0 {
		b.wake(queue)
	}
	return promoted, next, nil
}

// Claim reclaims an idle entry or takes a ready one in one transaction;
// if there is none, it waits for Promote to add one, up to o.Block, and
// tries again.
func (b *Bolt) Claim(ctx context.Context, queue, consumer string, o ClaimOptions) (*Delivery, error) {
	o, err := claimDefaults(queue, consumer, o)
	if err != nil {
		return nil, b.errorf("claim: %w", err)
	}
	deadline := time.Now().Add(o.Block)
	for {
		if err := ctx.Err(); err != nil {
			return nil, b.errorf("claim from queue %s: %w", queue, err)
		}
		wake := b.wakeup(queue)
		d, err := b.claimOnce(queue, consumer, o)
		if err != nil || d != nil {
			return d, err
		}
		wait := time.Until(deadline)
		if wait <= 0 {
			return nil, nil
		}
		t := time.NewTimer(wait)
		select {
		case <-wake:
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
	}
}

func (b *Bolt) claimOnce(queue, consumer string, o ClaimOptions) (*Delivery, error) {
	var d *Delivery
	err := b.db.Update(func(tx *bolt.Tx) error {
		d = nil
		q, err := queueBuckets(tx, queue, true)
		if err != nil {
			return err
		}
		now := time.Now()
		if err := q.seen(consumer, now); err != nil {
			return err
		}
		var dead [][]byte
		var pick, ready []byte
		c := q.stream.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			var e boltEntry
			if json.Unmarshal(v, &e) != nil {
				continue
			}
			if e.Consumer == "" {
				if ready == nil {
					ready = bytes.Clone(k)
				}
				continue
			}
			if now.Sub(time.Unix(0, e.Last)) < o.ReclaimAfter {
				continue
			}
			if e.Deliveries+1 > o.MaxDeliveries {
				dead = append(dead, bytes.Clone(k))
				continue
			}
			pick = bytes.Clone(k)
			break
		}
		for _, id := range dead {
			e, _ := q.entry(id)
			if err := q.deadLetter(id, e, now); err != nil {
				return err
			}
		}
		if pick == nil {
			pick = ready
		}
		if pick == nil {
			return nil
		}
		e, _ := q.entry(pick)
		e.Consumer, e.Deliveries, e.Last = consumer, e.Deliveries+1, now.UnixNano()
		if err := q.putEntry(pick, e); err != nil {
			return err
		}
		d = &Delivery{Queue: queue, Job: e.Job, ID: strconv.FormatUint(binary.BigEndian.Uint64(pick), 10),
			Consumer: consumer, Deliveries: e.Deliveries}
		return nil
	})
	if err != nil {
		return nil, b.errorf("claim from queue %s: %w", queue, err)
	}
	return d, nil
}

// deadLetter moves an entry out of the stream into the dead letters.
func (q *boltQ) deadLetter(id []byte, e boltEntry, now time.Time) error {
	if err := q.stream.Delete(id); err != nil {
		return err
	}
	if err := q.jobs.Put([]byte(e.Job), boltDeadMark); err != nil {
		return err
	}
	seq, _ := strconv.ParseUint(string(q.root.Get(boltQSeq)), 10, 64)
	seq++
	if err := q.root.Put(boltQSeq, []byte(strconv.FormatUint(seq, 10))); err != nil {
		return err
	}
	l, err := json.Marshal(DeadLetter{ID: strconv.FormatUint(seq, 10), Job: e.Job, Deliveries: e.Deliveries, At: now.UTC()})
	if err != nil {
		return err
	}
	if err := q.dead.Put(u64(seq), l); err != nil {
		return err
	}
	for q.dead.Stats().KeyN > queueDeadKeep {
		k, _ := q.dead.Cursor().First()
		if k == nil {
			break
		}
		if err := q.dead.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// Touch resets the entry's idle time if the delivery is still the
// consumer's.
func (b *Bolt) Touch(ctx context.Context, d Delivery) error {
	if err := checkQueue(d.Queue, d.Job); err != nil {
		return b.errorf("touch: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return b.errorf("touch job %q of queue %s: %w", d.Job, d.Queue, err)
	}
	err := b.db.Update(func(tx *bolt.Tx) error {
		q, err := queueBuckets(tx, d.Queue, true)
		if err != nil {
			return err
		}
		id, e, ok := q.owned(d)
		if !ok {
			return ErrNotOwner
		}
		now := time.Now()
		e.Last = now.UnixNano()
		if err := q.putEntry(id, e); err != nil {
			return err
		}
		return q.seen(d.Consumer, now)
	})
	if err != nil {
		return b.errorf("touch job %q of queue %s (entry %s, delivery %d to %s): %w", d.Job, d.Queue, d.ID, d.Deliveries, d.Consumer, err)
	}
	return nil
}

// Done removes the entry and schedules the job's next run in one
// transaction.
func (b *Bolt) Done(ctx context.Context, d Delivery, next time.Time) error {
	if err := checkQueue(d.Queue, d.Job); err != nil {
		return b.errorf("done: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return b.errorf("finish job %q of queue %s: %w", d.Job, d.Queue, err)
	}
	err := b.db.Update(func(tx *bolt.Tx) error {
		q, err := queueBuckets(tx, d.Queue, true)
		if err != nil {
			return err
		}
		id, _, ok := q.owned(d)
		if !ok {
			return ErrNotOwner
		}
		if err := q.stream.Delete(id); err != nil {
			return err
		}
		if bytes.Equal(q.jobs.Get([]byte(d.Job)), id) {
			if err := q.jobs.Delete([]byte(d.Job)); err != nil {
				return err
			}
		}
		if err := q.seen(d.Consumer, time.Now()); err != nil {
			return err
		}
		if next.IsZero() {
			return nil
		}
		return q.schedule(d.Job, next)
	})
	if err != nil {
		return b.errorf("finish job %q of queue %s (entry %s, delivery %d to %s): %w", d.Job, d.Queue, d.ID, d.Deliveries, d.Consumer, err)
	}
	return nil
}

// Stats reads the queue in one read transaction.
func (b *Bolt) Stats(ctx context.Context, queue string, now time.Time) (QueueStats, error) {
	if err := checkBucket(queue); err != nil {
		return QueueStats{}, b.errorf("queue stats: queue: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return QueueStats{}, b.errorf("stats of queue %s: %w", queue, err)
	}
	var s QueueStats
	err := b.db.View(func(tx *bolt.Tx) error {
		s = QueueStats{}
		q, err := queueBuckets(tx, queue, false)
		if errors.Is(err, errBoltQueueEmpty) {
			return nil
		}
		if err != nil {
			return err
		}
		wall := time.Now()
		limit := nsKey(now)
		err = q.bydue.ForEach(func(k, _ []byte) error {
			s.Scheduled++
			if len(k) >= 8 && bytes.Compare(k[:8], limit) <= 0 {
				s.Overdue++
			}
			return nil
		})
		if err != nil {
			return err
		}
		err = q.stream.ForEach(func(k, v []byte) error {
			var e boltEntry
			if json.Unmarshal(v, &e) != nil {
				return nil
			}
			if e.Consumer == "" {
				s.Ready++
				return nil
			}
			s.Pending++
			if len(s.OldestPending) < queueStatsList {
				s.OldestPending = append(s.OldestPending, PendingEntry{
					ID: strconv.FormatUint(binary.BigEndian.Uint64(k), 10), Job: e.Job, Consumer: e.Consumer,
					Idle: max(0, wall.Sub(time.Unix(0, e.Last))), Age: max(0, wall.Sub(time.Unix(0, e.Added))),
					Deliveries: e.Deliveries,
				})
			}
			return nil
		})
		if err != nil {
			return err
		}
		err = q.consumer.ForEach(func(k, v []byte) error {
			if len(v) != 8 {
				return nil
			}
			seen := time.Unix(0, int64(binary.BigEndian.Uint64(v)))
			if wall.Sub(seen) <= queueConsumerForget {
				s.Consumers = append(s.Consumers, Consumer{Name: string(k), LastSeen: seen})
			}
			return nil
		})
		if err != nil {
			return err
		}
		slices.SortFunc(s.Consumers, func(a, b Consumer) int { return b.LastSeen.Compare(a.LastSeen) })
		err = q.jobs.ForEach(func(_, v []byte) error {
			if bytes.Equal(v, boltDeadMark) {
				s.Dead++
			}
			return nil
		})
		if err != nil {
			return err
		}
		c := q.dead.Cursor()
		for k, v := c.Last(); k != nil && len(s.DeadLetters) < queueStatsList; k, v = c.Prev() {
			var l DeadLetter
			if json.Unmarshal(v, &l) == nil {
				s.DeadLetters = append(s.DeadLetters, l)
			}
		}
		return nil
	})
	if err != nil {
		return QueueStats{}, b.errorf("stats of queue %s: %w", queue, err)
	}
	return s, nil
}
