package service

import "syscall"

// dieWithSupervisor makes the kernel send the listener SIGINT (its
// graceful stop) when the supervisor dies, even by SIGKILL: a listener
// left behind would poll with the same credentials as the one the
// restarted supervisor starts (the real runner's session conflict), and
// take a job no supervisor watches.
func dieWithSupervisor(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGINT }
