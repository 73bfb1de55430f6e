//go:build !linux && !windows

package platform

// onMemoryFS: macOS has no tmpfs in the places runnerctl is run from;
// Temporary's directory list covers /tmp and /var/folders.
func onMemoryFS(string) bool { return false }
