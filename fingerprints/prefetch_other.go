//go:build !amd64 && !arm64

package fingerprints

import "unsafe"

// prefetch does nothing where no prefetch instruction is wired.
func prefetch(unsafe.Pointer) {}
