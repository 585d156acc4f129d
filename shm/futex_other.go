//go:build !linux

package shm

import (
	"sync/atomic"
	"time"
)

// futexWait is never called on systems other than Linux: no region can be
// mapped there.
func futexWait(*atomic.Uint32, uint32, time.Duration) bool { return false }

// futexWake is never called on systems other than Linux.
func futexWake(*atomic.Uint32, int) {}
