package wal_test

import (
	"fmt"
	"log"
	"os"

	"github.com/latchkey/latchkey/internal/wal"
)

// An owner goroutine appends each input, applies it, and releases the
// reply once the record is durable. A restart replays the log.
func Example() {
	dir, err := os.MkdirTemp("", "wal-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	l, err := wal.Open(wal.Options{Dir: dir})
	if err != nil {
		log.Fatal(err)
	}
	var held []uint64 // replies waiting for their record
	for _, cmd := range []string{"acquire a", "release a", "acquire b"} {
		i, err := l.Append([]byte(cmd))
		if err != nil {
			log.Fatal(err)
		}
		held = append(held, i)
	}
	for len(held) > 0 {
		<-l.Notify()
		if err := l.Err(); err != nil {
			log.Fatal(err)
		}
		for len(held) > 0 && held[0] <= l.Durable() {
			fmt.Println("reply for record", held[0])
			held = held[1:]
		}
	}
	if err := l.WriteSnapshot(2, []byte("b free, a free")); err != nil {
		log.Fatal(err)
	}
	l.Close()

	l, err = wal.Open(wal.Options{Dir: dir})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	index, state, err := l.Snapshot()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("snapshot at %d: %s\n", index, state)
	err = l.Replay(index, func(i uint64, rec []byte) error {
		fmt.Printf("replay %d: %s\n", i, rec)
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// reply for record 1
	// reply for record 2
	// reply for record 3
	// snapshot at 2: b free, a free
	// replay 3: acquire b
}
