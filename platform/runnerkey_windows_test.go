package platform

import (
	"bytes"
	"testing"
	"unsafe"

	"golang.org/x/sys/windows"
)

// The key ProtectRunnerKey writes is what the runner's
// RSAEncryptedFileKeyManager reads: DPAPI data for the machine that
// CryptUnprotectData (ProtectedData.Unprotect, null entropy) turns back
// into the key; it is not the key in clear.
func TestProtectRunnerKey(t *testing.T) {
	key := []byte(`{"d":"c2VjcmV0","modulus":"AQAB"}`)
	got, err := ProtectRunnerKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(got, key) {
		t.Fatal("the key is written in clear")
	}
	in := windows.DataBlob{Size: uint32(len(got)), Data: &got[0]}
	var out windows.DataBlob
	if err := windows.CryptUnprotectData(&in, nil, nil, 0, nil, windows.CRYPTPROTECT_UI_FORBIDDEN, &out); err != nil {
		t.Fatalf("CryptUnprotectData: %v", err)
	}
	defer windows.LocalFree(windows.Handle(unsafe.Pointer(out.Data)))
	if back := unsafe.Slice(out.Data, out.Size); !bytes.Equal(back, key) {
		t.Fatalf("unprotected %q, want %q", back, key)
	}
	if _, err := ProtectRunnerKey(nil); err == nil {
		t.Error("an empty key was protected")
	}
}
