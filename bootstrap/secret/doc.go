// Package secret holds credentials (access tokens, registration and remove
// tokens, JIT configs) so that they cannot leak by accident: a Secret prints
// as [REDACTED] through fmt, slog and encoding/json, and a Redactor scrubs
// known secret values out of text (error messages, child process output)
// at the one place where such text is formatted for the user.
package secret
