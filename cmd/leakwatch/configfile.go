package main

import (
	"fmt"
	"io/fs"

	"github.com/leakwatch/leakwatch/internal/boundedfile"
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
// what naming it in errors, through boundedfile: anything but a regular
// file is refused before it is opened, the opened file must be the one
// checked, and more than limit bytes is an error. A secret file is also
// refused if group or others can read it, with the hint to chmod it.
func readConfigFile(path, what string, limit int64, secret bool) ([]byte, error) {
	var check func(fs.FileInfo) error
	if secret {
		check = func(fi fs.FileInfo) error {
			if perm := fi.Mode().Perm(); perm&0o077 != 0 {
				return withHint(fmt.Errorf("%s %s has mode %04o: it is readable by group or others", what, path, perm), "run 'chmod 600 %s'", path)
			}
			return nil
		}
	}
	return boundedfile.Read(path, what, limit, check)
}
