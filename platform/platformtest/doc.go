// Package platformtest holds test helpers about the host (never linked
// into runnerctl).
package platformtest
