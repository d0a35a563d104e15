package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/store"
)

// The queue part of the conformance suite. Timeouts are generous: the
// only timed claims are "not reclaimed before ReclaimAfter while touched"
// and "reclaimed once idle past it", each with seconds of slack.

// queueTests are run by Run.
var queueTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"QueueScheduleModes", testQueueScheduleModes},
	{"QueuePromoteOnceUnderRacingPromoters", testQueuePromoteOnce},
	{"QueueClaimAndDone", testQueueClaimDone},
	{"QueueClaimWaitsForPromote", testQueueClaimWaits},
	{"QueueReclaimFromDeadConsumer", testQueueReclaim},
	{"QueueTouchPreventsReclaim", testQueueTouch},
	{"QueueDoneReschedulesAtomically", testQueueDoneAtomic},
	{"QueueDeadLetter", testQueueDeadLetter},
	{"QueueStats", testQueueStats},
	{"QueueContextCanceled", testQueueCanceled},
}

// past is a due time every test's now is after.
var past = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// claimOpts is a policy with a reclaim timeout no test reaches unless it
// waits for it.
var claimOpts = store.ClaimOptions{ReclaimAfter: time.Minute}

// schedule schedules jobs due at due, failing the test on error.
func schedule(t *testing.T, s store.Store, q string, due time.Time, jobs ...string) {
	t.Helper()
	for _, j := range jobs {
		if ok, err := s.Schedule(ctxT(t), q, j, due, store.ScheduleIfAbsent); err != nil || !ok {
			t.Fatalf("Schedule(%s, %s) = %v, %v; want true", q, j, ok, err)
		}
	}
}

// promote promotes every due job, failing the test on error.
func promote(t *testing.T, s store.Store, q string, now time.Time) int {
	t.Helper()
	n, _, err := s.Promote(ctxT(t), q, now, 1000)
	if err != nil {
		t.Fatalf("Promote(%s): %v", q, err)
	}
	return n
}

// claim claims with o, failing the test on error.
func claim(t *testing.T, s store.Store, q, consumer string, o store.ClaimOptions) *store.Delivery {
	t.Helper()
	d, err := s.Claim(ctxT(t), q, consumer, o)
	if err != nil {
		t.Fatalf("Claim(%s, %s): %v", q, consumer, err)
	}
	return d
}

func stats(t *testing.T, s store.Store, q string, now time.Time) store.QueueStats {
	t.Helper()
	st, err := s.Stats(ctxT(t), q, now)
	if err != nil {
		t.Fatalf("Stats(%s): %v", q, err)
	}
	return st
}

func testQueueScheduleModes(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	now := time.Now()
	t1, t2 := now.Add(time.Hour), now.Add(2*time.Hour)
	schedule(t, s, "q", t1, "a")
	if ok, err := s.Schedule(ctx, "q", "a", now, store.ScheduleIfAbsent); err != nil || ok {
		t.Errorf("second ScheduleIfAbsent = %v, %v; want false", ok, err)
	}
	if _, next, err := s.Promote(ctx, "q", now, 10); err != nil || next.Sub(t1).Abs() > time.Millisecond {
		t.Errorf("earliest due after a second ScheduleIfAbsent = %v, %v; want %v (unchanged)", next, err, t1)
	}
	if ok, err := s.Schedule(ctx, "q", "a", t2, store.ScheduleReplace); err != nil || !ok {
		t.Errorf("ScheduleReplace = %v, %v; want true", ok, err)
	}
	n, next, err := s.Promote(ctx, "q", t1.Add(time.Minute), 10)
	if err != nil || n != 0 || next.Sub(t2).Abs() > time.Millisecond {
		t.Errorf("Promote at t1 after moving a to t2 = %d, %v, %v; want 0, %v", n, next, err, t2)
	}
	if n := promote(t, s, "q", t2); n != 1 {
		t.Fatalf("Promote at t2 = %d, want 1", n)
	}
	// In the stream, the job is left alone by both modes.
	for _, m := range []store.ScheduleMode{store.ScheduleIfAbsent, store.ScheduleReplace} {
		if ok, err := s.Schedule(ctx, "q", "a", now, m); err != nil || ok {
			t.Errorf("Schedule mode %d of a job in the stream = %v, %v; want false", m, ok, err)
		}
	}
	if st := stats(t, s, "q", t2); st.Scheduled != 0 || st.Ready != 1 {
		t.Errorf("after Schedule of a ready job: scheduled %d ready %d, want 0 and 1", st.Scheduled, st.Ready)
	}
	// Queues are independent, and names are checked.
	schedule(t, s, "other", past, "a")
	if _, err := s.Schedule(ctx, "bad{name}", "a", now, store.ScheduleIfAbsent); err == nil {
		t.Error("Schedule in a queue named bad{name} succeeded")
	}
	if _, err := s.Schedule(ctx, "q", "", now, store.ScheduleIfAbsent); err == nil {
		t.Error("Schedule of an empty job name succeeded")
	}
}

