// Package client is the Go client of the latchkey manager server
// (latchkey serve): the network backend of [latchkey.Manager]. [Dial]
// connects and opens a session; the [*Client] it returns opens named
// objects (locks, semaphores, conditions, events, barriers, queues, dicts,
// lists, namespaces, values, arrays) that live on the server and are shared
// by every client of it, on this host or others. The protocol is specified
// in docs/protocol.md.
//
// # Connection
//
// A Client keeps one connection (TCP, or a Unix socket) and multiplexes
// every call over it: each request carries an id, any number of calls may
// be outstanding at once from any number of goroutines, and responses come
// back in any order. One writer goroutine sends everything queued in one
// write; one reader goroutine delivers responses; the writer pings the
// server every [Config.HeartbeatInterval] to keep the session's lease, and
// drops a connection on which nothing arrived for the session's TTL.
//
// # Cancellation
//
// Every call takes a ctx. A call whose ctx is already done returns
// ctx.Err() without sending anything (except Barrier.Wait, which arrives
// and breaks the barrier, as Python's timeout does). A blocking call
// (Lock, Acquire, Get, Put, Wait, Join) whose ctx ends while it waits
// sends a Cancel for its request and waits for the server's answer: if
// the request was still waiting, the server drops it and the call returns
// ctx.Err(), leaving the object unchanged; if the server had already
// completed it (the grant raced the cancel), the call returns its result,
// as protocol.md 6.2 prescribes, so that no grant or item is ever lost.
// Non-blocking calls wait for their answer, which comes at once.
//
// # Sessions, reconnection and lost ownership
//
// The server keeps a session, and everything it holds, for its TTL after
// the connection drops (a server ends the session of a same-host client,
// over a Unix socket or loopback TCP, at once instead: see
// docs/protocol.md 4.4). The client reconnects with jittered exponential
// backoff (between [Config.ReconnectMin] and [Config.ReconnectMax]) and
// resumes the session. Calls queued while disconnected are sent after the
// resume. Calls that were in flight when the connection dropped are sent
// again first, with their request ids: the server never applies a request
// twice (it answers a retry from the response it kept, or, for a call
// still waiting, when it completes), so every call takes effect exactly
// once and gets its one result, however often the connection drops
// (protocol.md 6.1). A retry whose response the server no longer keeps
// (more than 10000 responses behind) fails with an error satisfying
// errors.Is(err, latchkey.ErrUnavailable) rather than run twice.
//
// When the session cannot be resumed (the server expired it, or no server
// answered within the TTL), it is lost for good: [Client.Done] is closed,
// [Client.Err] returns an error satisfying errors.Is(err,
// latchkey.ErrLost), every call fails with it, and the handles'
// Lost channels (on [Lock], [RLock], [RWLock], [Semaphore] and
// [Condition]) are closed. The server released everything the session
// held; dial a new Client to go on. The server can also report that a
// handle's holds were released without the client asking (an operator
// broke a lock); that closes that handle's Lost channel only.
//
// # Handles and ownership
//
// Objects without an owner (Lock, Semaphore, Event, queues, shared state)
// are opened once per client and name: opening the same name again
// returns the same handle. RLock, RWLock, Condition and Barrier handles
// are new owners on every open, as [latchkey.Manager] requires; when one
// is garbage collected the client closes it on the server, which releases
// what it still holds.
//
// Remote errors are *latchkey.Error values of the server's Kind, so
// errors.Is works with the root package's sentinels.
//
// A Client and every handle are safe for concurrent use.
package client
