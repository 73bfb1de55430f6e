//go:build !linux && !darwin && !windows

package main

import "os"

// isTerminal: the fake package exists for Linux, macOS and Windows only.
func isTerminal(*os.File) bool { return false }
