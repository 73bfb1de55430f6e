package fetch

import (
	"fmt"
	"regexp"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
)

// PackageNamePattern is the only shape a runner package's file name may
// have: a base name, as GitHub names its releases. The name becomes a path
// in the cache and chooses the archive format and the listener's name, so
// whatever the server (or a file) says is checked against it before any
// path is built from it.
const PackageNamePattern = `actions-runner-(linux|osx|win)-(x64|arm|arm64)-VERSION.(tar.gz|zip)`

var (
	packageName = regexp.MustCompile(`^actions-runner-(linux|osx|win)-(x64|arm|arm64)-[0-9]+(\.[0-9]+)*\.(tar\.gz|zip)$`)
	sha256Hex   = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
)

// CheckFilename refuses a package file name that is not a runner
// package's base name (no directory, no "..", nothing but the pattern).
func CheckFilename(name string) error {
	if !packageName.MatchString(name) {
		return fmt.Errorf("file name %q is not a runner package name (%s, VERSION digits and dots)", name, PackageNamePattern)
	}
	return nil
}

// CheckSHA256 refuses a checksum that is not 64 hex digits.
func CheckSHA256(sum string) error {
	if !sha256Hex.MatchString(sum) {
		return fmt.Errorf("sha256 %q is not 64 hex digits", sum)
	}
	return nil
}

// Check refuses a source the cache must not build a path from: a file
// name that is not a runner package's base name, or a checksum that is
// missing or not 64 hex digits (a package that cannot be verified is not
// fetched at all). The error is an integrity failure: the server said it.
func (s Source) Check() error {
	if err := CheckFilename(s.Filename); err != nil {
		return failure.Wrap(failure.Integrity, fmt.Errorf("runner package from the server: %w; refusing it", err))
	}
	if s.SHA256 == "" {
		return failure.Wrap(failure.Integrity, fmt.Errorf("runner package %s: the server lists no sha256, so it cannot be verified; refusing it (pass --sha256 HEX from the runner's release notes to pin it)", s.Filename))
	}
	if err := CheckSHA256(s.SHA256); err != nil {
		return failure.Wrap(failure.Integrity, fmt.Errorf("runner package %s from the server: %w; refusing it", s.Filename, err))
	}
	return nil
}
