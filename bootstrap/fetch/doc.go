// Package fetch chooses the runner package for a platform, downloads it
// with the temporary download token (sent only to the download URL, never
// the API credential), hashes it while writing (one pass over the bytes),
// resumes a cut download with Range, refuses a wrong checksum or a
// response that is not an archive, and keeps verified packages in a
// content-addressed cache so that the next install is offline.
package fetch
