package crawler

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/crawler/fixtures"
	"github.com/leakwatch/leakwatch/store"
)

// flakyLeases is a store whose first lease acquisitions fail, as during a
// store outage.
type flakyLeases struct {
	*store.Bolt
	fail atomic.Int32
}

func (f *flakyLeases) PutIfAbsent(ctx context.Context, bucket, key string, value []byte, ttl time.Duration) (bool, error) {
	if bucket == bucketLease && f.fail.Add(-1) >= 0 {
		return false, errors.New("connection refused")
	}
	return f.Bolt.PutIfAbsent(ctx, bucket, key, value, ttl)
}

// TestRunRetriesALeasedOrUnreachableSourceWithinItsInterval: a process
// that finds a source leased by another (or cannot reach the store to
// take the lease) tries again after the source's interval, not after a
// fixed minute: otherwise a source visited every second is left alone for
// a minute by every process that once lost the race for it, so a fleet
// does not share sources (three processes were no faster than two) and a
// dead worker's sources wait a minute to be taken over.
func TestRunRetriesALeasedOrUnreachableSourceWithinItsInterval(t *testing.T) {
	for _, tc := range []string{"leased elsewhere", "store unreachable"} {
		t.Run(tc, func(t *testing.T) {
			site := fixtures.NewPasteSite()
			defer site.Close()
			st := &flakyLeases{Bolt: openState(t)}
			src := loopSource("pastes", KindPasteAPI, site.URL+"/api_scraping.php", func(s *SourceConfig) {
				s.Interval = Duration(time.Second)
				s.Jitter = Jitter{Fraction: 0.05}
			})
			c := newCrawler(t, st, &collector{}, src)
			ctx := context.Background()
			if tc == "leased elsewhere" {
				if ok, err := c.st.acquire(ctx, "pastes", "another-process", time.Minute); err != nil || !ok {
					t.Fatalf("acquire: %v %v", ok, err)
				}
			} else {
				st.fail.Store(1)
			}
			rctx, cancel := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- c.Run(rctx) }()
			defer func() { cancel(); <-done }()
			time.Sleep(300 * time.Millisecond) // Run tried once and failed
			if n := site.Hits().Total(); n != 0 {
				t.Fatalf("%d requests while the lease was not ours", n)
			}
			if tc == "leased elsewhere" {
				if err := c.st.release(ctx, "pastes", "another-process"); err != nil {
					t.Fatal(err)
				}
			}
			deadline := time.Now().Add(5 * time.Second)
			for site.Hits().Count("/api_scraping.php") == 0 {
				if time.Now().After(deadline) {
					t.Fatal("the source was not visited within 5s of being free (interval 1s)")
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

// flakySchedule is a store whose schedule reads fail once a lease was
// taken, as when an outage begins between the two.
type flakySchedule struct {
	*store.Bolt
	armed atomic.Bool
	fail  atomic.Int32
}

func (f *flakySchedule) PutIfAbsent(ctx context.Context, bucket, key string, value []byte, ttl time.Duration) (bool, error) {
	ok, err := f.Bolt.PutIfAbsent(ctx, bucket, key, value, ttl)
	if bucket == bucketLease && ok && err == nil {
		f.armed.Store(true)
	}
	return ok, err
}

func (f *flakySchedule) Get(ctx context.Context, bucket, key string) ([]byte, error) {
	if bucket == bucketSchedule && f.armed.Load() && f.fail.Add(-1) >= 0 {
		return nil, errors.New("connection refused")
	}
	return f.Bolt.Get(ctx, bucket, key)
}

// TestRunRetriesAfterAnUnreadableScheduleWithinItsInterval: a visit that
// took the lease but could not read the source's schedule (the store went
// away in between) is tried again after the source's interval, as one
// that could not take the lease is. It was a fixed minute: in the fleet
// test, a source visited every second then sat out a minute after a
// two-second Redis outage, and the test's documents on it were found
// after its 30 s wait.
func TestRunRetriesAfterAnUnreadableScheduleWithinItsInterval(t *testing.T) {
	site := fixtures.NewPasteSite()
	defer site.Close()
	st := &flakySchedule{Bolt: openState(t)}
	st.fail.Store(1)
	src := loopSource("pastes", KindPasteAPI, site.URL+"/api_scraping.php", func(s *SourceConfig) {
		s.Interval = Duration(time.Second)
		s.Jitter = Jitter{Fraction: 0.05}
	})
	c := newCrawler(t, st, &collector{}, src)
	rctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(rctx) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(5 * time.Second)
	for site.Hits().Count("/api_scraping.php") == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the source was not visited within 5s (interval 1s); the schedule read failed %d times", 1-st.fail.Load())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st.fail.Load() >= 0 {
		t.Fatal("vacuous: the schedule read never failed")
	}
}
