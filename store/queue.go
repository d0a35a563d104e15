package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrNotOwner is wrapped by Touch and Done when the delivery is no longer
// held by the consumer that received it: another consumer reclaimed it
// after it sat idle past the reclaim timeout, it was dead-lettered, or it
// was finished already. The caller must stop working on it: whoever holds
// it now will finish it.
var ErrNotOwner = errors.New("delivery is no longer held by this consumer")

// ScheduleMode says what Schedule does with a job that is already known.
type ScheduleMode int

const (
	// ScheduleIfAbsent adds the job only if it is nowhere in the queue:
	// not scheduled, not ready or pending in the stream, not dead-lettered
	// (ZADD NX, plus those checks). Every worker can call it at start for
	// every job it knows; the job is added once.
	ScheduleIfAbsent ScheduleMode = iota
	// ScheduleReplace sets the due time of a scheduled job, adds a job
	// that is absent, and revives a dead-lettered one (its dead letter
	// stays in the history). A job that is ready or pending in the stream
	// is left alone: whoever finishes it sets its next due time.
	ScheduleReplace
)

// ClaimOptions are a consumer's policy for Claim.
type ClaimOptions struct {
	// ReclaimAfter is how long a delivery may sit idle (neither touched
	// nor finished) before another consumer may take it over. It must be
	// positive. Too short, and a live consumer whose Touch is late loses
	// its job to another; too long, and a dead consumer's job waits that
	// long.
	ReclaimAfter time.Duration
	// Block is how long Claim waits for a job when none is ready (0: it
	// returns at once). A job that becomes reclaimable while Claim waits
	// is noticed by the next Claim, so keep Block well under ReclaimAfter.
	Block time.Duration
	// MaxDeliveries is how many times one entry may be delivered; the
	// delivery after that moves it to the dead letters instead (default
	// DefaultMaxDeliveries).
	MaxDeliveries int
}

// DefaultMaxDeliveries is ClaimOptions.MaxDeliveries's default.
const DefaultMaxDeliveries = 5

// Delivery is one job handed to one consumer. It is a value: pass it back
// to Touch and Done as received.
type Delivery struct {
	// Queue and Job name the job; ID is its entry in the stream.
	Queue, Job, ID string
	// Consumer is who received it; Deliveries counts its deliveries,
	// this one included (1 the first time, more after reclaims).
	Consumer   string
	Deliveries int
}

// PendingEntry is a delivered job that is not done yet.
type PendingEntry struct {
	ID, Job, Consumer string
	// Idle is how long since it was delivered or last touched.
	Idle time.Duration
	// Age is how long since it entered the stream (was promoted).
	Age        time.Duration
	Deliveries int
}

// Consumer is a consumer the queue has heard from.
type Consumer struct {
	Name string
	// LastSeen is the last time it called Claim or Touch (the store's
	// clock on Redis, the process's on bbolt).
	LastSeen time.Time
}

// DeadLetter is a job moved out of the queue after too many deliveries.
type DeadLetter struct {
	ID, Job string
	// Deliveries is how many times it had been delivered.
	Deliveries int
	// At is when it was dead-lettered.
	At time.Time
}

// QueueStats describes one queue at one moment.
type QueueStats struct {
	// Scheduled counts the jobs waiting in the schedule; Overdue those of
	// them whose due time is at or before the now given to Stats (due but
	// not promoted yet: no promoter runs, or it lags).
	Scheduled, Overdue int64
	// Ready counts the entries in the stream not delivered yet; Pending
	// those delivered and not done. Ready+Pending is the queue's depth.
	Ready, Pending int64
	// OldestPending lists pending entries, oldest first (at most 100).
	OldestPending []PendingEntry
	// Consumers lists the consumers heard from in the last day, most
	// recently seen first.
	Consumers []Consumer
	// Dead counts the jobs dead-lettered and not revived; DeadLetters
	// lists the most recent dead letters (at most 100), newest first.
	Dead        int64
	DeadLetters []DeadLetter
}