func testQueuePromoteOnce(t *testing.T, s store.Store) {
	const jobs, promoters = 60, 8
	for i := range jobs {
		schedule(t, s, "q", past.Add(time.Duration(i)*time.Second), fmt.Sprintf("job-%02d", i))
	}
	now := time.Now()
	var total atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range promoters {
		wg.Go(func() {
			<-start
			for range 20 {
				n, _, err := s.Promote(ctxT(t), "q", now, 7)
				if err != nil {
					t.Errorf("Promote: %v", err)
					return
				}
				total.Add(int64(n))
			}
		})
	}
	close(start)
	wg.Wait()
	if n := total.Load(); n != jobs {
		t.Fatalf("racing promoters promoted %d jobs in all, want %d", n, jobs)
	}
	st := stats(t, s, "q", now)
	if st.Scheduled != 0 || st.Ready != jobs || st.Pending != 0 {
		t.Errorf("after promoting: scheduled %d ready %d pending %d; want 0, %d, 0", st.Scheduled, st.Ready, st.Pending, jobs)
	}
	// Racing consumers get every job once.
	var mu sync.Mutex
	got := map[string]int{}
	var cwg sync.WaitGroup
	for c := range 4 {
		cwg.Go(func() {
			for {
				d, err := s.Claim(ctxT(t), "q", fmt.Sprintf("c%d", c), claimOpts)
				if err != nil {
					t.Errorf("Claim: %v", err)
					return
				}
				if d == nil {
					return
				}
				mu.Lock()
				got[d.Job]++
				mu.Unlock()
			}
		})
	}
	cwg.Wait()
	if len(got) != jobs {
		t.Errorf("consumers got %d distinct jobs, want %d", len(got), jobs)
	}
	for j, n := range got {
		if n != 1 {
			t.Errorf("job %s delivered %d times, want 1", j, n)
		}
	}
}

