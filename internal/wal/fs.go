package wal

import (
	"errors"
	"io"
	"io/fs"
	"os"
)

// FS is every file system operation the log makes, so that tests can
// inject failures (short writes, write and fsync errors) and crashes
// through [Options.FS]; [MemFS] is such a file system. The log uses the
// operating system's (osFS) when Options.FS is nil.
type FS interface {
	MkdirAll(dir string, perm fs.FileMode) error
	OpenFile(name string, flag int, perm fs.FileMode) (File, error)
	Rename(oldpath, newpath string) error
	Remove(name string) error
	// ReadDir returns the names of the entries of dir.
	ReadDir(dir string) ([]string, error)
	// SyncDir makes dir's entries (created, renamed and removed files)
	// durable.
	SyncDir(dir string) error
	// Lock takes an exclusive lock on dir, held until unlock is called, or
	// fails with ErrLocked.
	Lock(dir string) (unlock func() error, err error)
}

// File is an open file of an [FS]. The log writes only through files
// opened with O_APPEND (segments) or O_TRUNC (snapshots), and reads with
// ReadAt.
type File interface {
	io.ReaderAt
	io.Writer
	io.Closer
	Sync() error
	Truncate(size int64) error
	Stat() (fs.FileInfo, error)
}

// osFS is the operating system's file system.
type osFS struct{}

func (osFS) MkdirAll(dir string, perm fs.FileMode) error { return os.MkdirAll(dir, perm) }
func (osFS) Rename(oldpath, newpath string) error        { return os.Rename(oldpath, newpath) }
func (osFS) Remove(name string) error                    { return os.Remove(name) }
func (osFS) SyncDir(dir string) error                    { return syncDir(dir) }
func (osFS) Lock(dir string) (func() error, error)       { return lockDir(dir) }

func (osFS) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err // a nil *os.File must not become a non-nil File
	}
	return f, nil
}

func (osFS) ReadDir(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.Name()
	}
	return names, err
}

// fileErr returns err, which op on the file name returned, naming the
// file once: errors from os already do.
func fileErr(op, name string, err error) error {
	if _, ok := errors.AsType[*fs.PathError](err); ok {
		return err
	}
	return &fs.PathError{Op: op, Path: name, Err: err}
}
