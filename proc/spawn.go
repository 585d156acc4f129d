package proc

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"time"
)

// child is a started child process and the parent's end of its control
// connection.
type child struct {
	cmd  *exec.Cmd
	conn *net.UnixConn
	r    *bufio.Reader
	pid  int
}

// childSpec says what child to start.
type childSpec struct {
	role           string
	daemon         bool
	conns          []*Conn // handed to the child after the control connection
	env            []string
	stdout, stderr io.Writer
}

// startChild starts this binary as a child and waits, within ctx, for its
// hello: the proof that its Main runs.
func startChild(ctx context.Context, s childSpec) (*child, error) {
	if err := supported(); err != nil {
		return nil, err
	}
	if !mainCalled.Load() {
		return nil, fmt.Errorf("%w: call proc.Main first thing in main (or TestMain) before starting processes; without it a child would run this program's main again", ErrNoMain)
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("proc: finding this program's executable: %w", err)
	}
	parentEnd, childEnd, err := socketpair()
	if err != nil {
		return nil, err
	}
	files := []*os.File{childEnd}
	var dirs strings.Builder
	for _, c := range s.conns {
		files = append(files, c.f)
		dirs.WriteByte(c.dir)
	}
	environ := os.Environ()
	env := make([]string, 0, len(environ)+len(s.env)+3)
	for _, kv := range environ {
		if !strings.HasPrefix(kv, "LATCHKEY_PROC_") {
			env = append(env, kv)
		}
	}
	env = append(env, s.env...)
	env = append(env, envRole+"="+s.role, envConns+"="+dirs.String())
	if s.daemon {
		env = append(env, envDaemon+"=1")
	}
	cmd := &exec.Cmd{
		Path:        exe,
		Args:        []string{os.Args[0]},
		Env:         env,
		Stdout:      writerOr(s.stdout, os.Stdout),
		Stderr:      writerOr(s.stderr, os.Stderr),
		ExtraFiles:  files,
		SysProcAttr: sysProcAttr(s.daemon),
	}
	// Start from a fresh goroutine, never locked to its OS thread: Linux
	// sends a daemon child its parent-death signal when the thread that
	// started it exits, and the runtime ends only locked threads.
	errc := make(chan error, 1)
	go func() { errc <- cmd.Start() }()
	err = <-errc
	childEnd.Close()
	if err != nil {
		parentEnd.Close()
		return nil, fmt.Errorf("proc: starting %s: %w", exe, err)
	}
	conn, err := unixConn(parentEnd)
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, err
	}
	ch := &child{cmd: cmd, conn: conn, r: bufio.NewReaderSize(conn, childBufLen), pid: cmd.Process.Pid}
	hctx, cancel := context.WithTimeout(ctx, helloTimeout)
	defer cancel()
	if err := ch.awaitHello(hctx); err != nil {
		code := ch.stop()
		switch {
		case ctx.Err() != nil:
			return nil, fmt.Errorf("proc: child %d did not answer (does its main call proc.Main first?): %w", ch.pid, ctx.Err())
		case hctx.Err() != nil:
			return nil, fmt.Errorf("%w: child %d did not answer within %v; call proc.Main first thing in main (or TestMain)", ErrNoMain, ch.pid, helloTimeout)
		}
		return nil, fmt.Errorf("%w in child %d, which %s without answering (%v); call proc.Main first thing in main (or TestMain)", ErrNoMain, ch.pid, describeExit(code), err)
	}
	return ch, nil
}

// helloTimeout bounds the wait for a child's Main to answer, so that a
// child that never calls it is an error even when ctx has no deadline.
const helloTimeout = 30 * time.Second

func writerOr(w, def io.Writer) io.Writer {
	if w == nil {
		return def
	}
	return w
}

func (ch *child) awaitHello(ctx context.Context) error {
	w := deadlineWatch{set: ch.conn.SetReadDeadline}
	defer w.close()
	if _, err := w.begin(ctx); err != nil {
		return err
	}
	typ, p, err := readFrame(ch.r)
	w.end()
	if err != nil {
		return err
	}
	d := &decoder{b: p}
	if v := d.u8(); typ != msgHello || d.err != nil || v != protoVersion {
		return fmt.Errorf("%w: bad hello (type %d, version %d)", errMalformed, typ, v)
	}
	return nil
}

// stop kills the child, reaps it, closes the connection, and returns
// Python's exitcode.
func (ch *child) stop() int {
	ch.cmd.Process.Kill()
	code := ch.wait()
	ch.conn.Close()
	return code
}

// wait reaps the child and returns Python's exitcode.
func (ch *child) wait() int {
	ch.cmd.Wait()
	if ch.cmd.ProcessState == nil {
		return -1
	}
	return exitCode(ch.cmd.ProcessState)
}
