//go:build linux

// Command hostileracer is the runner user's process in the hostile-runner
// test (service/hostile_test.go): a job that swaps a directory of a runner
// tree for a symlink to a victim directory while root works on the tree.
//
//	hostileracer TARGET VICTIM
//
// It waits, polling, until TARGET (a directory of the runner tree, such as
// DIR/externals/node20) belongs to it, which is the moment a root process
// that walks the tree by path (chown -R) has given it over and goes on
// into it; then it exchanges TARGET with a symlink to VICTIM in one step
// (renameat2 RENAME_EXCHANGE). The walk's next paths under TARGET then
// resolve into VICTIM. When its standard input closes it puts TARGET back,
// removes its link and prints what it did.
//
// It is built and run by the test only (testdata is no package of runnerctl).
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: hostileracer TARGET VICTIM")
		os.Exit(2)
	}
	target, victim := os.Args[1], os.Args[2]
	link := filepath.Join(filepath.Dir(target), ".hostile-"+filepath.Base(target))
	var stop atomic.Bool
	stopped := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		stop.Store(true)
		close(stopped)
	}()
	me := uint32(os.Getuid())
	var st unix.Stat_t
	planted, swapped := false, false
	for !stop.Load() && !swapped {
		if !planted {
			// EACCES while the parent is root's, ENOENT before it exists.
			if err := os.Symlink(victim, link); err != nil && !errors.Is(err, os.ErrExist) {
				continue
			}
			planted = true
		}
		if err := unix.Lstat(target, &st); err != nil {
			if unix.Lstat(link, &st) != nil { // a rollback removed the tree
				planted = false
			}
			continue
		}
		if st.Mode&unix.S_IFMT != unix.S_IFDIR || st.Uid != me {
			continue
		}
		if unix.Renameat2(unix.AT_FDCWD, target, unix.AT_FDCWD, link, unix.RENAME_EXCHANGE) == nil {
			swapped = true
		}
	}
	<-stopped
	restored := !swapped || unix.Renameat2(unix.AT_FDCWD, target, unix.AT_FDCWD, link, unix.RENAME_EXCHANGE) == nil
	if fi, err := os.Lstat(link); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		_ = os.Remove(link)
	}
	fmt.Printf("planted=%v swapped=%v restored=%v\n", planted, swapped, restored)
}
