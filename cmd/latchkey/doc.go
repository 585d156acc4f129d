// Command latchkey runs the latchkey server and uses its objects from the
// command line: locks and semaphores around commands (like flock(1), but
// across hosts), shared queues, dicts, integers, events and barriers.
//
// Usage:
//
//	latchkey serve [--addr A] [--data DIR] [--socket PATH] [--http A] [--auth-key-file F] [--ttl D] [--log-level L]
//	latchkey run --lock NAME [--timeout D] [--kill-after D] -- CMD [ARG...]
//	latchkey run --sem NAME --limit N [--timeout D] [--kill-after D] -- CMD [ARG...]
//	latchkey queue put NAME VALUE... | get NAME [--timeout D] | len NAME | join NAME [--timeout D]
//	latchkey dict set NAME KEY VALUE | get NAME KEY | del NAME KEY | keys NAME
//	latchkey value get NAME | set NAME N | add NAME DELTA
//	latchkey event set NAME | clear NAME | wait NAME [--timeout D] | is-set NAME
//	latchkey barrier wait NAME --parties N [--timeout D] | reset NAME --parties N | abort NAME --parties N
//	latchkey ls [--json] [PREFIX]
//
// "latchkey help COMMAND" and "latchkey COMMAND --help" describe each
// command; this page is the same manual in one piece.
//
// # Finding the server
//
// Every command but serve is a client of a server. It connects to the
// address of --addr, else of $LATCHKEY_ADDR, else 127.0.0.1:7459 (the
// server's default): host:port for TCP, or a Unix socket given as an
// absolute path or as "unix:PATH". A server configured with an
// authentication key accepts only clients that prove they know it: give
// the file holding the key with --auth-key-file, or $LATCHKEY_AUTH_KEY_FILE.
// A key file holds the secret; a trailing newline is not part of it.
// Connecting gives up after 3 seconds (exit 69). Each command opens one
// session and closes it before it exits, so that the server releases at
// once whatever the command still held.
//
// Durations are written as Go durations: 500ms, 10s, 2m, 1h30m. A
// --timeout of 0 (the default) waits forever. Flags may come before or
// after the arguments, except for "value set" and "value add" (flags
// first, so that a negative number needs no "--"); a VALUE or KEY that
// starts with "-" elsewhere goes after "--".
//
// SIGINT, SIGTERM and SIGHUP interrupt a client command cleanly: a call
// still waiting is cancelled (a queue get takes no item), the session
// ends, and the command exits with 128+N, N being the signal's number.
// A signal latchkey was started ignoring (under nohup, or in the
// background of a script) stays ignored, also for run's command.
//
// # serve
//
// latchkey serve runs the server until SIGINT or SIGTERM, then shuts down
// cleanly (exit 0). It listens on TCP (--addr, default 127.0.0.1:7459) and
// on a Unix socket (--socket, default DIR/latchkey.sock, DIR being --data,
// default $XDG_STATE_HOME/latchkey or ~/.local/state/latchkey); "-" turns
// either off, and a port of 0 picks a free one. Once listening, it prints
// one line on stdout, such as
//
//	latchkey: listening on tcp 127.0.0.1:7459, unix /run/user/1000/latchkey/latchkey.sock
//
// (with ", http A" when --http is on). --ttl is the session lease granted
// to clients that ask for none (default 10s): how long a client's locks,
// permits and taken queue items outlive its lost connection, if it is
// remote. A client on the same host (Unix socket or loopback TCP) that
// goes away is released at once. Logs are text on stderr, at --log-level
// debug, info (default), warn or error.
//
// State is durable: every change is logged in DIR/wal before it is
// acknowledged, and a server started again on DIR has every object, its
// contents, its fences and its sessions, which clients resume within
// their TTL. --sync says when the log is fsynced: always (default: before
// answering, one fsync per batch; loses nothing), interval (every
// --sync-interval, default 100ms), never (left to the operating system),
// or none (no log: state in memory only). docs/operations.md says what
// each can lose. A log corrupt in the middle is refused with an error
// naming the file and offset; --repair starts once with the log cut at
// the first bad record, losing what followed it.
//
// A TCP address that is not loopback requires an authentication key
// (--auth-key-file, else $LATCHKEY_AUTH_KEY_FILE). serve refuses to start
// without one, with the server's message and exit code 2, the code of
// every configuration it refuses (bad flag values, an unreadable key
// file); it exits with 1 when it cannot listen (address in use).
//
// --http A (off by default) adds an HTTP listener on A, without
// authentication, serving
//
//   - /metrics: Prometheus metrics, read from the server at scrape time:
//     latchkey_sessions, latchkey_sessions_attached, latchkey_objects,
//     latchkey_waiters (calls blocked, over all objects),
//     latchkey_requests_total, and the Go runtime's and the process's
//     metrics;
//   - /objects: the objects as a JSON array, the records of
//     "latchkey ls --json"; ?prefix=P lists the names starting with P.
//
// # run
//
// latchkey run --lock NAME -- CMD [ARG...] waits for the lock NAME, runs CMD
// while holding it, and releases it when CMD exits; latchkey run --sem NAME
// --limit N -- CMD does the same with one permit of the semaphore NAME,
// which lets N commands run at once. The "--" is required. With --timeout D,
// run gives up after D without running CMD (exit 75).
//
// CMD runs in a process group of its own, with run's standard input,
// output and error and its environment plus LATCHKEY_FENCE, the grant's
// fencing token (a number that grows with every grant of the lock, for
// CMD to hand to the resource it protects so
// that the resource can refuse a stale holder), and LATCHKEY_ADDR, the
// address run used. run forwards SIGINT, SIGTERM and SIGHUP to CMD's
// process group and exits with CMD's status, or 128+N if CMD was killed
// by signal N. Because CMD's process group is its own, CMD is not the
// terminal's foreground job: a CMD that reads from the terminal is
// stopped by SIGTTIN, so give it its input another way. A signal that
// comes while run still waits for the lock ends the wait (exit 128+N).
//
// If the lock or permit is lost while CMD runs (the session expired, the
// server was unreachable for longer than the session's TTL, or the server
// reported the hold released, as when an operator breaks a lock), run
// sends SIGTERM to CMD's process group, SIGKILL after --kill-after
// (default 10s), prints
//
//	latchkey: lost the lock NAME: REASON; terminated CMD
//
// on stderr, and exits with 70. If run itself is killed with SIGKILL, the
// server releases the lock (at once over a Unix socket, after the TTL over
// TCP); on Linux the kernel then kills CMD too (a parent-death signal), but
// not the processes CMD started.
//
// The semaphore of --sem is a bounded semaphore of N permits, created
// with the first use of its name. A name that belongs to a semaphore of
// another N, or to an object of another type, is an error (exit 1). A
// previous holder that died holding the lock or permit is reported with a
// note on stderr; run goes on. CMD not found exits with 127, and a CMD
// that cannot be started (not executable) with 126, as in a shell.
//
// # queue
//
// The queues of the command line are unbounded FIFO joinable queues
// (Python's multiprocessing JoinableQueue without a maxsize); a program
// must open the same name with the default QueueOptions, and a queue a
// program opened otherwise is refused with a mismatch error (exit 1).
// Items are byte strings, put as given and printed as stored.
//
//   - queue put NAME VALUE... puts each VALUE, in order.
//   - queue get NAME [--timeout D] takes the next item (waiting for one),
//     prints it and a newline, and then marks it done (task_done), so that
//     join counts it: there is no later moment at which a command-line get
//     could call task_done. If get fails or is killed before it wrote the
//     item, the item goes back to the head of the queue when get's session
//     ends, so an item is delivered at least once. On timeout it exits
//     with 75 and takes no item.
//   - queue len NAME prints the number of items.
//   - queue join NAME [--timeout D] waits until every item ever put has
//     been marked done.
//
// # dict
//
// Dicts map string keys to byte strings (Python's Manager().dict()).
// dict set NAME KEY VALUE stores VALUE; dict get NAME KEY prints it and a
// newline, or fails with exit 1 and a message if there is no such key;
// dict del NAME KEY deletes the key (a missing key is not an error); dict
// keys NAME prints the keys, one a line, sorted.
//
// # value
//
// Values are signed 64-bit integers, initially 0 (Python's
// multiprocessing Value('q')). value get NAME prints it; value set NAME N
// sets it; value add NAME DELTA adds DELTA atomically (concurrent adds
// never lose an update) and prints the new value.
//
// # event
//
// Events are flags, initially clear (Python's threading.Event). event set
// NAME sets the flag and wakes every waiter; event clear NAME clears it;
// event wait NAME [--timeout D] waits until it is set (exit 75 on
// timeout); event is-set NAME prints true or false and exits 0 either way.
//
// # barrier
//
// barrier wait NAME --parties N [--timeout D] waits until N parties wait on
// the barrier (Python's threading.Barrier), then prints this party's
// arrival index in the cycle (0 to N-1). Every party gives the same N. A
// wait that ends early (a timeout, exit 75, or an interrupt) breaks the
// barrier, as in Python: the other waiters and every later wait fail with
// exit 1 until it is reset. barrier reset NAME --parties N returns the
// barrier to its initial state (waiting parties fail with exit 1, as in
// Python); barrier abort NAME --parties N breaks it.
//
// # ls
//
// ls [--json] [PREFIX] lists the objects whose names start with PREFIX
// (all without one), sorted by name: a table of NAME, TYPE and WAITERS
// (calls blocked on the object), or with --json a JSON array of objects
// {"name": ..., "type": ..., "waiters": ...}.
//
// # Exit codes
//
//	0       success
//	1       any other failure, with a one-line "latchkey: ..." message on stderr
//	        (a missing key in dict get, a name that belongs to another type)
//	2       usage error: unknown command or flag, wrong number of arguments, a
//	        bad number or duration; for serve, a configuration it refuses
//	69      no server answers (connection refused, no socket, no answer in 3s)
//	70      run: the lock or permit was lost while CMD ran; CMD was terminated
//	75      --timeout expired before the lock, permit, item, event or barrier came
//	126     run: CMD could not be started
//	127     run: CMD was not found
//	128+N   interrupted by signal N (run: CMD was killed by signal N)
//
// Otherwise run exits with its command's own status, which can be any of
// these: a script that must tell them apart should check the command's
// own codes first.
//
// # Environment
//
//	LATCHKEY_ADDR           the server's address for client commands (when --addr is not given)
//	LATCHKEY_AUTH_KEY_FILE  the authentication key file (when --auth-key-file is not given)
//	LATCHKEY_FENCE          set by run for its command: the grant's fencing token
//	LATCHKEY_ADDR           also set by run for its command: the address it used
package main
