//go:build unix

package proc

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
)

func supported() error { return nil }

// socketpair returns the two ends of a connected Unix stream socket, both
// close-on-exec and non-blocking (pollable, so deadlines work).
func socketpair() (a, b *os.File, err error) {
	syscall.ForkLock.RLock()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err == nil {
		syscall.CloseOnExec(fds[0])
		syscall.CloseOnExec(fds[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, nil, fmt.Errorf("proc: socketpair: %w", err)
	}
	for _, fd := range fds {
		if err := syscall.SetNonblock(fd, true); err != nil {
			syscall.Close(fds[0])
			syscall.Close(fds[1])
			return nil, nil, fmt.Errorf("proc: socketpair: %w", err)
		}
	}
	return os.NewFile(uintptr(fds[0]), "latchkey-socket"), os.NewFile(uintptr(fds[1]), "latchkey-socket"), nil
}

// unixConn turns one end of a socketpair into a *net.UnixConn and closes f.
func unixConn(f *os.File) (*net.UnixConn, error) {
	defer f.Close()
	c, err := net.FileConn(f)
	if err != nil {
		return nil, err
	}
	uc, ok := c.(*net.UnixConn)
	if !ok {
		c.Close()
		return nil, fmt.Errorf("proc: %s is not a Unix socket", f.Name())
	}
	return uc, nil
}

// inheritedFile wraps an inherited descriptor, made non-blocking again
// (os/exec hands descriptors to children in blocking mode).
func inheritedFile(fd int, name string) (*os.File, error) {
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return nil, fmt.Errorf("proc: descriptor %d (%s): %w", fd, name, err)
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		return nil, fmt.Errorf("proc: descriptor %d (%s): %w", fd, name, err)
	}
	syscall.CloseOnExec(fd)
	return os.NewFile(uintptr(fd), name), nil
}

// exitCode returns Python's exitcode for a finished process.
func exitCode(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return -int(ws.Signal())
	}
	return ps.ExitCode()
}

func terminate(p *os.Process) error { return p.Signal(syscall.SIGTERM) }

// probeRead reads once without waiting: ready is false if nothing was
// there to read; n == 0 with ready means end of file.
func probeRead(f *os.File, p []byte) (n int, ready bool, err error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, false, err
	}
	var rerr error
	err = rc.Read(func(fd uintptr) bool {
		for {
			n, rerr = syscall.Read(int(fd), p)
			if rerr != syscall.EINTR {
				return true
			}
		}
	})
	if err != nil {
		return 0, false, err
	}
	switch {
	case rerr == syscall.EAGAIN:
		return 0, false, nil
	case rerr != nil:
		return 0, true, rerr
	}
	return n, true, nil
}

// isPeerClosed reports whether a write failed because the reading end is
// closed.
func isPeerClosed(err error) bool {
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)
}

func setCloseOnExec(fd int) { syscall.CloseOnExec(fd) }
