//go:build !windows

package platform

// envFoldCase: variable names are case-sensitive.
const envFoldCase = false

// childEnvOSNames: nothing beyond childEnvNames.
var childEnvOSNames []string
