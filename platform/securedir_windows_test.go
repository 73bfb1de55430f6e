package platform

import (
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
