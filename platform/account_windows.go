package platform

// UserIsServiceAccount reports whether --user names the Windows service
// account (nothing to create or chown) rather than a Unix user.
func UserIsServiceAccount() bool { return true }