func testQueueClaimDone(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	now := time.Now()
	if d := claim(t, s, "q", "a", claimOpts); d != nil {
		t.Fatalf("Claim of an empty queue = %+v, want nil", d)
	}
	schedule(t, s, "q", now.Add(-time.Second), "x")
	schedule(t, s, "q", now.Add(time.Hour), "y")
	if d := claim(t, s, "q", "a", claimOpts); d != nil {
		t.Fatalf("Claim before Promote = %+v, want nil", d)
	}
	if n := promote(t, s, "q", now); n != 1 {
		t.Fatalf("Promote = %d, want 1 (y is not due)", n)
	}
	d := claim(t, s, "q", "a", claimOpts)
	if d == nil || d.Job != "x" || d.Deliveries != 1 || d.Consumer != "a" || d.Queue != "q" || d.ID == "" {
		t.Fatalf("Claim = %+v, want job x, first delivery to a", d)
	}
	if d2 := claim(t, s, "q", "b", claimOpts); d2 != nil {
		t.Fatalf("second Claim while x is pending = %+v, want nil", d2)
	}
	if err := s.Touch(ctx, *d); err != nil {
		t.Errorf("Touch: %v", err)
	}
	next := now.Add(30 * time.Minute)
	if err := s.Done(ctx, *d, next); err != nil {
		t.Fatalf("Done: %v", err)
	}
	if err := s.Done(ctx, *d, next); !errors.Is(err, store.ErrNotOwner) {
		t.Errorf("second Done = %v, want ErrNotOwner", err)
	}
	if err := s.Touch(ctx, *d); !errors.Is(err, store.ErrNotOwner) {
		t.Errorf("Touch after Done = %v, want ErrNotOwner", err)
	}
	st := stats(t, s, "q", now)
	if st.Scheduled != 2 || st.Ready != 0 || st.Pending != 0 || st.Overdue != 0 {
		t.Errorf("after Done: %+v; want 2 scheduled, nothing ready, pending or overdue", st)
	}
	if n, nextDue, _ := s.Promote(ctx, "q", now.Add(time.Minute), 10); n != 0 || nextDue.Sub(next).Abs() > time.Millisecond {
		t.Errorf("Promote before x's next run = %d, %v; want 0, %v", n, nextDue, next)
	}
	if n := promote(t, s, "q", next); n != 1 {
		t.Errorf("Promote at x's next run = %d, want 1", n)
	}
	d = claim(t, s, "q", "b", claimOpts)
	if d == nil || d.Job != "x" || d.Deliveries != 1 {
		t.Fatalf("Claim of x's next run = %+v, want x, first delivery", d)
	}
	// Done with a zero time drops the job.
	if err := s.Done(ctx, *d, time.Time{}); err != nil {
		t.Fatalf("Done (drop): %v", err)
	}
	if st := stats(t, s, "q", now.Add(100*time.Hour)); st.Scheduled != 1 || st.Ready+st.Pending != 0 {
		t.Errorf("after dropping x: %+v; want only y scheduled", st)
	}
	if ok, err := s.Schedule(ctx, "q", "x", now, store.ScheduleIfAbsent); err != nil || !ok {
		t.Errorf("ScheduleIfAbsent of the dropped x = %v, %v; want true", ok, err)
	}
}

