package server

import (
	"context"
	"errors"
	"testing"

	"github.com/latchkey/latchkey/internal/wire"
)

func TestInspect(t *testing.T) {
	s := startServer(t, nil)
	ctx := context.Background()
	a := mustConnect(t, "unix", s.SocketPath(), &wire.Hello{Host: "h1", PID: 42, Label: "a"})
	b := mustConnect(t, "tcp", s.Addr().String(), &wire.Hello{Label: "b"})
	a.open(1, wire.ObjectLock, "job/lock")
	b.open(1, wire.ObjectLock, "job/lock")
	a.open(2, wire.ObjectEvent, "go")
	a.call(wire.OpLockLock, wire.ObjectLock, 1, "job/lock", nil)
	b.req(wire.OpLockLock, wire.ObjectLock, 1, "job/lock", nil)
	b.waitersOf("job/lock", 1)

	objs, err := s.Objects(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []ObjectInfo{{"go", "Event", 0}, {"job/lock", "Lock", 1}}
	if len(objs) != len(want) || objs[0] != want[0] || objs[1] != want[1] {
		t.Fatalf("Objects = %+v, want %+v", objs, want)
	}
	if objs, _ := s.Objects(ctx, "job/"); len(objs) != 1 || objs[0].Name != "job/lock" {
		t.Fatalf("Objects(job/) = %+v", objs)
	}
	sess, err := s.Sessions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(sess) != 2 || sess[0].Label != "a" || sess[0].PID != 42 || sess[0].Host != "h1" || sess[0].Handles != 2 ||
		!sess[0].Attached || sess[1].Label != "b" || sess[1].Pending != 1 {
		t.Fatalf("Sessions = %+v", sess)
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Sessions != 2 || st.Attached != 2 || st.Objects != 2 || st.Waiters != 1 || st.Requests < 6 {
		t.Fatalf("Stats = %+v", st)
	}

	s.Close()
	if _, err := s.Stats(ctx); !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Stats after Close: %v", err)
	}
}

func TestInspectContext(t *testing.T) {
	s, err := New(&Config{Addr: "127.0.0.1:0", DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// Not serving: the query cannot run; ctx ends it.
	if _, err := s.Objects(ctx, ""); !errors.Is(err, context.Canceled) {
		t.Fatalf("Objects with a done ctx: %v", err)
	}
}
