// Command winscm is a test helper run under Wine by service's Windows
// tests: it reads what the SCM and the file system say, with the same
// x/sys/windows calls a Windows operator's tools use.
//
//	winscm query NAME   state=N win32=N specific=N noncrash=BOOL|unsupported account=A
//	winscm stop NAME    asks the SCM to stop NAME and waits up to 60 s
//	winscm sddl PATH    the DACL of PATH in SDDL
//	winscm aclkept DIR  whether a DACL set on the new directory DIR is read back ("kept", "not kept")
package main

import (
	"fmt"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/mgr"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "winscm:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: winscm query|stop NAME | sddl PATH")
	}
	if args[0] == "aclkept" {
		return aclKept(args[1])
	}
	if args[0] == "sddl" {
		sd, err := windows.GetNamedSecurityInfo(args[1], windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION)
		if err != nil {
			return err
		}
		fmt.Println(sd.String())
		return nil
	}
	m, err := mgr.Connect()
	if err != nil {
		return err
	}
	defer m.Disconnect()
	s, err := m.OpenService(args[1])
	if err != nil {
		return err
	}
	defer s.Close()
	switch args[0] {
	case "query":
		q, err := s.Query()
		if err != nil {
			return err
		}
		// QueryServiceConfig alone: mgr's Config asks for levels Wine lacks.
		n := uint32(4096)
		buf := make([]byte, n)
		c := (*windows.QUERY_SERVICE_CONFIG)(unsafe.Pointer(&buf[0]))
		if err := windows.QueryServiceConfig(s.Handle, c, n, &n); err != nil {
			return err
		}
		nc := "unsupported" // Wine's SCM has no FAILURE_ACTIONS_FLAG
		if v, err := s.RecoveryActionsOnNonCrashFailures(); err == nil {
			nc = fmt.Sprint(v)
		}
		fmt.Printf("state=%d win32=%d specific=%d noncrash=%s account=%s\n", q.State, q.Win32ExitCode, q.ServiceSpecificExitCode, nc, windows.UTF16PtrToString(c.ServiceStartName))
	case "stop":
		if _, err := s.Control(svc.Stop); err != nil {
			return err
		}
		for start := time.Now(); time.Since(start) < 60*time.Second; time.Sleep(100 * time.Millisecond) {
			q, err := s.Query()
			if err != nil {
				return err
			}
			if q.State == svc.Stopped {
				fmt.Printf("stopped after %s\n", time.Since(start).Round(time.Millisecond))
				return nil
			}
		}
		return fmt.Errorf("%s did not stop within 60 s", args[1])
	default:
		return fmt.Errorf("unknown command %q", args[0])
	}
	return nil
}

// aclKept makes dir, gives it a protected DACL and reads it back: Wine
// accepts the call and keeps nothing.
func aclKept(dir string) error {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	defer os.Remove(dir)
	const want = "D:P(A;OICI;FA;;;SY)"
	sd, err := windows.SecurityDescriptorFromString(want)
	if err != nil {
		return err
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return err
	}
	if err := windows.SetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil); err != nil {
		return err
	}
	got, err := windows.GetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		return err
	}
	if got.String() == want {
		fmt.Println("kept")
	} else {
		fmt.Println("not kept:", got.String())
	}
	return nil
}
