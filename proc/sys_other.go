//go:build !unix

package proc

import (
	"net"
	"os"
	"syscall"
)

func supported() error { return ErrUnsupported }

func socketpair() (a, b *os.File, err error) { return nil, nil, ErrUnsupported }

func unixConn(f *os.File) (*net.UnixConn, error) { return nil, ErrUnsupported }

func inheritedFile(fd int, name string) (*os.File, error) { return nil, ErrUnsupported }

func exitCode(ps *os.ProcessState) int { return ps.ExitCode() }

func terminate(p *os.Process) error { return p.Kill() }

func probeRead(f *os.File, p []byte) (n int, ready bool, err error) { return 0, false, ErrUnsupported }

func isPeerClosed(err error) bool { return false }

func sysProcAttr(daemon bool) *syscall.SysProcAttr { return nil }

func setCloseOnExec(fd int) {}
