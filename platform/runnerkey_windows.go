package platform

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

// ProtectRunnerKey is the runner's .credentials_rsaparams as the Windows
// runner keeps it: protected with DPAPI for the machine
// (ProtectedData.Protect(bytes, null, DataProtectionScope.LocalMachine),
// which Runner.cs applies to a JIT config's key and
// RSAEncryptedFileKeyManager undoes when it loads it). Written as it
// comes, the listener could not load it.
func ProtectRunnerKey(key []byte) ([]byte, error) {
	if len(key) == 0 {
		return nil, fmt.Errorf("protect the runner's RSA key: it is empty")
	}
	in := windows.DataBlob{Size: uint32(len(key)), Data: &key[0]}
	var out windows.DataBlob
	if err := windows.CryptProtectData(&in, nil, nil, 0, nil, windows.CRYPTPROTECT_UI_FORBIDDEN|windows.CRYPTPROTECT_LOCAL_MACHINE, &out); err != nil {
		return nil, fmt.Errorf("protect the runner's RSA key (DPAPI): %w", err)
	}
	defer windows.LocalFree(windows.Handle(unsafe.Pointer(out.Data)))
	return append([]byte(nil), unsafe.Slice(out.Data, out.Size)...), nil
}
