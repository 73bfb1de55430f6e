package main

import (
	"os"
	"syscall"
)

// isTerminal is .NET's Console.IsInputRedirected on Windows: a console
// handle answers GetConsoleMode, a pipe or a file does not.
func isTerminal(f *os.File) bool {
	var mode uint32
	return syscall.GetConsoleMode(syscall.Handle(f.Fd()), &mode) == nil
}
