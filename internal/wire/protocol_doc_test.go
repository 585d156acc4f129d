package wire_test

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
)

// These tests keep docs/protocol.md and the codec in step: the tables of
// numbers and names, and the hex examples, must match the code.

const protocolDoc = "../../docs/protocol.md"

// docTables returns the rows (cells, trimmed) of each table that follows a
// "<!-- table:NAME -->" marker, header and separator excluded.
func docTables(t *testing.T) map[string][][]string {
	t.Helper()
	f, err := os.Open(protocolDoc)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tables := map[string][][]string{}
	var cur string
	var line int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		s := sc.Text()
		if name, ok := strings.CutPrefix(s, "<!-- table:"); ok {
			cur, line = strings.TrimSuffix(name, " -->"), 0
			continue
		}
		if cur == "" {
			continue
		}
		if !strings.HasPrefix(s, "|") {
			if line > 0 {
				cur = ""
			}
			continue
		}
		line++
		if line <= 2 {
			continue // header and separator
		}
		cells := strings.Split(strings.Trim(s, "|"), " | ")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		tables[cur] = append(tables[cur], cells)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return tables
}

func TestProtocolDocOps(t *testing.T) {
	rows := docTables(t)["ops"]
	documented := map[wire.Op]bool{}
	for _, r := range rows {
		n, err := strconv.ParseUint(strings.TrimPrefix(r[0], "0x"), 16, 16)
		if err != nil {
			t.Errorf("ops row %q: %v", r, err)
			continue
		}
		op := wire.Op(n)
		documented[op] = true
		if !op.Known() || op.String() != r[1] {
			t.Errorf("protocol.md lists op %s as %q; the code calls it %q", r[0], r[1], op.String())
		}
		if want := map[bool]string{true: "yes", false: "no"}[op.Blocking()]; r[2] != want {
			t.Errorf("op %v: protocol.md says blocks %q, the code %q", op, r[2], want)
		}
		if typ, _, ok := strings.Cut(r[1], "."); ok && op.Object().String() != typ {
			t.Errorf("op %v: high byte is object %v, name says %s", op, op.Object(), typ)
		}
		if len(r) != 8 {
			t.Errorf("op %v: %d columns, want 8", op, len(r))
		}
	}
	for _, op := range wire.AllOps() {
		if !documented[op] {
			t.Errorf("op %#04x %v is not in protocol.md", uint16(op), op)
		}
	}
}

func TestProtocolDocNumbers(t *testing.T) {
	tables := docTables(t)
	check := func(table string, name func(n uint64) string, count int) {
		t.Helper()
		rows := tables[table]
		if len(rows) != count {
			t.Errorf("table %s has %d rows, the code defines %d values", table, len(rows), count)
		}
		for _, r := range rows {
			n, err := strconv.ParseUint(r[0], 10, 16)
			if err != nil {
				t.Errorf("table %s row %q: %v", table, r, err)
				continue
			}
			if got := name(n); !strings.EqualFold(got, r[1]) {
				t.Errorf("table %s: %d is %q in protocol.md, %q in the code", table, n, r[1], got)
			}
		}
	}
	countKnown := func(name func(n uint64) string, unknownPrefix string, from uint64) int {
		n := from
		for !strings.HasPrefix(name(n), unknownPrefix) {
			n++
		}
		return int(n - from)
	}
	typeName := func(n uint64) string { return wire.Type(n).String() }
	check("types", typeName, countKnown(typeName, "type(", 1))
	objName := func(n uint64) string { return wire.ObjectType(n).String() }
	check("objects", objName, countKnown(objName, "object(", 0))
	kindName := func(n uint64) string { return latchkey.Kind(n).String() }
	check("kinds", kindName, countKnown(kindName, "kind(", 0))
	reasonName := func(n uint64) string { return wire.Reason(n).String() }
	check("reasons", reasonName, countKnown(reasonName, "reason(", 0))
	eventName := func(n uint64) string { return wire.EventCode(n).String() }
	check("events", eventName, countKnown(eventName, "event(", 1))
	for _, r := range tables["kinds"] {
		if n, _ := strconv.Atoi(r[0]); n > 0 && r[2] != sentinelName(r[1]) {
			t.Errorf("kind %s: sentinel %q does not match name %q", r[0], r[2], r[1])
		}
	}
}

