//go:build linux

package shm

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// selfIdent is this process's identity: its pid and start time.
var selfIdent = sync.OnceValue(func() uint64 {
	pid := os.Getpid()
	start, _, _ := procStat(pid)
	return makeIdent(pid, start)
})

// procStat reads /proc/<pid>/stat and returns the process's start time
// (field 22, in clock ticks since boot) and state (field 3), or an error
// if the file cannot be read or parsed.
func procStat(pid int) (start uint64, state byte, err error) {
	var buf [1024]byte
	fd, err := unix.Open("/proc/"+strconv.Itoa(pid)+"/stat", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, 0, err
	}
	n, err := unix.Read(fd, buf[:])
	unix.Close(fd)
	if err != nil {
		return 0, 0, err
	}
	// The command name (field 2) is in parentheses and may contain
	// anything, parentheses and spaces included: the fields that follow
	// start after the last ')'.
	b := buf[:n]
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, errBadStat
	}
	fields := bytes.Fields(b[i+1:])
	// fields[0] is field 3 (state), fields[19] is field 22 (starttime).
	if len(fields) < 20 || len(fields[0]) != 1 {
		return 0, 0, errBadStat
	}
	start, err = strconv.ParseUint(string(fields[19]), 10, 64)
	if err != nil {
		return 0, 0, errBadStat
	}
	return start, fields[0][0], nil
}

var errBadStat = errors.New("shm: unexpected /proc/<pid>/stat format")

// identDead reports whether the process ident names has exited: its pid
// is gone, is a zombie, or belongs to a process started at another time
// (the pid was reused). When it cannot tell (no /proc, or a /proc that
// hides other users' processes), it reports false: a live process is
// never declared dead.
func identDead(ident uint64) bool {
	pid, start := identPid(ident), identStart(ident)
	if pid <= 0 {
		return true
	}
	st, state, err := procStat(pid)
	if err == nil {
		if state == 'Z' || state == 'X' || state == 'x' {
			return true
		}
		return start != 0 && st != start
	}
	// No stat file: the process may be gone, or hidden (hidepid).
	// kill(pid, 0) tells: ESRCH means no such process; EPERM means it
	// exists but belongs to someone else.
	return errors.Is(unix.Kill(pid, 0), unix.ESRCH)
}
