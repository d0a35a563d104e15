// Package boundedfile reads the small files an operator names to
// leakwatch (its configs, its keys, the key service's token files, a CA
// bundle) whole, without the surprises of os.ReadFile:
//
//   - Anything but a regular file is refused before it is opened: a path
//     naming /dev/zero would be read until memory runs out, and a FIFO
//     would block the open until something writes to it.
//   - The caller's own check (a secret file's mode, say) is made on the
//     file before it is opened, and again on the file opened, which must
//     be the same file: a file swapped in between is not read unchecked.
//   - A file larger than the caller's limit is an error, and is read no
//     further than the limit.
//
// Errors name the file as the caller calls it and by its path, never by
// its contents.
package boundedfile

import (
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Read returns the contents of the regular file at path, of at most limit
// bytes. what names the file in errors ("config", "key file"). check, if
// not nil, is called with the file's information before it is opened and
// again once it is, and its error returned as it is. An error from
// os.Stat or os.Open is wrapped, so a missing file's wraps
// fs.ErrNotExist.
func Read(path, what string, limit int64, check func(fs.FileInfo) error) ([]byte, error) {
	checkAll := func(fi fs.FileInfo) error {
		switch {
		case fi.IsDir():
			return fmt.Errorf("%s %s is a directory", what, path)
		case !fi.Mode().IsRegular():
			return fmt.Errorf("%s %s is not a regular file", what, path)
		case check != nil:
			return check(fi)
		}
		return nil
	}
	before, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	if err := checkAll(before); err != nil {
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
	if err := checkAll(fi); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s %s: %w", what, path, err)
	}
	if int64(len(data)) > limit {
		if limit < 1<<10 {
			return nil, fmt.Errorf("%s %s is larger than %d bytes", what, path, limit)
		}
		return nil, fmt.Errorf("%s %s is larger than %d KiB", what, path, limit>>10)
	}
	return data, nil
}
