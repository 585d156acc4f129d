package reexec_test

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/reexec"
)

const envRole = "LATCHKEY_REEXEC_TEST_ROLE"

// TestMain runs the children's roles: "echo" reports "ready", then
// "got LINE" for each line of its stdin, and "bye" when its stdin closes;
// "fail" writes to its stderr and exits with status 3.
func TestMain(m *testing.M) {
	reexec.Main(m, envRole, func(role string) int {
		switch role {
		case "echo":
			reexec.Report("1", "ready\nand waiting")
			sc := bufio.NewScanner(os.Stdin)
			for sc.Scan() {
				reexec.Report("1", "got %s", sc.Text())
			}
			reexec.Report("1", "bye")
			return 0
		case "fail":
			fmt.Fprintln(os.Stderr, "oops")
			return 3
		}
		return 2
	})
}

// lines returns a pipe whose lines arrive on the channel.
func lines(t *testing.T) (*os.File, <-chan string) {
	ch := make(chan string)
	w := reexec.Pipe(t, func(line string) {
		select {
		case ch <- line:
		case <-t.Context().Done():
		}
	})
	return w, ch
}

// next returns the next line, or fails the test after 20 s.
func next(t *testing.T, ch <-chan string) string {
	t.Helper()
	timer := time.NewTimer(20 * time.Second)
	defer timer.Stop()
	select {
	case line := <-ch:
		return line
	case <-timer.C:
		t.Fatal("no line within 20s")
		return ""
	}
}

// exited waits for c to exit, or fails the test after 20 s.
func exited(t *testing.T, c *reexec.Child) {
	t.Helper()
	timer := time.NewTimer(20 * time.Second)
	defer timer.Stop()
	select {
	case <-c.Exited():
	case <-timer.C:
		t.Fatalf("%s did not exit within 20s", c.Name)
	}
}

// TestChild: a child's reports reach the pipe whole and in order, one
// line each; it gets the parent's commands; it exits when its stdin
// closes.
func TestChild(t *testing.T) {
	w, ch := lines(t)
	c := reexec.Start(t, "echo", w, envRole+"=echo")
	if got := next(t, ch); got != "1 ready and waiting" {
		t.Fatalf("first report %q, want %q", got, "1 ready and waiting")
	}
	for _, cmd := range []string{"a", "b c"} {
		if err := c.Send(cmd); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := fmt.Fprintln(w, "0 parent"); err != nil {
		t.Fatal(err)
	}
	got := []string{next(t, ch), next(t, ch), next(t, ch)}
	// The parent's line and the child's are in the order they were
	// written, which only the child's own order constrains.
	if i := slices.Index(got, "0 parent"); i < 0 || !slices.Equal(slices.Delete(got, i, i+1), []string{"1 got a", "1 got b c"}) {
		t.Fatalf("reports %q, want the child's in order and the parent's line", got)
	}
	if err := c.CloseStdin(); err != nil {
		t.Fatal(err)
	}
	if got := next(t, ch); got != "1 bye" {
		t.Fatalf("report %q, want %q", got, "1 bye")
	}
	exited(t, c)
	if ws := c.Status(); !ws.Exited() || ws.ExitStatus() != 0 {
		t.Fatalf("child ended with %v, want exit status 0", ws)
	}
}

// TestKill: Kill reports whether the signal killed the child, and a child
// still running when its test ends is killed and reaped.
func TestKill(t *testing.T) {
	w, ch := lines(t)
	c := reexec.Start(t, "echo", w, envRole+"=echo")
	next(t, ch)
	if killed, err := c.Kill(); err != nil || !killed {
		t.Fatalf("Kill of a running child = %v, %v; want true", killed, err)
	}
	if ws := c.Status(); !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("killed child ended with %v", ws)
	}

	f := reexec.Start(t, "fail", w, envRole+"=fail")
	exited(t, f)
	if killed, err := f.Kill(); err != nil || killed {
		t.Fatalf("Kill of a child that had exited = %v, %v; want false", killed, err)
	}
	if ws := f.Status(); !ws.Exited() || ws.ExitStatus() != 3 {
		t.Fatalf("child ended with %v, want exit status 3", ws)
	}
	if got := f.Stderr(); got != "oops\n" {
		t.Fatalf("stderr %q, want %q", got, "oops\n")
	}

	var left *reexec.Child
	t.Run("left running", func(t *testing.T) {
		left = reexec.Start(t, "echo", w, envRole+"=echo")
		next(t, ch)
	})
	select {
	case <-left.Exited():
	default:
		t.Fatal("a child left running by its test is still running after the test")
	}
	if ws := left.Status(); !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child left running ended with %v, want SIGKILL", ws)
	}
}

// TestCommand: the test binary, running no test, with the environment
// added, and GORACE set only when the parent has none.
func TestCommand(t *testing.T) {
	t.Setenv("GORACE", "halt_on_error=1")
	cmd := reexec.Command("A=1")
	if cmd.Path == "" || !slices.Equal(cmd.Args[1:], []string{"-test.run=^$"}) {
		t.Errorf("command %q, want the test binary with -test.run=^$", cmd.Args)
	}
	if cmd.Env[len(cmd.Env)-1] != "A=1" || slices.ContainsFunc(cmd.Env, func(e string) bool { return strings.Contains(e, "atexit_sleep_ms") }) {
		t.Errorf("environment %q: want A=1 last and GORACE as the parent's", cmd.Env)
	}
	os.Unsetenv("GORACE") // restored by t.Setenv's cleanup
	if env := reexec.Command().Env; !slices.Contains(env, "GORACE=atexit_sleep_ms=0") {
		t.Errorf("environment without GORACE in the parent: no GORACE=atexit_sleep_ms=0")
	}
}