// sentinelName turns a kind's name into its sentinel's: "no permit" is
// ErrNoPermit, "over-release" ErrOverRelease.
func sentinelName(kind string) string {
	var b strings.Builder
	b.WriteString("Err")
	for _, w := range strings.FieldsFunc(kind, func(r rune) bool { return r == ' ' || r == '-' }) {
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}

// docExamples returns the bytes of each "<!-- example:NAME -->" block.
func docExamples(t *testing.T) map[string][]byte {
	t.Helper()
	data, err := os.ReadFile(protocolDoc)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	rest := string(data)
	for {
		_, after, ok := strings.Cut(rest, "<!-- example:")
		if !ok {
			return out
		}
		name, after, _ := strings.Cut(after, " -->")
		_, after, _ = strings.Cut(after, "```\n")
		block, after, _ := strings.Cut(after, "```")
		rest = after
		var hexDigits strings.Builder
		for line := range strings.Lines(block) {
			code, _, _ := strings.Cut(line, "#")
			hexDigits.WriteString(strings.Join(strings.Fields(code), ""))
		}
		b, err := hex.DecodeString(hexDigits.String())
		if err != nil {
			t.Fatalf("example %s: %v", name, err)
		}
		out[name] = b
	}
}

func TestProtocolDocExamples(t *testing.T) {
	var nonce [wire.NonceLen]byte
	for i := range nonce {
		nonce[i] = byte(i)
	}
	hello := &wire.Hello{Version: wire.Version, TTL: 10 * time.Second, PID: 4242, Host: "web-1", Label: "cron"}
	helloBytes, err := wire.Append(nil, hello)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]wire.Frame{
		"hello":     hello,
		"challenge": &wire.Challenge{Method: wire.AuthHMAC, Nonce: nonce},
		"auth":      &wire.Auth{MAC: wire.AuthMAC([]byte("secret"), &nonce, helloBytes[4:])},
		"welcome": &wire.Welcome{SessionID: 1, Token: []byte{0xa1, 0xb2, 0xc3, 0xd4}, TTL: 10 * time.Second,
			MaxFrame: 1 << 20, ServerVersion: "0.1.0"},
		"open": &wire.Request{ID: 1, Op: wire.OpOpen, Object: wire.ObjectQueue, Handle: 1, Name: "jobs",
			Ints: []int64{int64(latchkey.FIFO), 100}},
		"put": &wire.Request{ID: 2, Flags: wire.FlagAck, Ack: 1, Op: wire.OpQueuePut, Object: wire.ObjectQueue, Handle: 1, Name: "jobs",
			Bytes: [][]byte{[]byte("hi")}},
		"get-response":   &wire.Response{ID: 3, Ints: []int64{7}, Bytes: [][]byte{[]byte("hi")}},
		"error-response": &wire.Response{ID: 4, Status: wire.StatusError, Kind: latchkey.KindLocked, Message: "latchkey: locked"},
		"cancel":         &wire.Cancel{ID: 3},
		"goodbye":        &wire.Goodbye{Reason: wire.ReasonVersion, Message: "version 3 unsupported"},
	}
	got := docExamples(t)
	for name, f := range want {
		b, err := wire.Append(nil, f)
		if err != nil {
			t.Fatal(err)
		}
		doc, ok := got[name]
		if !ok {
			t.Errorf("example %s missing from protocol.md", name)
			continue
		}
		if !bytes.Equal(doc, b) {
			t.Errorf("example %s:\nprotocol.md % x\ncode        % x", name, doc, b)
		}
		if g, err := wire.Decode(doc[4:]); err != nil || !equalFrames(g, f) {
			t.Errorf("example %s does not decode to the frame: %v", name, err)
		}
	}
	if len(got) != len(want) {
		t.Errorf("protocol.md has %d examples, the test checks %d", len(got), len(want))
	}
}
