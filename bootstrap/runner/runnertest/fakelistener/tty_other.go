//go:build !linux && !darwin

package main

import "os"

// isTerminal: the fake package exists for Linux and macOS only.
func isTerminal(*os.File) bool { return false }
