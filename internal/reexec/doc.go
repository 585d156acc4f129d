// Package reexec is what the tests that re-execute their own test binary
// as children share (internal/crashtest, internal/faulttest,
// internal/remotemgr's tests): starting the binary again in a role,
// running no test; a report pipe that every child of a test writes whole
// lines to; and the parent's handle on each child, which kills and reaps
// it when the test ends so that no child outlives its test.
//
// # The protocol
//
// The parent's TestMain is [Main]: in a child, the environment variable
// that names the role is set, and Main runs the role instead of the
// tests. The parent starts a child with [Start] (or builds its command
// with [Command]), passing the role and its settings as environment
// entries, and the write end of a [Pipe] as the child's stdout. A child
// writes its reports to stdout with [Report], one line per write, which
// a pipe keeps whole and in write order across all the children of a
// test (lines up to PIPE_BUF bytes, 4096 on Linux): the order in which
// the parent reads them respects causality across children. The parent
// sends a child commands, one line each, on its stdin ([Child.Send]); a
// child should exit when its stdin closes, so that it does not outlive a
// parent that died.
//
// A binary built with -race sleeps a second when it exits
// (GORACE's atexit_sleep_ms); [Command] sets GORACE=atexit_sleep_ms=0 in a
// child's environment, unless the parent's has GORACE, so that children
// end at once.
//
// Nothing here sleeps: a test waits for a child's exit on
// [Child.Exited], for its reports on the pipe.
package reexec
