// Package github is runnerctl's client for GitHub's self-hosted runner REST
// API, at repository, organization and enterprise scope, on github.com,
// GHE.com and GitHub Enterprise Server.
//
// It is built on google/go-github over hashicorp/go-retryablehttp: the
// retry policy (retry.go) retries transient failures with capped
// exponential back-off and jitter and waits out GitHub's rate limits;
// errors (errors.go) are classified with failure kinds and say what the
// user has to do. Operations go-github lacks (the enterprise remove token,
// runner labels) use its raw request path.
package github
