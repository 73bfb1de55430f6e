// Package platform holds the facts about the host OS that the rest of
// runnerctl needs: default paths, GitHub's package names, the runner
// package's layout (scripts, listener), users and privileges, and the
// file primitives every package shares (atomic writes, JSON records,
// opening a file a less trusted user can write). It is a leaf: it imports
// nothing of ours.
//
// Per-OS code is chosen by file name only (runtime.GOOS is read only to
// name the host's package): _linux.go and _windows.go for one OS;
// _unix.go for every OS but Windows (Linux, macOS, the BSDs); _other.go
// for the OSes that are neither Linux nor Windows (macOS, and the
// fallback for the rest); _nolinux.go for every OS but Linux. macOS has no
// file of its own: its facts are those of the _unix.go and _other.go files.
package platform
