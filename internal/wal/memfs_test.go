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
	"testing"
	"time"
)

// memFS is an in-memory fileSystem that remembers what was fsynced, so
// that tests can inject write and fsync failures and simulate a crash:
// crash drops what was not fsynced (or keeps a torn part of it) and
// forgets directory entries that were not fsynced. Writes always append:
// the log opens files for writing only with O_APPEND or O_TRUNC.
type memFS struct {
	mu     sync.Mutex           // guards every field below and every memInode
	files  map[string]*memInode // the namespace
	synced map[string]*memInode // the namespace as of the last SyncDir of each directory
	dirs   map[string]bool      // directories (durable at once)
	locked map[string]bool      // directories locked by Lock
	gen    int                  // incremented by crash: older handles fail
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

var errCrashed = errors.New("memfs: handle from before the crash")

func newMemFS() *memFS {
	return &memFS{files: map[string]*memInode{}, synced: map[string]*memInode{}, dirs: map[string]bool{"/": true}, locked: map[string]bool{}}
}

func pathErr(op, name string, err error) error { return &fs.PathError{Op: op, Path: name, Err: err} }

func (m *memFS) MkdirAll(dir string, _ fs.FileMode) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for d := path.Clean(dir); !m.dirs[d]; d = path.Dir(d) {
		m.dirs[d] = true
	}
	return nil
}

func (m *memFS) OpenFile(name string, flag int, _ fs.FileMode) (file, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
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

func (m *memFS) Rename(oldpath, newpath string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	ino := m.files[oldpath]
	if ino == nil {
		return pathErr("rename", oldpath, fs.ErrNotExist)
	}
	delete(m.files, oldpath)
	m.files[newpath] = ino
	return nil
}

func (m *memFS) Remove(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.files[name] == nil {
		return pathErr("remove", name, fs.ErrNotExist)
	}
	delete(m.files, name)
	return nil
}

func (m *memFS) ReadDir(dir string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
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

func (m *memFS) SyncDir(dir string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
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

func (m *memFS) Lock(dir string) (func() error, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
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

// crashMode says what a crash keeps of the data written since the last
// fsync of each file.
type crashMode int

const (
	crashDrop   crashMode = iota // nothing
	crashPrefix                  // a random prefix (a torn write)
	crashZeros                   // a random length of zeros (blocks allocated, data never written)
	numCrashModes
)

// crash simulates a power loss and a restart: the namespace goes back to
// what was fsynced, each file to its fsynced data plus what mode keeps,
// locks are released, and handles opened before fail.
func (m *memFS) crash(mode crashMode, rng *rand.Rand) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gen++
	m.locked = map[string]bool{}
	m.files = map[string]*memInode{}
	for name, ino := range m.synced {
		m.files[name] = ino
	}
	for _, ino := range m.files {
		data := slices.Clone(ino.synced)
		if extra := len(ino.data) - len(ino.synced); extra > 0 && bytes.HasPrefix(ino.data, ino.synced) && mode != crashDrop {
			k := rng.IntN(extra + 1)
			if mode == crashPrefix {
				data = append(data, ino.data[len(ino.synced):len(ino.synced)+k]...)
			} else {
				data = append(data, make([]byte, k)...)
			}
		}
		ino.data, ino.synced = data, slices.Clone(data)
	}
}

// syncCount returns the number of successful file fsyncs so far.
func (m *memFS) syncCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.syncs
}

func (m *memFS) setBeforeSync(h func(name string)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.beforeSync = h
}

func (m *memFS) setFaults(write func(string, []byte) (int, error), sync func(string) error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.writeFault, m.syncFault = write, sync
}

func (m *memFS) readFile(t testing.TB, name string) []byte {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	ino := m.files[name]
	if ino == nil {
		t.Fatalf("readFile %s: no such file", name)
	}
	return slices.Clone(ino.data)
}

// writeFile replaces a file's content, durably.
func (m *memFS) writeFile(t testing.TB, name string, data []byte) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	ino := &memInode{data: slices.Clone(data), synced: slices.Clone(data)}
	m.files[name], m.synced[name] = ino, ino
}

type memFile struct {
	m        *memFS
	name     string
	ino      *memInode
	gen      int
	writable bool
	closed   bool
}

// check returns why the handle cannot be used; m.mu is held.
func (f *memFile) check(op string) error {
	switch {
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
