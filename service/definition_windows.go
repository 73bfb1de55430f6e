package service

import (
	"strings"

	"golang.org/x/sys/windows/svc/mgr"

	"github.com/runnerctl/runnerctl/platform"
)

// sameDefinition reports whether the SCM's record of s.Name runs the
// command and account runnerctl asks for s now.
func sameDefinition(s platform.ServiceSpec) (bool, error) {
	m, err := mgr.Connect()
	if err != nil {
		return false, err
	}
	defer m.Disconnect()
	sv, err := m.OpenService(s.Name)
	if err != nil {
		return false, err
	}
	defer sv.Close()
	c, err := sv.Config()
	if err != nil {
		return false, err
	}
	w, err := Windows(s)
	if err != nil {
		return false, err
	}
	nonCrash, err := sv.RecoveryActionsOnNonCrashFailures()
	if unsupported(err) {
		nonCrash = true // a manager without the setting (Wine): installService warned
	} else if err != nil {
		return false, err
	}
	return c.BinaryPathName == w.CommandLine && sameAccount(c.ServiceStartName, w.Account) && nonCrash, nil
}

// sameAccount compares account names as the SCM may spell them: "NT
// AUTHORITY\NETWORK SERVICE" is stored as "NT AUTHORITY\NetworkService".
func sameAccount(a, b string) bool {
	norm := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, " ", "")) }
	return norm(a) == norm(b)
}
