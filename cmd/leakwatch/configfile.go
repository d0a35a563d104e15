package main

import (
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Limits of the files readConfigFile reads whole. A daemon config of a few
// hundred sources takes tens of KiB; a tokens file takes a line (about 120
// bytes) an owner.
const (
	maxConfigFile = 1 << 20
	maxTokensFile = 4 << 20
)

// readConfigFile reads a file the operator names for a command to read
// whole (the daemon config, the key service's tokens file, a token file),
// what naming it in errors. Anything but a regular file is refused before
// it is opened, so that a path naming /dev/zero, a FIFO or a directory
// fails at once instead of reading until memory runs out or blocking in
// the open; a secret file is refused if group or others can read it; the
// opened file must be the one checked, and is checked again; and more
// than limit bytes is an error.
func readConfigFile(path, what string, limit int64, secret bool) ([]byte, error) {
	check := func(fi fs.FileInfo) error {
		switch {
		case fi.IsDir():
			return fmt.Errorf("%s %s is a directory", what, path)
		case !fi.Mode().IsRegular():
			return fmt.Errorf("%s %s is not a regular file", what, path)
		case secret && fi.Mode().Perm()&0o077 != 0:
			return withHint(fmt.Errorf("%s %s has mode %04o: it is readable by group or others", what, path, fi.Mode().Perm()), "run 'chmod 600 %s'", path)
		}
		return nil
	}
	before, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	if err := check(before); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	if !os.SameFile(before, fi) {
		return nil, fmt.Errorf("%s %s changed while it was opened", what, path)
	}
	if err := check(fi); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s %s: %w", what, path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s %s is larger than %d KiB", what, path, limit>>10)
	}
	return data, nil
}
