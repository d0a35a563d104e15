package main

import (
	"testing"
	"time"
)

func startMailSink(t *testing.T) *mailSink { return startMailSinkOn(t, 0) }

// startMailSinkOn starts a sink on a given loopback port (0: any), closed
// when the test ends.
func startMailSinkOn(t *testing.T, port int) *mailSink {
	t.Helper()
	m, err := newMailSink(port)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.close)
	return m
}

// waitFor waits until the sink holds at least n messages.
func (m *mailSink) waitFor(t *testing.T, n int, within time.Duration) [][]byte {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if msgs := m.messages(); len(msgs) >= n {
			return msgs
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("mail sink got %d messages within %s, want %d", len(m.messages()), within, n)
	return nil
}
