// Package platform holds the facts about the host OS that the rest of
// runnerctl needs: default paths, GitHub's package names, the runner
// package's layout (scripts, listener), users and privileges, and the
// file primitives every package shares (atomic writes, JSON records,
// opening a file a less trusted user can write). It is a leaf: it imports
// nothing of ours. Its subpackage backoff is a leaf too.
//
// Per-OS code is chosen by file name only, as in package service:
// _linux.go, _darwin.go and _windows.go for one OS; _unix.go for every OS
// but Windows; _nolinux.go for every OS but Linux; _other.go the fallback
// for the OSes that have no file of their own for that topic (here macOS
// among them: no file of this package is macOS-only yet). runtime.GOOS is
// read only where it is the value wanted: the host's package OS name, a
// message.
package platform
