package service

import (
	"errors"
	"strings"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/runnerctl/runnerctl/platform"
)

// sameDefinition reports whether the SCM's record of s.Name runs the
// command and account runnerctl asks for s now, with recovery on a failed
// exit where the SCM has that setting.
func sameDefinition(s platform.ServiceSpec) (bool, error) {
	sv, closeAll, err := openService(s.Name, windows.SERVICE_QUERY_CONFIG)
	if err != nil {
		return false, err
	}
	defer closeAll()
	bin, account, err := serviceConfig(sv.Handle)
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
	return bin == w.CommandLine && sameAccount(account, w.Account) && nonCrash, nil
}

// serviceConfig reads a service's command line and account with
// QueryServiceConfig alone (mgr's Config also asks for the delayed start
// and other levels an SCM may not have: Wine's refuses them).
func serviceConfig(h windows.Handle) (bin, account string, err error) {
	n := uint32(1024)
	for {
		buf := make([]byte, n)
		c := (*windows.QUERY_SERVICE_CONFIG)(unsafe.Pointer(&buf[0]))
		err := windows.QueryServiceConfig(h, c, n, &n)
		if errors.Is(err, windows.ERROR_INSUFFICIENT_BUFFER) {
			continue
		}
		if err != nil {
			return "", "", err
		}
		return windows.UTF16PtrToString(c.BinaryPathName), windows.UTF16PtrToString(c.ServiceStartName), nil
	}
}

// sameAccount compares account names as the SCM may spell them: "NT
// AUTHORITY\NETWORK SERVICE" is stored as "NT AUTHORITY\NetworkService".
func sameAccount(a, b string) bool {
	norm := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, " ", "")) }
	return norm(a) == norm(b)
}
