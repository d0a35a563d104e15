package notify

import (
	"context"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/store"
	"github.com/leakwatch/leakwatch/store/storetest"
)

// TestOutboxStoreOutageAfterSend: Redis goes away the moment the SMTP
// server accepts an email and comes back 1.5 s later. The worker that sent
// it waits the outage out and records the delivery, so neither it nor a
// second worker sends the email again. (A fleet test once saw the
// bookkeeping fail, the item stay queued and a second email go out.)
func TestOutboxStoreOutageAfterSend(t *testing.T) {
	rs := storetest.StartRedis(t, storetest.StartOptions{AOF: true})
	ctx := context.Background()
	kv, err := store.OpenRedis(ctx, rs.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer kv.Close()
	s := newTestServer(t, TLSStartTLS)
	cfg := s.config(t)
	clk := newClock(time.Now())
	n1 := newNotifier(t, kv, cfg, clk, WithWorkerID("worker-1"))
	n2 := newNotifier(t, kv, cfg, clk, WithWorkerID("worker-2"))
	mustEnqueue(t, n1, sampleFinding, true)

	back := make(chan struct{})
	s.mu.Lock()
	s.onData = func() {
		s.onData = nil // under s.mu: once
		rs.Stop()
		go func() {
			time.Sleep(1500 * time.Millisecond)
			rs.Restart()
			close(back)
		}()
	}
	s.mu.Unlock()

	res, err := n1.Flush(ctx)
	if err != nil {
		t.Fatalf("flush across the outage: %v", err)
	}
	<-back
	if res.Emails != 1 || res.Delivered != 1 {
		t.Fatalf("flush: %+v; want one email delivered and recorded", res)
	}
	for _, n := range []*Notifier{n2, n1} {
		if res := mustFlush(t, n); res.Emails != 0 {
			t.Fatalf("sent again after the outage: %+v", res)
		}
	}
	if st := mustStatus(t, n2); st.Queued != 0 || st.Sent != 1 {
		t.Fatalf("status after the outage: queued %d, sent %d; want 0 and 1", st.Queued, st.Sent)
	}
	if got := len(s.messages()); got != 1 {
		t.Fatalf("the server received %d emails, want 1", got)
	}
}
