package wal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"slices"
	"sync"
	"time"
)

// This file is test support: a file system that injects failures and
// crashes under a [Log], for the tests of this package and of the server
// (through [Options.FS]). Nothing else uses it.

// ErrPowerCut is the error of every operation of a [MemFS] between
// [MemFS.PowerCut] and [MemFS.Crash].
var ErrPowerCut = errors.New("wal: memfs: the power is cut")

// errCrashed fails the handles opened before a crash.
var errCrashed = errors.New("wal: memfs: handle from before the crash")

// MemFS is an in-memory [FS] for tests. It remembers what was fsynced, so
// that a test can inject write and fsync failures ([MemFS.SetFaults]),
// block fsyncs ([MemFS.SetBeforeSync]) and simulate a power loss
// ([MemFS.PowerCut], [MemFS.Crash]): a crash drops what was not fsynced
// (or keeps a torn part of it) and forgets directory entries that were
// not fsynced. Writes always append: the log opens files for writing only
// with O_APPEND or O_TRUNC. Paths are slash-separated; directories are
// durable as soon as they are made.
//
// A MemFS is safe for concurrent use. The zero value is not usable: call
// [NewMemFS].
type MemFS struct {
	mu     sync.Mutex           // guards every field below and every memInode
	files  map[string]*memInode // the namespace
	synced map[string]*memInode // the namespace as of the last SyncDir of each directory
	dirs   map[string]bool      // directories (durable at once)
	locked map[string]bool      // directories locked by Lock
	gen    int                  // incremented by Crash: older handles fail
	down   bool                 // between PowerCut and Crash: everything fails
	syncs  int                  // successful file fsyncs
	writes int                  // file writes attempted
	// Fault hooks, called with mu held; nil means none.
	writeFault func(name string, p []byte) (int, error) // a non-nil error writes only p[:n] and fails
	syncFault  func(name string) error                  // a non-nil error fails the fsync, syncing nothing
	// beforeSync is called without mu before each file fsync (to block it).
	beforeSync func(name string)
}

type memInode struct {
	data   []byte
	synced []byte // data as of the last fsync
}

var _ FS = (*MemFS)(nil)

// NewMemFS returns an empty MemFS with the directory "/".
func NewMemFS() *MemFS {
	return &MemFS{files: map[string]*memInode{}, synced: map[string]*memInode{}, dirs: map[string]bool{"/": true}, locked: map[string]bool{}}
}

func pathErr(op, name string, err error) error { return &fs.PathError{Op: op, Path: name, Err: err} }

// up returns ErrPowerCut as an error of op on name while the power is
// cut; m.mu is held.
func (m *MemFS) up(op, name string) error {
	if m.down {
		return pathErr(op, name, ErrPowerCut)
	}
	return nil
}

// MkdirAll implements [FS].
func (m *MemFS) MkdirAll(dir string, _ fs.FileMode) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.up("mkdir", dir); err != nil {
		return err
	}
	for d := path.Clean(dir); !m.dirs[d]; d = path.Dir(d) {
		m.dirs[d] = true
	}
	return nil
}

// OpenFile implements [FS].
func (m *MemFS) OpenFile(name string, flag int, _ fs.FileMode) (File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.up("open", name); err != nil {
		return nil, err
	}
	if !m.dirs[path.Dir(name)] {
		return nil, pathErr("open", name, fs.ErrNotExist)
	}
	ino := m.files[name]
	switch {
	case ino == nil && flag&os.O_CREATE == 0:
		return nil, pathErr("open", name, fs.ErrNotExist)
	case ino != nil && flag&os.O_CREATE != 0 && flag&os.O_EXCL != 0:
		return nil, pathErr("open", name, fs.ErrExist)
	case ino == nil:
		ino = &memInode{}
		m.files[name] = ino
	case flag&os.O_TRUNC != 0:
		ino.data = nil
	}
	return &memFile{m: m, name: name, ino: ino, gen: m.gen, writable: flag&(os.O_WRONLY|os.O_RDWR) != 0}, nil
}