func testQueueClaimWaits(t *testing.T, s store.Store) {
	schedule(t, s, "q", past, "x")
	got := make(chan *store.Delivery, 1)
	go func() {
		d, err := s.Claim(ctxT(t), "q", "a", store.ClaimOptions{ReclaimAfter: time.Minute, Block: 20 * time.Second})
		if err != nil {
			t.Errorf("blocking Claim: %v", err)
		}
		got <- d
	}()
	time.Sleep(200 * time.Millisecond)
	promote(t, s, "q", time.Now())
	select {
	case d := <-got:
		if d == nil || d.Job != "x" {
			t.Errorf("blocking Claim = %+v, want x", d)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("a Claim waiting 20s for a job was not woken by Promote within 15s")
	}
}

func testQueueReclaim(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	const reclaim = 500 * time.Millisecond
	o := store.ClaimOptions{ReclaimAfter: reclaim}
	schedule(t, s, "q", past, "x", "y")
	promote(t, s, "q", time.Now())
	claimed := time.Now() // at or before the delivery
	dead := claim(t, s, "q", "dead", o)
	if dead == nil {
		t.Fatal("no delivery")
	}
	// The live consumer gets the other job, then nothing while the dead
	// consumer's delivery is younger than the reclaim timeout.
	other := claim(t, s, "q", "live", o)
	if other == nil || other.Job == dead.Job {
		t.Fatalf("second Claim = %+v, want the other job than %s", other, dead.Job)
	}
	// Redis measures idle time in whole milliseconds: allow for rounding.
	const slack = 5 * time.Millisecond
	if d := claim(t, s, "q", "live", o); d != nil && time.Since(claimed) < reclaim-slack {
		t.Fatalf("Claim right after the delivery took it over: %+v", d)
	}
	var d *store.Delivery
	eventually(t, "the dead consumer's delivery reclaimed", func() bool {
		d = claim(t, s, "q", "live", o)
		return d != nil
	})
	if idle := time.Since(claimed); idle < reclaim-slack {
		t.Errorf("reclaimed after %v, before the reclaim timeout %v", idle, reclaim)
	}
	if d.Job != dead.Job || d.ID != dead.ID || d.Deliveries != 2 || d.Consumer != "live" {
		t.Fatalf("reclaimed %+v, want %s's entry, second delivery, to live", d, dead.Job)
	}
	// The dead consumer, back, has lost it.
	if err := s.Touch(ctx, *dead); !errors.Is(err, store.ErrNotOwner) {
		t.Errorf("Touch by the old consumer = %v, want ErrNotOwner", err)
	}
	if err := s.Done(ctx, *dead, time.Now()); !errors.Is(err, store.ErrNotOwner) {
		t.Errorf("Done by the old consumer = %v, want ErrNotOwner", err)
	}
	if st := stats(t, s, "q", time.Now()); st.Scheduled != 0 || st.Pending != 2 {
		t.Errorf("after the old consumer's refused Done: %+v; want 2 pending, none scheduled", st)
	}
	// The same consumer reclaiming its own entry makes its earlier
	// delivery stale too.
	if err := s.Done(ctx, *other, time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("Done: %v", err)
	}
	if err := s.Done(ctx, *d, time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("Done of the reclaimed delivery: %v", err)
	}
	if st := stats(t, s, "q", time.Now()); st.Scheduled != 2 || st.Pending != 0 || st.Ready != 0 {
		t.Errorf("after both Done: %+v; want 2 scheduled", st)
	}
}

func testQueueTouch(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	const reclaim = 1500 * time.Millisecond
	o := store.ClaimOptions{ReclaimAfter: reclaim}
	schedule(t, s, "q", past, "x")
	promote(t, s, "q", time.Now())
	d := claim(t, s, "q", "worker", o)
	if d == nil {
		t.Fatal("no delivery")
	}
	// Touched every 100 ms for twice the reclaim timeout, it is never
	// reclaimed.
	end := time.Now().Add(2 * reclaim)
	for time.Now().Before(end) {
		if err := s.Touch(ctx, *d); err != nil {
			t.Fatalf("Touch: %v", err)
		}
		if other := claim(t, s, "q", "thief", o); other != nil {
			t.Fatalf("a delivery touched every 100ms was reclaimed after %v: %+v", time.Since(end.Add(-2*reclaim)), other)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Left alone, it is.
	var other *store.Delivery
	eventually(t, "reclaim once touches stop", func() bool {
		other = claim(t, s, "q", "thief", o)
		return other != nil
	})
	if other.Job != "x" || other.Deliveries != 2 {
		t.Errorf("reclaimed %+v, want x's second delivery", other)
	}
	// Touch did not count as a delivery; its own stale Touch now fails.
	if err := s.Touch(ctx, *d); !errors.Is(err, store.ErrNotOwner) {
		t.Errorf("Touch after the reclaim = %v, want ErrNotOwner", err)
	}
}

func testQueueDoneAtomic(t *testing.T, s store.Store) {
	// Several workers cycle one job through promote, claim and done while
	// snapshots are taken: the job is always in exactly one place, and
	// never held by two workers at once.
	schedule(t, s, "q", past, "x")
	ctx, cancel := context.WithTimeout(ctxT(t), 3*time.Second)
	defer cancel()
	var holders, maxHolders, rounds atomic.Int64
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			name := fmt.Sprintf("w%d", w)
			for ctx.Err() == nil {
				if _, _, err := s.Promote(ctx, "q", time.Now(), 10); err != nil {
					if ctx.Err() == nil {
						t.Errorf("Promote: %v", err)
					}
					return
				}
				d, err := s.Claim(ctx, "q", name, claimOpts)
				if err != nil {
					if ctx.Err() == nil {
						t.Errorf("Claim: %v", err)
					}
					return
				}
				if d == nil {
					continue
				}
				if h := holders.Add(1); h > maxHolders.Load() {
					maxHolders.Store(h)
				}
				time.Sleep(time.Millisecond) // working on it
				holders.Add(-1)
				if err := s.Done(context.WithoutCancel(ctx), *d, time.Now()); err != nil {
					t.Errorf("Done: %v", err)
					return
				}
				rounds.Add(1)
			}
		})
	}
	snapshots := 0
	for ctx.Err() == nil {
		st, err := s.Stats(ctx, "q", time.Now())
		if err != nil {
			if ctx.Err() == nil {
				t.Errorf("Stats: %v", err)
			}
			break
		}
		snapshots++
		if n := st.Scheduled + st.Ready + st.Pending; n != 1 {
			t.Errorf("snapshot %d: the job is in %d places (scheduled %d ready %d pending %d), want 1", snapshots, n, st.Scheduled, st.Ready, st.Pending)
			break
		}
	}
	wg.Wait()
	if maxHolders.Load() > 1 {
		t.Errorf("the job was held by %d workers at once", maxHolders.Load())
	}
	if rounds.Load() < 10 {
		t.Errorf("only %d rounds in 3s", rounds.Load())
	}
	t.Logf("%d rounds, %d snapshots", rounds.Load(), snapshots)
}

