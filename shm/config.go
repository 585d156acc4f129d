package shm

import (
	"os"
	"time"

	"github.com/latchkey/latchkey"
)

// Config configures a [Manager]. The zero value of each field means its
// default.
type Config struct {
	// Dir is the directory of the objects' files. "" means /dev/shm,
	// the shared-memory file system of Linux. Every process that shares
	// objects must use the same directory, on the same host.
	Dir string
	// Mode is the permission bits of the files this Manager creates.
	// 0 means 0600: only processes of the same user can open them.
	Mode os.FileMode
	// CheckInterval is how long a blocked call waits before it checks
	// whether the process it waits for (a lock's holder, a semaphore's
	// permit holders, the holder of an object's internal guard) died,
	// and how long a holder found alive is trusted by TryLock and
	// TryAcquire. It bounds how long a dead holder goes unnoticed; a
	// check costs one read of /proc/<pid>/stat. 0 means 100ms.
	CheckInterval time.Duration
}

// DefaultConfig returns the default configuration.
func DefaultConfig() Config {
	return Config{Dir: "/dev/shm", Mode: 0o600, CheckInterval: 100 * time.Millisecond}
}

// withDefaults returns c with its zero fields set to their defaults.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Dir == "" {
		c.Dir = d.Dir
	}
	if c.Mode == 0 {
		c.Mode = d.Mode
	}
	if c.CheckInterval == 0 {
		c.CheckInterval = d.CheckInterval
	}
	return c
}

// Validate reports whether c is usable: a positive CheckInterval (or 0)
// and a Mode of permission bits only.
func (c *Config) Validate() error {
	switch {
	case c.CheckInterval < 0:
		return latchkey.Errorf(latchkey.KindInvalid, "shm: negative check interval %v", c.CheckInterval)
	case c.Mode&^os.ModePerm != 0:
		return latchkey.Errorf(latchkey.KindInvalid, "shm: mode %v has bits other than permissions", c.Mode)
	}
	return nil
}
