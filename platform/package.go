package platform

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
)

// GitHub's names for runner package platforms (runner-contract.md §7).
var (
	// OSNames are the `os` values of the downloads API.
	OSNames = []string{"linux", "osx", "win"}
	// ArchNames are the `architecture` values of the downloads API.
	ArchNames = []string{"x64", "arm", "arm64"}
)

// HostOS is GitHub's package OS name for GOOS, or "" when GitHub ships no runner for it.
func HostOS(goos string) string {
	switch goos {
	case "linux":
		return "linux"
	case "darwin":
		return "osx"
	case "windows":
		return "win"
	}
	return ""
}

// HostArch is GitHub's package architecture name for GOARCH, or "".
func HostArch(goarch string) string {
	switch goarch {
	case "amd64":
		return "x64"
	case "arm64":
		return "arm64"
	case "arm":
		return "arm"
	}
	return ""
}

// PackagePlatform returns the package OS and architecture to use: the
// overrides when given, else this host's. It refuses names GitHub does not use.
func PackagePlatform(osOverride, archOverride string) (string, string, error) {
	osName, arch := HostOS(runtime.GOOS), HostArch(runtime.GOARCH)
	if osOverride != "" {
		osName = strings.ToLower(osOverride)
	}
	if archOverride != "" {
		arch = strings.ToLower(archOverride)
	}
	if !slices.Contains(OSNames, osName) {
		return "", "", fmt.Errorf("package OS %q: use one of %s (--os)", osName, strings.Join(OSNames, ", "))
	}
	if !slices.Contains(ArchNames, arch) {
		return "", "", fmt.Errorf("package architecture %q: use one of %s (--arch)", arch, strings.Join(ArchNames, ", "))
	}
	return osName, arch, nil
}
