//go:build race

package shm

import (
	"runtime"
	"unsafe"
)

// The race detector does not see synchronization through atomic
// operations on memory outside the Go heap, such as a shared mapping.
// raceAcquire and raceRelease tell it about the guard, which protects
// process-local state too (the region's transaction).

func raceAcquire(p unsafe.Pointer) { runtime.RaceAcquire(p) }
func raceRelease(p unsafe.Pointer) { runtime.RaceReleaseMerge(p) }
