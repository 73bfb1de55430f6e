//go:build !windows

package service

import ks "github.com/kardianos/service"

// runManaged runs p through kardianos: under systemd, SysV and launchd
// its Run starts p, waits in RunWait (program.wait: a stop signal or the
// supervisor's end) and stops p.
func runManaged(name string, p *program) error {
	sv, err := ks.New(p, &ks.Config{Name: name, Option: ks.KeyValue{"RunWait": p.wait}})
	if err != nil {
		return err
	}
	return sv.Run()
}
