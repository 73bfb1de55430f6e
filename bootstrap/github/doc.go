// Package github is runnerctl's client for GitHub's self-hosted runner REST
// API, at repository, organization and enterprise scope, on github.com,
// GHE.com and GitHub Enterprise Server.
//
// It is built on google/go-github over hashicorp/go-retryablehttp: the
// retry policy (retry.go) retries transient failures with capped
// exponential back-off and jitter and waits out GitHub's rate limits;
// errors (errors.go) are classified with failure kinds, say what the user
// has to do, and carry ErrNotFound, ErrBusy, ErrRateLimited or ErrAuth for
// errors.Is, so that no caller needs go-github's error types. Every call
// goes through go-github's request path (Client.raw) to the one runner
// endpoint prefix of the target (runnersPath), at all three scopes.
package github