// Rename implements [FS].
func (m *MemFS) Rename(oldpath, newpath string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.up("rename", oldpath); err != nil {
		return err
	}
	ino := m.files[oldpath]
	if ino == nil {
		return pathErr("rename", oldpath, fs.ErrNotExist)
	}
	delete(m.files, oldpath)
	m.files[newpath] = ino
	return nil
}

// Remove implements [FS].
func (m *MemFS) Remove(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.up("remove", name); err != nil {
		return err
	}
	if m.files[name] == nil {
		return pathErr("remove", name, fs.ErrNotExist)
	}
	delete(m.files, name)
	return nil
}

// ReadDir implements [FS].
func (m *MemFS) ReadDir(dir string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.up("readdir", dir); err != nil {
		return nil, err
	}
	if !m.dirs[path.Clean(dir)] {
		return nil, pathErr("readdir", dir, fs.ErrNotExist)
	}
	var names []string
	for name := range m.files {
		if path.Dir(name) == path.Clean(dir) {
			names = append(names, path.Base(name))
		}
	}
	slices.Sort(names)
	return names, nil
}

// SyncDir implements [FS].
func (m *MemFS) SyncDir(dir string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.up("sync", dir); err != nil {
		return err
	}
	dir = path.Clean(dir)
	for name := range m.synced {
		if path.Dir(name) == dir && m.files[name] == nil {
			delete(m.synced, name)
		}
	}
	for name, ino := range m.files {
		if path.Dir(name) == dir {
			m.synced[name] = ino
		}
	}
	return nil
}

// Lock implements [FS]. A crash releases every lock.
func (m *MemFS) Lock(dir string) (func() error, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.up("lock", dir); err != nil {
		return nil, err
	}
	if m.locked[dir] {
		return nil, fmt.Errorf("%w: %s", ErrLocked, dir)
	}
	m.locked[dir] = true
	gen := m.gen
	return func() error {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.gen == gen {
			delete(m.locked, dir)
		}
		return nil
	}, nil
}

// CrashMode says what [MemFS.Crash] keeps of the data written since the
// last fsync of each file.
type CrashMode int

const (
	// CrashDrop keeps nothing.
	CrashDrop CrashMode = iota
	// CrashPrefix keeps a random prefix (a torn write).
	CrashPrefix
	// CrashZeros keeps a random length of zeros (blocks allocated, data
	// never written).
	CrashZeros
)

// String returns "drop", "prefix" or "zeros".
func (c CrashMode) String() string {
	switch c {
	case CrashDrop:
		return "drop"
	case CrashPrefix:
		return "prefix"
	case CrashZeros:
		return "zeros"
	}
	return fmt.Sprintf("CrashMode(%d)", int(c))
}

// PowerCut simulates the moment of a power loss: from now until
// [MemFS.Crash], every operation of m and of its open files fails with
// an error wrapping [ErrPowerCut], so that what was fsynced no longer
// changes while the program that was writing notices and stops.
func (m *MemFS) PowerCut() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.down = true
}

// Crash simulates a power loss (if [MemFS.PowerCut] did not already cut
// the power) and a reboot: the namespace goes back to what was fsynced,
// each file to its fsynced data plus what mode keeps (rng chooses how
// much; it may be nil with CrashDrop), locks are released, handles opened
// before fail, and the power is back.
func (m *MemFS) Crash(mode CrashMode, rng *rand.Rand) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gen++
	m.down = false
	m.locked = map[string]bool{}
	m.files = map[string]*memInode{}
	for name, ino := range m.synced {
		m.files[name] = ino
	}
	for _, ino := range m.files {
		data := slices.Clone(ino.synced)
		if extra := len(ino.data) - len(ino.synced); extra > 0 && bytes.HasPrefix(ino.data, ino.synced) && mode != CrashDrop {
			k := rng.IntN(extra + 1)
			if mode == CrashPrefix {
				data = append(data, ino.data[len(ino.synced):len(ino.synced)+k]...)
			} else {
				data = append(data, make([]byte, k)...)
			}
		}
		ino.data, ino.synced = data, slices.Clone(data)
	}
}

