package service

import ks "github.com/kardianos/service"

// stopWhenDone asks the SCM to stop the service once done is closed (the
// supervisor ended by itself): under the SCM, kardianos' Run returns only
// on a stop request. Run interactively, it returns on its own.
func stopWhenDone(sv ks.Service, done <-chan struct{}) {
	if ks.Interactive() {
		return
	}
	go func() {
		<-done
		_ = sv.Stop()
	}()
}
