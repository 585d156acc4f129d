//go:build !linux

package main

import "errors"

// errNotLinux is returned where the figures need Linux.
var errNotLinux = errors.New("shmbench runs on Linux only")

func clockMonotonic() (int64, error) { return 0, errNotLinux }

func cpus() string { return "?" }
