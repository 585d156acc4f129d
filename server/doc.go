// Package server is the latchkey manager server: Python's
// multiprocessing Manager rebuilt crash-safe, speaking the protocol of
// docs/protocol.md over TCP and a Unix socket.
//
// # Design
//
// The core is a deterministic state machine (type machine): every object,
// session, handle and waiter, with no goroutine, clock or I/O. One owner
// goroutine applies inputs to it in arrival order (handshakes, requests,
// cancels, dropped connections, lease expiry) and routes its outputs to
// connections. Each connection has a reader goroutine and a writer
// goroutine that writes every queued frame and then flushes once.
//
// # Sessions
//
// A session ends, releasing everything it held, on a client Goodbye, when
// the connection of a same-host client (Unix socket or loopback TCP)
// closes (unless [Config.ResumeLocal]), or when its lease runs out (a
// silent connection, or a remote connection that dropped and was not
// resumed within the TTL). Ending a session costs what it owned, not the
// number of objects on the server. Ending a session releases its Lock, RLock and RWLock holds
// and the semaphore permits it took and did not give back; drops its
// waiters (no ghost waiters); breaks a barrier it waited on or whose
// action it was running; and puts the queue items it took and did not
// mark done back at the head of their queue. The next grant of a lock or
// permit released this way reports latchkey.ErrOwnerDied with the grant.
//
// # Retries
//
// Request ids increase within a session, so a request that comes again
// with an old id (a client resending what was in flight when its
// connection dropped) is a retry: it is never applied twice. A retry of a
// waiting request gets its one response when it completes; a retry of a
// completed one gets the response kept for it. Responses are kept until a
// later request's Ack covers them, at most 10000 per session.
//
// # Inspection
//
// [Server.Objects], [Server.Sessions] and [Server.Stats] read the state
// in process (for the command's HTTP listener and metrics); clients list
// objects with the List op (latchkey ls).
package server
