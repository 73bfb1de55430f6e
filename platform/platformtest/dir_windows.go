package platformtest

import "testing"

// RootOnlyTempDir skips on Windows: root-only chains are a Unix notion.
func RootOnlyTempDir(t testing.TB) string {
	t.Skip("skipped: root-owned directory chains are a Unix notion")
	return ""
}
