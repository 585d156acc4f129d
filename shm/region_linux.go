//go:build linux

package shm

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// mapFile maps the object file at path, creating it first if it does not
// exist: the new file gets size bytes, is filled by init while it has no
// name yet, and then gets its name in one atomic link. So no process ever
// sees a half-made object, and of several processes creating one name at
// once exactly one wins; the others map the winner's file.
func mapFile(path string, size int, mode os.FileMode, init func([]byte)) (data []byte, key fileKey, err error) {
	for range 8 {
		data, key, err = mapExisting(path)
		if !errors.Is(err, unix.ENOENT) {
			return data, key, err
		}
		data, key, err = createFile(path, size, mode, init)
		if !errors.Is(err, unix.EEXIST) {
			return data, key, err
		}
		// Another process linked the name first: map its file.
	}
	return nil, fileKey{}, fmt.Errorf("shm: %s keeps appearing and disappearing", path)
}

// mapExisting maps the whole file at path.
func mapExisting(path string) ([]byte, fileKey, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, fileKey{}, err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, fileKey{}, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG || st.Size < offBody || st.Size > maxFileSize {
		return nil, fileKey{}, mismatchf("shm: %s is not a latchkey object (size %d)", path, st.Size)
	}
	data, err := unix.Mmap(fd, 0, int(st.Size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fileKey{}, fmt.Errorf("shm: map %s: %w", path, err)
	}
	return data, fileKey{uint64(st.Dev), st.Ino}, nil
}

// createFile makes a new file of size bytes, fills it with init and links
// it at path. It returns an error satisfying errors.Is(err, unix.EEXIST)
// if path exists.
func createFile(path string, size int, mode os.FileMode, init func([]byte)) ([]byte, fileKey, error) {
	dir := filepath.Dir(path)
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, uint32(mode.Perm()))
	tmp := ""
	if err != nil {
		// No O_TMPFILE (an old kernel, or a file system without it): a
		// named temporary file, removed after the link.
		tmp = filepath.Join(dir, "."+filepath.Base(path)+".tmp-"+strconv.Itoa(os.Getpid())+"-"+strconv.FormatUint(randUint64(), 36))
		fd, err = unix.Open(tmp, unix.O_CREAT|unix.O_EXCL|unix.O_RDWR|unix.O_CLOEXEC, uint32(mode.Perm()))
		if err != nil {
			return nil, fileKey{}, fmt.Errorf("shm: create %s: %w", path, err)
		}
		defer unix.Unlink(tmp)
	}
	defer unix.Close(fd)
	if err := unix.Ftruncate(fd, int64(size)); err != nil {
		return nil, fileKey{}, fmt.Errorf("shm: size %s: %w", path, err)
	}
	data, err := unix.Mmap(fd, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fileKey{}, fmt.Errorf("shm: map %s: %w", path, err)
	}
	init(data)
	if tmp != "" {
		err = unix.Link(tmp, path)
	} else {
		err = unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), unix.AT_FDCWD, path, unix.AT_SYMLINK_FOLLOW)
	}
	if err != nil {
		unix.Munmap(data)
		if errors.Is(err, unix.EEXIST) {
			return nil, fileKey{}, err
		}
		return nil, fileKey{}, fmt.Errorf("shm: create %s: %w", path, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Munmap(data)
		return nil, fileKey{}, err
	}
	return data, fileKey{uint64(st.Dev), st.Ino}, nil
}

// unmap releases a mapping made by mapFile.
func unmap(data []byte) { unix.Munmap(data) }

// statKey returns the identity of the file at path.
func statKey(path string) (fileKey, error) {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return fileKey{}, err
	}
	return fileKey{uint64(st.Dev), st.Ino}, nil
}

// removeFile unlinks the file at path.
func removeFile(path string) error { return unix.Unlink(path) }

// isNotExist reports whether err says that a file does not exist.
func isNotExist(err error) bool { return errors.Is(err, unix.ENOENT) }

// supported reports whether shared-memory objects work on this system.
const supported = true
