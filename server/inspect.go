package server

import (
	"context"
	"strings"
	"time"
)

// ObjectInfo describes one object of the server, for listings.
type ObjectInfo struct {
	Name    string `json:"name"`    // the object's name
	Type    string `json:"type"`    // its type: "Lock", "Queue", ...
	Waiters int    `json:"waiters"` // calls blocked on it (protocol.md, op Waiters)
}

// SessionInfo describes one session, for listings.
type SessionInfo struct {
	ID       uint64        `json:"id"`       // the session id
	Host     string        `json:"host"`     // the client's host name, as it said
	PID      uint64        `json:"pid"`      // the client's process id, as it said
	Label    string        `json:"label"`    // the client's label
	Attached bool          `json:"attached"` // a connection carries the session
	Handles  int           `json:"handles"`  // open handles
	Pending  int           `json:"pending"`  // blocking requests waiting
	TTL      time.Duration `json:"ttl"`      // the session's lease
}

// Stats is a summary of the server's state, for metrics.
type Stats struct {
	Sessions int    // sessions, attached or within their TTL
	Attached int    // sessions with a connection
	Objects  int    // named objects
	Waiters  int    // calls blocked, over all objects
	Requests uint64 // requests applied since the server started
}

// Objects lists the objects whose names start with prefix (every object
// for ""), sorted by name. It fails with ctx's error, or with
// [ErrServerClosed] once the server has stopped; before Serve is called
// it waits for ctx.
func (s *Server) Objects(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	return query(ctx, s, func(o *owner) []ObjectInfo {
		var out []ObjectInfo
		for _, name := range sortedKeys(o.m.objects) {
			if !strings.HasPrefix(name, prefix) {
				continue
			}
			obj := o.m.objects[name]
			out = append(out, ObjectInfo{Name: name, Type: obj.kind().String(), Waiters: obj.waiters()})
		}
		return out
	})
}

// Sessions lists the sessions, sorted by id. Errors are as for
// [Server.Objects].
func (s *Server) Sessions(ctx context.Context) ([]SessionInfo, error) {
	return query(ctx, s, func(o *owner) []SessionInfo {
		var out []SessionInfo
		for _, id := range sortedKeys(o.sessions) {
			os := o.sessions[id]
			ms := o.m.sessions[id]
			info := SessionInfo{ID: id, Host: os.host, PID: os.pid, Label: os.label, Attached: os.c != nil, TTL: os.ttl}
			if ms != nil {
				info.Handles, info.Pending = len(ms.handles), len(ms.pending)
			}
			out = append(out, info)
		}
		return out
	})
}

// Stats returns a summary of the server's state. Errors are as for
// [Server.Objects].
func (s *Server) Stats(ctx context.Context) (Stats, error) {
	return query(ctx, s, func(o *owner) Stats {
		var st Stats
		st.Sessions, st.Objects, st.Requests = len(o.sessions), len(o.m.objects), o.requests
		for _, os := range o.sessions {
			if os.c != nil {
				st.Attached++
			}
		}
		for _, obj := range o.m.objects {
			st.Waiters += obj.waiters()
		}
		return st
	})
}

// query runs fn on the owner goroutine and returns its result.
func query[T any](ctx context.Context, s *Server, fn func(*owner) T) (T, error) {
	res := make(chan T, 1)
	cmd := command{kind: cmdQuery, fn: func(o *owner) { res <- fn(o) }}
	var zero T
	select {
	case s.cmds <- cmd:
	case <-s.shutdown:
		return zero, ErrServerClosed
	case <-ctx.Done():
		return zero, ctx.Err()
	}
	select {
	case v := <-res:
		return v, nil
	case <-s.done:
		return zero, ErrServerClosed
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}
