package wire_test

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
)

// A client pipelines an Open and a Put in one write; the server's read
// loop decodes them into one reused Request and answers through a Writer.
func Example() {
	var toServer, toClient bytes.Buffer

	// Client: two requests, one flush.
	cw := wire.NewWriter(&toServer, wire.DefaultMaxFrame)
	_ = cw.Write(&wire.Request{ID: 1, Op: wire.OpOpen, Object: wire.ObjectQueue, Handle: 1, Name: "jobs",
		Ints: []int64{int64(latchkey.FIFO), 100}})
	_ = cw.Write(&wire.Request{ID: 2, Op: wire.OpQueuePut, Object: wire.ObjectQueue, Handle: 1, Name: "jobs",
		Bytes: [][]byte{[]byte("build #42")}})
	_ = cw.Flush()

	// Server: read, decode, answer.
	sr := wire.NewReader(&toServer, wire.DefaultMaxFrame)
	sw := wire.NewWriter(&toClient, wire.DefaultMaxFrame)
	var q wire.Request
	for {
		t, p, err := sr.ReadFrame()
		if err != nil {
			break // io.EOF: the client is done
		}
		if t != wire.TypeRequest || q.Decode(p) != nil {
			_ = sw.Write(&wire.Goodbye{Reason: wire.ReasonProtocol})
			break
		}
		fmt.Printf("server: request %d %v %q ints=%v bytes=%q blocks=%v\n", q.ID, q.Op, q.Name, q.Ints, q.Bytes, q.Op.Blocking())
		_ = sw.Write(&wire.Response{ID: q.ID})
	}
	_ = sw.Write(&wire.Response{ID: 3, Status: wire.StatusError, Kind: latchkey.KindFull, Message: "latchkey: queue is full"})
	_ = sw.Flush()

	// Client: match responses to requests by id.
	cr := wire.NewReader(&toClient, wire.DefaultMaxFrame)
	var r wire.Response
	for {
		_, p, err := cr.ReadFrame()
		if err != nil {
			break
		}
		if err := r.Decode(p); err != nil {
			break
		}
		err = r.Err()
		fmt.Printf("client: response %d: err=%v full=%v\n", r.ID, err, errors.Is(err, latchkey.ErrFull))
	}
	// Output:
	// server: request 1 Open "jobs" ints=[0 100] bytes=[] blocks=false
	// server: request 2 Queue.Put "jobs" ints=[] bytes=["build #42"] blocks=true
	// client: response 1: err=<nil> full=false
	// client: response 2: err=<nil> full=false
	// client: response 3: err=latchkey: queue is full full=true
}

// A client answers the server's Challenge with the MAC of the nonce and its
// Hello payload; the server checks it.
func ExampleAuthMAC() {
	key := []byte("shared secret")
	hello, _ := wire.Append(nil, &wire.Hello{Version: wire.Version, Label: "cron"})
	helloPayload := hello[4:] // as sent, without the length prefix

	var ch wire.Challenge
	ch.Method = wire.AuthHMAC
	copy(ch.Nonce[:], "a fresh random nonce, 32 bytes!!")

	auth := wire.Auth{MAC: wire.AuthMAC(key, &ch.Nonce, helloPayload)}
	fmt.Println(wire.CheckAuth(key, &ch.Nonce, helloPayload, &auth.MAC))
	fmt.Println(wire.CheckAuth([]byte("wrong key"), &ch.Nonce, helloPayload, &auth.MAC))
	// Output:
	// true
	// false
}
