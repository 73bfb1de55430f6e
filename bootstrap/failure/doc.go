// Package failure classifies errors by what the user has to do about them.
//
// Every package of runnerctl wraps the errors a user can act on with a
// Kind; main maps the Kind to the documented exit code in one place.
// The package is a leaf: it imports nothing of ours.
package failure
