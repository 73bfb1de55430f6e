//go:build !windows

package service

import ks "github.com/kardianos/service"

// stopWhenDone does nothing outside Windows: kardianos' Run returns when
// RunWait (program.wait) does, which it does when the supervisor ends.
func stopWhenDone(ks.Service, <-chan struct{}) {}