func testQueueDeadLetter(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	o := store.ClaimOptions{ReclaimAfter: 200 * time.Millisecond, MaxDeliveries: 2}
	schedule(t, s, "q", past, "poison")
	schedule(t, s, "q", past.Add(time.Second), "fine")
	promote(t, s, "q", time.Now())
	// Two consumers die on poison in turn; fine is done by a third.
	first := claim(t, s, "q", "c1", o)
	if first == nil || first.Job != "poison" {
		t.Fatalf("first Claim = %+v, want poison (due first)", first)
	}
	fine := claim(t, s, "q", "c3", o)
	if fine == nil || fine.Job != "fine" {
		t.Fatalf("Claim = %+v, want fine", fine)
	}
	if err := s.Done(ctx, *fine, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	var second *store.Delivery
	eventually(t, "poison reclaimed", func() bool {
		second = claim(t, s, "q", "c2", o)
		return second != nil
	})
	if second.Job != "poison" || second.Deliveries != 2 {
		t.Fatalf("reclaimed %+v, want poison's second delivery", second)
	}
	time.Sleep(2 * o.ReclaimAfter)
	if d := claim(t, s, "q", "c3", o); d != nil {
		t.Fatalf("a third delivery of an entry allowed 2: %+v", d)
	}
	st := stats(t, s, "q", time.Now())
	if st.Dead != 1 || len(st.DeadLetters) != 1 || st.DeadLetters[0].Job != "poison" || st.DeadLetters[0].Deliveries != 2 {
		t.Fatalf("stats after dead-lettering: dead %d, letters %+v; want poison after 2 deliveries", st.Dead, st.DeadLetters)
	}
	if st.Pending != 0 || st.Ready != 0 || st.Scheduled != 1 {
		t.Errorf("stats after dead-lettering: %+v; want only fine scheduled", st)
	}
	if at := st.DeadLetters[0].At; at.IsZero() || time.Since(at).Abs() > time.Minute {
		t.Errorf("dead letter time %v, want about now", at)
	}
	if err := s.Done(ctx, *second, time.Now()); !errors.Is(err, store.ErrNotOwner) {
		t.Errorf("Done of a dead-lettered delivery = %v, want ErrNotOwner", err)
	}
	// It stays out of the schedule until revived.
	if ok, err := s.Schedule(ctx, "q", "poison", time.Now(), store.ScheduleIfAbsent); err != nil || ok {
		t.Errorf("ScheduleIfAbsent of a dead job = %v, %v; want false", ok, err)
	}
	if ok, err := s.Schedule(ctx, "q", "poison", past, store.ScheduleReplace); err != nil || !ok {
		t.Errorf("ScheduleReplace of a dead job = %v, %v; want true (revived)", ok, err)
	}
	st = stats(t, s, "q", time.Now())
	if st.Dead != 0 || len(st.DeadLetters) != 1 || st.Scheduled != 2 {
		t.Errorf("after reviving: dead %d, %d letters, %d scheduled; want 0, 1 (history), 2", st.Dead, len(st.DeadLetters), st.Scheduled)
	}
	promote(t, s, "q", time.Now())
	if d := claim(t, s, "q", "c4", o); d == nil || d.Job != "poison" || d.Deliveries != 1 {
		t.Errorf("Claim after reviving = %+v, want poison, first delivery", d)
	}
}

func testQueueStats(t *testing.T, s store.Store) {
	now := time.Now()
	if st := stats(t, s, "empty", now); st.Scheduled+st.Ready+st.Pending+st.Dead != 0 || len(st.Consumers) != 0 {
		t.Errorf("stats of a queue never used: %+v", st)
	}
	schedule(t, s, "q", now.Add(-time.Hour), "a", "b", "c")
	schedule(t, s, "q", now.Add(time.Hour), "later")
	promote(t, s, "q", now.Add(-30*time.Minute)) // a, b, c
	schedule(t, s, "q", now.Add(-time.Minute), "overdue")
	da := claim(t, s, "q", "c1", claimOpts)
	time.Sleep(20 * time.Millisecond)
	db := claim(t, s, "q", "c2", claimOpts)
	if da == nil || db == nil {
		t.Fatal("no delivery")
	}
	st := stats(t, s, "q", now)
	if st.Scheduled != 2 || st.Overdue != 1 || st.Ready != 1 || st.Pending != 2 {
		t.Errorf("stats: scheduled %d overdue %d ready %d pending %d; want 2 1 1 2", st.Scheduled, st.Overdue, st.Ready, st.Pending)
	}
	if len(st.OldestPending) != 2 {
		t.Fatalf("pending entries %+v, want 2", st.OldestPending)
	}
	p := st.OldestPending[0]
	if p.Job != da.Job || p.Consumer != "c1" || p.ID != da.ID || p.Deliveries != 1 || p.Idle < 0 || p.Idle > time.Minute || p.Age < p.Idle-50*time.Millisecond {
		t.Errorf("oldest pending %+v, want %s held by c1, idle and age about now", p, da.Job)
	}
	if st.OldestPending[1].Job != db.Job || st.OldestPending[1].Consumer != "c2" {
		t.Errorf("second pending %+v, want %s held by c2", st.OldestPending[1], db.Job)
	}
	names := []string{}
	for _, c := range st.Consumers {
		names = append(names, c.Name)
		if c.LastSeen.IsZero() || time.Since(c.LastSeen).Abs() > time.Minute {
			t.Errorf("consumer %s last seen %v, want about now", c.Name, c.LastSeen)
		}
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"c1", "c2"}) {
		t.Errorf("consumers %q, want c1 and c2", names)
	}
	if st.Dead != 0 || len(st.DeadLetters) != 0 {
		t.Errorf("dead letters %d %+v, want none", st.Dead, st.DeadLetters)
	}
}

func testQueueCanceled(t *testing.T, s store.Store) {
	schedule(t, s, "q", past, "x")
	promote(t, s, "q", time.Now())
	d := claim(t, s, "q", "a", claimOpts)
	if d == nil {
		t.Fatal("no delivery")
	}
	ctx, cancel := context.WithCancel(ctxT(t))
	cancel()
	check := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a canceled context: %v, want context.Canceled", op, err)
		}
	}
	_, err := s.Schedule(ctx, "q", "y", past, store.ScheduleIfAbsent)
	check("Schedule", err)
	_, _, err = s.Promote(ctx, "q", time.Now(), 10)
	check("Promote", err)
	_, err = s.Claim(ctx, "q", "b", claimOpts)
	check("Claim", err)
	check("Touch", s.Touch(ctx, *d))
	check("Done", s.Done(ctx, *d, time.Now()))
	_, err = s.Stats(ctx, "q", time.Now())
	check("Stats", err)
	if st := stats(t, s, "q", time.Now()); st.Scheduled != 0 || st.Pending != 1 {
		t.Errorf("after canceled calls: %+v; want x still pending, y not scheduled", st)
	}
}
