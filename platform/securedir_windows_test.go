package platform

import (
	"strings"
	"testing"

	"golang.org/x/sys/windows"
)

// CheckRootFile's test of an owner and a DACL: an administrator's file as
// Windows makes them passes; one another account owns or may change, or
// with no DACL, does not.
func TestAdminsOnlyWrite(t *testing.T) {
	for _, c := range []struct {
		sddl string
		ok   bool
	}{
		{"O:BAD:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;0x1200a9;;;BU)", true},            // users read and execute
		{"O:SYD:(A;;FA;;;SY)(A;;FA;;;BA)(D;;FA;;;AU)(A;;0x1200a9;;;WD)", true}, // a deny, a read
		{"O:BAD:(A;;FA;;;SY)(A;;FA;;;BA)(A;OICIIO;FA;;;AU)", true},             // inherit-only: not this file's
		{"O:BUD:P(A;;FA;;;SY)(A;;FA;;;BA)", false},                             // Users own it
		{"O:BAD:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;0x1301bf;;;AU)", false},           // Authenticated Users: modify
		{"O:BAD:P(A;;FA;;;SY)(A;;0x100116;;;BU)", false},                       // Users: write, append, delete
		{"O:BAD:P(A;;FA;;;SY)(A;;WD;;;WD)", false},                             // Everyone: write the DACL
		{"O:BAD:P(A;;GA;;;NS)", false},                                         // NETWORK SERVICE: generic all
	} {
		sd, err := windows.SecurityDescriptorFromString(c.sddl)
		if err != nil {
			t.Fatalf("%s: %v", c.sddl, err)
		}
		err = adminsOnlyWrite(sd)
		if (err == nil) != c.ok {
			t.Errorf("%s: %v, want ok=%v", c.sddl, err, c.ok)
		}
	}
	// A NULL DACL (everyone may do anything), built as such: Wine's SDDL
	// parser reads NO_ACCESS_CONTROL as an empty DACL.
	sd, err := windows.NewSecurityDescriptor()
	if err != nil {
		t.Fatal(err)
	}
	ba, err := windows.CreateWellKnownSid(windows.WinBuiltinAdministratorsSid)
	if err != nil {
		t.Fatal(err)
	}
	if err := sd.SetOwner(ba, false); err != nil {
		t.Fatal(err)
	}
	if err := sd.SetDACL(nil, true, false); err != nil {
		t.Fatal(err)
	}
	if err := adminsOnlyWrite(sd); err == nil {
		t.Error("a NULL DACL: ok, want an error")
	}
}

// GrantServiceAccess leaves the service account, SYSTEM and the
// Administrators, nothing inherited from the parent (where Windows keeps
// the DACL: Wine accepts it and keeps nothing, which is logged).
func TestGrantServiceAccess(t *testing.T) {
	dir := tempDir(t)
	if err := GrantServiceAccess(dir, ""); err != nil {
		t.Fatal(err)
	}
	sd, err := windows.GetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		t.Fatal(err)
	}
	got := sd.String()
	if !strings.Contains(got, ";;;NS)") {
		t.Skipf("the DACL set was not kept (Wine): %s", got)
	}
	if !strings.HasPrefix(got, "D:P") || strings.Count(got, "(") != 3 {
		t.Errorf("DACL %s, want protected with SYSTEM, Administrators and NETWORK SERVICE only", got)
	}
}
