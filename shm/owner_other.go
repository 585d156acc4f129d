//go:build !linux

package shm

import "os"

// selfIdent is this process's identity; on systems other than Linux it is
// never stored anywhere, since no region can be mapped.
func selfIdent() uint64 { return makeIdent(os.Getpid(), 0) }

// identDead is never called on systems other than Linux.
func identDead(uint64) bool { return false }
