// Package githubtest is a stateful fake of GitHub Enterprise Server's
// self-hosted runner API, for tests and for `make demo` (named after
// net/http/httptest). It keeps a runner registry per scope (repository,
// organization, enterprise), paginates like GitHub, mints expiring
// registration and remove tokens, checks credentials, and has fault knobs
// (5xx, rate limits with Retry-After or X-RateLimit-Reset; a primary limit
// per hour and a secondary limit per second, ratelimit.go), hostile-server
// knobs (hostile.go: a downloads list with any file name or checksum, a TLS
// origin that redirects to plain http) and a request log.
//
// Its responses follow ../shared/openapi/ghes-3.22-runners.json; the
// contract test in bootstrap/github validates them. It is never linked into
// the runnerctl binary.
package githubtest
