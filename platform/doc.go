// Package platform holds the facts about the host OS that the rest of
// runnerctl needs: default paths, and (as the pipeline grows) GitHub's
// package names, script names, users and privileges. It is a leaf: it
// imports nothing of ours. Per-OS facts live in files named _linux.go,
// _darwin.go and _windows.go, with a fallback for the rest.
package platform
