//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package bleve

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// lockDir takes an exclusive advisory lock on path, polling until timeout:
// one process at a time owns the index directory (its generations and the
// CURRENT pointer). The lock goes with the file when it is closed or the
// process dies.
func lockDir(path string, timeout time.Duration) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, errUnavailable(err, path)
	}
	deadline := time.Now().Add(timeout)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			_ = f.Close()
			return nil, errUnavailable(err, path)
		}
		if time.Now().After(deadline) {
			_ = f.Close()
			return nil, errInUse(path, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