// Queue is the work queue: jobs (short names, such as a source's) wait in a
// schedule ordered by due time; Promote moves the due ones into a stream,
// from which consumers Claim them one at a time, keep them with Touch while
// working, and finish them with Done, which schedules their next run.
//
// Guarantees every implementation gives:
//
//   - A job is in at most one place at a time: the schedule, the stream
//     (ready or pending), or the dead letters. Schedule, Promote, Claim,
//     Done and dead-lettering each move it atomically, so however many
//     workers promote and claim at once, one due job becomes one stream
//     entry and is delivered to one consumer at a time.
//   - A pending entry whose consumer neither touched nor finished it for
//     ReclaimAfter is delivered again by a later Claim (of any consumer,
//     the same included), before any ready entry; its Deliveries grows by
//     one. An entry about to be delivered more than MaxDeliveries times is
//     dead-lettered instead: it leaves the stream, is listed in Stats, and
//     stays out of the schedule until Schedule with ScheduleReplace.
//   - Touch and Done succeed only for the current delivery (same entry,
//     consumer and delivery count); otherwise they change nothing and
//     return an error wrapping ErrNotOwner.
//   - Done removes the entry and schedules the job's next run in one
//     atomic step: a crash leaves the job either pending (and reclaimed
//     later) or scheduled, never lost and never twice.
//   - Everything is durable as the store is: pending entries survive a
//     restart of the process (bbolt) or of Redis (with AOF), and are
//     reclaimed after ReclaimAfter.
//
// Queue names follow the rules of KV bucket names; job names are
// non-empty strings of at most 4096 bytes.
type Queue interface {
	// Schedule adds a job to the schedule, due at due, as mode says, and
	// reports whether it changed the schedule.
	Schedule(ctx context.Context, queue, job string, due time.Time, mode ScheduleMode) (bool, error)
	// Promote moves up to max jobs due at or before now from the schedule
	// into the stream, oldest due first, and returns how many it moved
	// and the due time of the earliest job left (zero if none).
	Promote(ctx context.Context, queue string, now time.Time, max int) (promoted int, next time.Time, err error)
	// Claim delivers one job to consumer: a reclaimable pending entry
	// first, else a ready one, waiting up to o.Block for one. It returns
	// nil, nil when there is none. It also records that consumer is alive.
	Claim(ctx context.Context, queue, consumer string, o ClaimOptions) (*Delivery, error)
	// Touch resets the delivery's idle time, so that it is not reclaimed
	// while its consumer works on it, and records the consumer as alive.
	Touch(ctx context.Context, d Delivery) error
	// Done finishes the delivery: the entry leaves the stream and the job
	// is scheduled due at next, atomically. A zero next drops the job
	// from the queue instead (it is no longer wanted).
	Done(ctx context.Context, d Delivery, next time.Time) error
	// Stats describes the queue; now decides which scheduled jobs are
	// overdue.
	Stats(ctx context.Context, queue string, now time.Time) (QueueStats, error)
}

// Limits of the queue.
const (
	// queueStatsList bounds the pending entries and dead letters Stats
	// lists.
	queueStatsList = 100
	// queueDeadKeep is how many dead letters are kept as history.
	queueDeadKeep = 1000
	// queueConsumerForget is how long a silent consumer is still listed.
	queueConsumerForget = 24 * time.Hour
)

// checkQueue validates the arguments the queue calls share.
func checkQueue(queue, job string) error {
	if err := checkBucket(queue); err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	if job == "" {
		return fmt.Errorf("queue %s: empty job name", queue)
	}
	if len(job) > maxKeyLen {
		return fmt.Errorf("queue %s: job name longer than %d bytes", queue, maxKeyLen)
	}
	return nil
}

// claimDefaults checks o and fills in its defaults.
func claimDefaults(queue, consumer string, o ClaimOptions) (ClaimOptions, error) {
	if err := checkBucket(queue); err != nil {
		return o, fmt.Errorf("queue: %w", err)
	}
	if consumer == "" || len(consumer) > 256 {
		return o, fmt.Errorf("queue %s: consumer name must be 1 to 256 bytes", queue)
	}
	if o.ReclaimAfter <= 0 {
		return o, fmt.Errorf("queue %s: reclaim timeout must be positive, not %s", queue, o.ReclaimAfter)
	}
	if o.Block < 0 {
		o.Block = 0
	}
	if o.MaxDeliveries <= 0 {
		o.MaxDeliveries = DefaultMaxDeliveries
	}
	return o, nil
}
