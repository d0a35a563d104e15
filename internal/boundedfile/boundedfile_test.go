package boundedfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRead: a regular file within the limit is read whole; a file at the
// limit too, one byte more is refused; a directory, a FIFO and a device
// are refused without blocking or reading; a missing file's error wraps
// fs.ErrNotExist; every error names the file; the caller's check is asked
// twice, before and after the open, and its error returned as it is.
func TestRead(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	if err := os.WriteFile(small, []byte("0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path  string
		limit int64
		want  string // an error containing it, or the contents
		isErr bool
	}{
		{small, 10, "0123456789", false},
		{small, 9, "config " + small + " is larger than 9 bytes", true},
		{dir, 1 << 20, "config " + dir + " is a directory", true},
		{fifo, 1 << 20, "config " + fifo + " is not a regular file", true},
		{"/dev/zero", 1 << 20, "config /dev/zero is not a regular file", true},
		{filepath.Join(dir, "missing"), 1 << 20, "reading config: ", true},
	} {
		done := make(chan struct{})
		var data []byte
		var err error
		go func() {
			data, err = Read(c.path, "config", c.limit, nil)
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: Read still blocked after 10 s", c.path)
		}
		switch {
		case c.isErr && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error %v, want one containing %q", c.path, err, c.want)
		case !c.isErr && (err != nil || string(data) != c.want):
			t.Errorf("%s: %q, %v; want %q", c.path, data, err, c.want)
		}
	}
	if _, err := Read(filepath.Join(dir, "missing"), "config", 10, nil); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing file: %v, want an error wrapping fs.ErrNotExist", err)
	}

	calls := 0
	refuse := errors.New("refused")
	if _, err := Read(small, "key", 10, func(fs.FileInfo) error { calls++; return nil }); err != nil || calls != 2 {
		t.Errorf("check called %d times (want 2), error %v", calls, err)
	}
	if _, err := Read(small, "key", 10, func(fs.FileInfo) error { return refuse }); err != refuse {
		t.Errorf("check's error: got %v, want it as it is", err)
	}
	calls = 0
	if _, err := Read(fifo, "key", 10, func(fs.FileInfo) error { calls++; return nil }); err == nil || calls != 0 {
		t.Errorf("a FIFO: check called %d times, error %v; want no call and an error", calls, err)
	}
}
