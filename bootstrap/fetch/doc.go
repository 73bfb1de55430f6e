// Package fetch chooses the runner package for a platform, downloads it
// with the temporary download token (sent only to the download URL's own
// origin, never along a redirect, never the API credential), hashes it
// while writing (one pass over the bytes), resumes a cut download with
// Range, refuses a wrong checksum or a response that is not an archive,
// and keeps verified packages in a content-addressed cache so that the
// next install is offline. What the server lists is data: a file name and
// a checksum are checked (Source.Check) before any path is made of them,
// plain http is refused unless loopback or --insecure-http, and a cached
// package is hashed and read through the same open file.
package fetch
