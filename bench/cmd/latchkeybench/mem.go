package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/latchkey/latchkey/bench/internal/kit"
	"github.com/latchkey/latchkey/client"
)

// handlesPerSession keeps the memory figure's sessions well under the
// server's default MaxHandles (10000).
const handlesPerSession = 5000

// memory reads the server's resident set size (VmRSS in
// /proc/PID/status) before and after creating b.memObj idle locks (each
// with one open handle, handlesPerSession per session), then after
// opening b.memSess idle sessions (one TCP connection each), and reports
// the growth per lock and per session. RSS includes the Go heap's
// garbage and free spans not yet returned to the OS, so the figures are
// upper bounds; larger counts make them steadier.
func (b *bench) memory(ctx context.Context) error {
	rss0, err := settledRSS(b.serverPID)
	if err != nil {
		return err
	}
	p := &pool{b: b, network: "tcp"}
	defer p.close()
	name := unique("mem")
	var c *client.Client
	for i := range b.memObj {
		if i%handlesPerSession == 0 {
			if c, err = p.dial(ctx); err != nil {
				return err
			}
		}
		if _, err := c.Lock(ctx, fmt.Sprintf("%s/%d", name, i)); err != nil {
			return fmt.Errorf("lock %d: %w", i, err)
		}
	}
	objSessions := len(p.clients)
	rss1, err := settledRSS(b.serverPID)
	if err != nil {
		return err
	}
	for range b.memSess {
		if _, err := p.dial(ctx); err != nil {
			return fmt.Errorf("session %d: %w", len(p.clients)-objSessions, err)
		}
	}
	rss2, err := settledRSS(b.serverPID)
	if err != nil {
		return err
	}
	if err := emitMem(b, "mem_object", objSessions, b.memObj,
		fmt.Sprintf("idle Lock with one open handle (%d handles per session), server VmRSS growth", handlesPerSession),
		rss0, rss1); err != nil {
		return err
	}
	return emitMem(b, "mem_session", b.memSess, b.memSess,
		"idle session, one TCP connection each, no handles, server VmRSS growth", rss1, rss2)
}

func emitMem(b *bench, bench string, clients, count int, variant string, before, after int64) error {
	return kit.Emit(b.out, kit.Record{Peer: b.peer, Bench: bench, Clients: clients, Variant: variant,
		Ops: int64(count),
		Extra: map[string]any{
			"bytes":         (after - before) / int64(count),
			"count":         count,
			"rss_before_kb": before / 1024,
			"rss_after_kb":  after / 1024,
			"ops_per_s":     nil, "p50_us": nil, "p99_us": nil, "dur_s": nil,
		}})
}

// settledRSS reads pid's VmRSS every 200ms until two readings differ by
// less than 64 KiB (or ten readings were taken) and returns the last one.
func settledRSS(pid int) (int64, error) {
	prev, err := readRSS(pid)
	if err != nil {
		return 0, err
	}
	for range 10 {
		time.Sleep(200 * time.Millisecond) // sampling a process, not synchronizing
		cur, err := readRSS(pid)
		if err != nil {
			return 0, err
		}
		if d := cur - prev; d < 64<<10 && d > -64<<10 {
			return cur, nil
		}
		prev = cur
	}
	return prev, nil
}

// readRSS returns pid's VmRSS in bytes.
func readRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("server memory: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, fmt.Errorf("server memory: odd VmRSS line %q", sc.Text())
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("server memory: %w", err)
		}
		return kb * 1024, nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("server memory: %w", err)
	}
	return 0, fmt.Errorf("server memory: no VmRSS in /proc/%d/status", pid)
}
