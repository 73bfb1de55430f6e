//go:build !linux && !windows

package service

import "syscall"

// dieWithSupervisor: no parent-death signal outside Linux; launchd stops
// the job's process group with the supervisor.
func dieWithSupervisor(*syscall.SysProcAttr) {}
