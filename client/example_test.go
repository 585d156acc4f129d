package client_test

import (
	"context"
	"fmt"
	"os"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/client"
	"github.com/latchkey/latchkey/server"
)

func ExampleDial() {
	ctx := context.Background()

	// A server on a free loopback port (normally: latchkey serve).
	dir, err := os.MkdirTemp("", "lkex")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	srv, err := server.New(&server.Config{Addr: "127.0.0.1:0", DataDir: dir, SocketPath: server.Disabled})
	if err != nil {
		panic(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()
	defer func() {
		srv.Close()
		<-served
	}()

	c, err := client.Dial(ctx, &client.Config{Addr: srv.Addr().String(), Label: "example"})
	if err != nil {
		panic(err)
	}
	defer c.Close()

	l, err := c.Lock(ctx, "deploy")
	if err != nil {
		panic(err)
	}
	fence, err := l.Lock(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println("locked with a fence:", fence > 0)
	if err := l.Unlock(ctx); err != nil {
		panic(err)
	}

	q, err := c.Queue(ctx, "jobs", latchkey.QueueOptions{})
	if err != nil {
		panic(err)
	}
	if err := q.Put(ctx, []byte("build")); err != nil {
		panic(err)
	}
	job, err := q.Get(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println("got job:", string(job))
	// Output:
	// locked with a fence: true
	// got job: build
}
