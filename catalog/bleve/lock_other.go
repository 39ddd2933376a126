//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package bleve

import (
	"os"
	"time"
)

// lockDir opens the lock file without locking it: on this platform the
// index relies on Bleve's own lock on the live generation (bolt_timeout).
func lockDir(path string, timeout time.Duration) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, errUnavailable(err, path)
	}
	return f, nil
}
