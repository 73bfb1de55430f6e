//go:build !windows

package platform

// ProtectRunnerKey is the runner's .credentials_rsaparams as the runner
// keeps it: outside Windows as it comes (the file's mode protects it).
func ProtectRunnerKey(key []byte) ([]byte, error) { return key, nil }
