package service

import (
	"slices"
	"syscall"
	"testing"
)

// windowsArg is syscall.EscapeArg, which mgr.CreateService applies to the
// arguments kardianos hands it: the command line runnerctl renders (and
// compares with the installed one) is the one the SCM keeps.
func TestWindowsArgIsEscapeArg(t *testing.T) {
	for _, v := range append(slices.Clone(hostile), `C:\a b\`, `C:\a b\\`, `\\server\share\x`, `a\\\"b`, `"a b"`, ` `, `\ "`, "") {
		if got, want := windowsArg(v), syscall.EscapeArg(v); got != want {
			t.Errorf("windowsArg(%q) = %s, syscall.EscapeArg: %s", v, got, want)
		}
	}
}
