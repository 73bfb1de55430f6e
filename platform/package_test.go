package platform

import (
	"runtime"
	"testing"
)

func TestPackagePlatform(t *testing.T) {
	for goos, want := range map[string]string{"linux": "linux", "darwin": "osx", "windows": "win", "plan9": ""} {
		if got := HostOS(goos); got != want {
			t.Errorf("HostOS(%s) = %q", goos, got)
		}
	}
	for goarch, want := range map[string]string{"amd64": "x64", "arm64": "arm64", "arm": "arm", "386": ""} {
		if got := HostArch(goarch); got != want {
			t.Errorf("HostArch(%s) = %q", goarch, got)
		}
	}
	o, a, err := PackagePlatform("WIN", "arm64")
	if err != nil || o != "win" || a != "arm64" {
		t.Fatalf("override: %s %s %v", o, a, err)
	}
	if _, _, err := PackagePlatform("macos", ""); err == nil {
		t.Fatal("macos accepted (GitHub says osx)")
	}
	if _, _, err := PackagePlatform("", "x86"); err == nil {
		t.Fatal("x86 accepted")
	}
	if o, a, err := PackagePlatform("", ""); err != nil || o != HostOS(runtime.GOOS) || a != HostArch(runtime.GOARCH) {
		t.Fatalf("host: %s %s %v", o, a, err)
	}
}
