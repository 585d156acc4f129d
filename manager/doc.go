// Package manager is Python's multiprocessing.Manager() for Go: one call,
// [Start], runs a latchkey server inside the current process on a private
// Unix socket and returns a client of it, so that every object of the
// root API (locks, conditions, events, barriers, joinable queues, dicts,
// lists, namespaces, values, arrays) can be shared with child processes
// without running `latchkey serve` by hand.
//
//	m, err := manager.Start(ctx, nil)
//	if err != nil { ... }
//	defer m.Close()
//	d, _ := m.Dict(ctx, "results")
//	cmd := exec.Command(os.Args[0], "worker")
//	cmd.Env = append(os.Environ(), m.Env()...) // LATCHKEY_ADDR=unix:...
//
// A child connects with [Connect] (or client.Dial with a nil config, which
// reads LATCHKEY_ADDR) and opens the same objects by name.
//
// Differences from Python's Manager, on purpose: the server runs as
// goroutines of the parent, not as a separate process, so it lives and
// dies with the parent (Python's manager process outlives a killed
// parent); the socket is in a directory only the parent's user can enter
// (mode 0700), which replaces Python's authkey; and a child that dies
// releases its locks and waits at once (Python's manager keeps them for
// ever). The state is in memory: it ends with the parent.
package manager
