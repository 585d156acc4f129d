package server

import (
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/latchkey/latchkey/internal/wal"
)

// openLog opens the write-ahead log in the data directory and rebuilds
// o's state from its snapshot and records, then records a restart (every
// session is detached, each with its whole TTL to come back).
func (o *owner) openLog() error {
	cfg := &o.s.cfg
	if cfg.Sync == SyncNone {
		return nil
	}
	mode, err := wal.ParseSyncMode(string(cfg.Sync)) // the other Sync names are wal's
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	l, err := wal.Open(wal.Options{Dir: filepath.Join(cfg.DataDir, "wal"), Sync: mode, Interval: cfg.SyncInterval, Repair: cfg.RepairLog, Logger: o.s.log, FS: cfg.walFS})
	if err != nil {
		return fmt.Errorf("server: opening the write-ahead log: %w", err)
	}
	if err := o.recover(l); err != nil {
		l.Close()
		return err
	}
	o.log = l
	o.do(&input{kind: inRestart})
	if mode != wal.SyncAlways {
		o.do(&input{kind: inEpoch, base: nextFenceBase(o.m.fenceBase)})
	}
	now := time.Now()
	for _, os := range o.sessions {
		os.lastSeen = now
	}
	return nil
}

// recover rebuilds o's state from l.
func (o *owner) recover(l *wal.Log) error {
	start := time.Now()
	idx, data, err := l.Snapshot()
	if err != nil {
		return fmt.Errorf("server: reading the snapshot: %w", err)
	}
	if data != nil {
		if err := o.restore(data); err != nil {
			return fmt.Errorf("server: snapshot %d: %w", idx, err)
		}
	}
	n := 0
	err = l.Replay(idx, func(i uint64, rec []byte) error {
		in, err := decodeInput(rec)
		if err != nil {
			return fmt.Errorf("record %d: %w", i, err)
		}
		o.exec(in) // a limit error was followed by the input that closed the session
		o.m.takeOutputs()
		n++
		return nil
	})
	if err != nil {
		return fmt.Errorf("server: replaying the write-ahead log: %w", err)
	}
	o.sinceSnap = n
	if data != nil || n > 0 {
		o.s.log.Info("state recovered", "snapshot", idx, "records", n, "sessions", len(o.sessions),
			"objects", len(o.m.objects), "took", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// snapshot starts writing a snapshot of the state as of the last record.
func (o *owner) snapshot() {
	idx := o.log.Last()
	data := o.appendSnapshot(nil)
	o.snapping, o.sinceSnap = true, 0
	l := o.log
	go func() { o.snapDone <- l.WriteSnapshot(idx, data) }()
}

// waitSnapshot waits for the snapshot being written, if any, so that its
// goroutine has finished before the log closes. The caller owns o: the
// owner goroutine, or New and Close when it never ran.
func (o *owner) waitSnapshot() {
	if o.snapping {
		<-o.snapDone
		o.snapping = false
	}
}

// The owner's snapshot: magic, version, the next session id, the owner's
// sessions, then the machine's snapshot.
const (
	ownerSnapMagic   = "LKOW"
	ownerSnapVersion = 1
)

// appendSnapshot appends the owner's state to b.
func (o *owner) appendSnapshot(b []byte) []byte {
	b = append(b, ownerSnapMagic...)
	b = binary.AppendUvarint(b, ownerSnapVersion)
	b = binary.AppendUvarint(b, o.nextID)
	b = binary.AppendUvarint(b, o.requests)
	b = binary.AppendUvarint(b, o.m.fenceBase)
	b = binary.AppendUvarint(b, uint64(len(o.sessions)))
	for _, id := range sortedKeys(o.sessions) {
		os := o.sessions[id]
		b = binary.AppendUvarint(b, id)
		b = appendBytes(b, os.token)
		b = binary.AppendUvarint(b, uint64(os.ttl.Milliseconds()))
		b = binary.AppendUvarint(b, os.pid)
		b = appendBytes(b, []byte(os.host))
		b = appendBytes(b, []byte(os.label))
	}
	return o.m.appendSnapshot(b)
}

// restore sets o's state from a snapshot made by appendSnapshot.
func (o *owner) restore(data []byte) error {
	if len(data) < len(ownerSnapMagic) || string(data[:len(ownerSnapMagic)]) != ownerSnapMagic {
		return errors.New("not a server snapshot (bad magic)")
	}
	d := recDecoder{b: data[len(ownerSnapMagic):]}
	if v := d.uvarint(); d.err == nil && v != ownerSnapVersion {
		return fmt.Errorf("snapshot version %d, this server reads %d", v, ownerSnapVersion)
	}
	nextID, requests, fenceBase := d.uvarint(), d.uvarint(), d.uvarint()
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.b)) {
		d.fail()
	}
	sessions := make(map[uint64]*ownerSession)
	for i := uint64(0); i < n && d.err == nil; i++ {
		os := &ownerSession{id: d.uvarint(), token: d.bytes()}
		os.ttl = time.Duration(d.uvarint()) * time.Millisecond
		os.pid = d.uvarint()
		os.host, os.label = string(d.bytes()), string(d.bytes())
		sessions[os.id] = os
	}
	if d.err != nil {
		return fmt.Errorf("owner state: %w", d.err)
	}
	m, err := restoreMachine(o.m.limits, d.b)
	if err != nil {
		return err
	}
	for id := range sessions {
		if m.sessions[id] == nil {
			return fmt.Errorf("session %d is in the owner state but not in the machine", id)
		}
	}
	if len(m.sessions) != len(sessions) {
		return fmt.Errorf("the machine has %d sessions, the owner state %d", len(m.sessions), len(sessions))
	}
	m.fenceBase = fenceBase
	o.m, o.sessions, o.nextID, o.requests = m, sessions, nextID, requests
	return nil
}
