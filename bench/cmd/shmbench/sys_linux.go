package main

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// clockMonotonic reads CLOCK_MONOTONIC (a system call: calibrate only).
func clockMonotonic() (int64, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0, fmt.Errorf("clock_gettime: %w", err)
	}
	return ts.Nano(), nil
}

// cpus describes this process's CPU affinity, e.g. "1" or "0-1", which
// its children inherit.
func cpus() string {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return "?"
	}
	var parts []string
	for i := 0; i < len(set)*64; i++ {
		if !set.IsSet(i) {
			continue
		}
		j := i
		for j+1 < len(set)*64 && set.IsSet(j+1) {
			j++
		}
		if j == i {
			parts = append(parts, strconv.Itoa(i))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", i, j))
		}
		i = j
	}
	return strings.Join(parts, ",")
}
