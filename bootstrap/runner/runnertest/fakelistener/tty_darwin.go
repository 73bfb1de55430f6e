package main

import (
	"os"
	"syscall"
	"unsafe"
)

// isTerminal is isatty: .NET's Console.IsInputRedirected (a character
// device such as /dev/null is not a terminal). The syscall package, not
// x/sys: only platform and service may import third-party modules.
func isTerminal(f *os.File) bool {
	var t syscall.Termios
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), uintptr(syscall.TIOCGETA), uintptr(unsafe.Pointer(&t)))
	return errno == 0
}