// SyncCount returns the number of successful file fsyncs so far.
func (m *MemFS) SyncCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.syncs
}

// SetBeforeSync sets a function called before each file fsync, without
// m's lock held, so that it may block the fsync; nil removes it.
func (m *MemFS) SetBeforeSync(h func(name string)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.beforeSync = h
}

// SetFaults sets the fault hooks; nil removes one. write is called for
// each file write with the file's name and the bytes: a non-nil error
// writes only p[:n] and fails the write with it. sync is called for each
// file fsync: a non-nil error fails the fsync, which syncs nothing. Both
// are called with m's lock held: they must not call m's methods.
func (m *MemFS) SetFaults(write func(name string, p []byte) (int, error), sync func(name string) error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.writeFault, m.syncFault = write, sync
}

// ReadFile returns the content of the file name, fsynced or not.
func (m *MemFS) ReadFile(name string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ino := m.files[name]
	if ino == nil {
		return nil, pathErr("read", name, fs.ErrNotExist)
	}
	return slices.Clone(ino.data), nil
}

// WriteFile replaces the content of the file name, durably (its
// directory must exist).
func (m *MemFS) WriteFile(name string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.dirs[path.Dir(name)] {
		return pathErr("write", name, fs.ErrNotExist)
	}
	ino := &memInode{data: slices.Clone(data), synced: slices.Clone(data)}
	m.files[name], m.synced[name] = ino, ino
	return nil
}

type memFile struct {
	m        *MemFS
	name     string
	ino      *memInode
	gen      int
	writable bool
	closed   bool
}

// check returns why the handle cannot be used; m.mu is held.
func (f *memFile) check(op string) error {
	switch {
	case f.m.down:
		return pathErr(op, f.name, ErrPowerCut)
	case f.closed:
		return pathErr(op, f.name, fs.ErrClosed)
	case f.gen != f.m.gen:
		return pathErr(op, f.name, errCrashed)
	}
	return nil
}

func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.check("read"); err != nil {
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if off >= int64(len(f.ino.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.ino.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *memFile) Write(p []byte) (int, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.check("write"); err != nil {
		return 0, err
	}
	if !f.writable {
		return 0, pathErr("write", f.name, fs.ErrPermission)
	}
	f.m.writes++
	n, err := len(p), error(nil)
	if f.m.writeFault != nil {
		if n2, ferr := f.m.writeFault(f.name, p); ferr != nil {
			n, err = n2, pathErr("write", f.name, ferr)
		}
	}
	f.ino.data = append(f.ino.data, p[:n]...)
	return n, err
}

func (f *memFile) Sync() error {
	f.m.mu.Lock()
	h := f.m.beforeSync
	f.m.mu.Unlock()
	if h != nil {
		h(f.name)
	}
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.check("sync"); err != nil {
		return err
	}
	if f.m.syncFault != nil {
		if err := f.m.syncFault(f.name); err != nil {
			return pathErr("sync", f.name, err)
		}
	}
	f.ino.synced = slices.Clone(f.ino.data)
	f.m.syncs++
	return nil
}

func (f *memFile) Truncate(size int64) error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.check("truncate"); err != nil {
		return err
	}
	if size < int64(len(f.ino.data)) {
		f.ino.data = f.ino.data[:size:size]
	} else {
		f.ino.data = append(f.ino.data, make([]byte, size-int64(len(f.ino.data)))...)
	}
	return nil
}

func (f *memFile) Stat() (fs.FileInfo, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.check("stat"); err != nil {
		return nil, err
	}
	return memInfo{name: path.Base(f.name), size: int64(len(f.ino.data))}, nil
}

func (f *memFile) Close() error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.check("close"); err != nil {
		return err
	}
	f.closed = true
	return nil
}

type memInfo struct {
	name string
	size int64
}

func (i memInfo) Name() string       { return i.name }
func (i memInfo) Size() int64        { return i.size }
func (i memInfo) Mode() fs.FileMode  { return 0o600 }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return false }
func (i memInfo) Sys() any           { return nil }
