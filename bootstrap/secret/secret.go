package secret

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
)

const redacted = "[REDACTED]"

// Secret is a credential value. Its zero value is the empty secret.
type Secret struct{ v string }

// New wraps a value. Surrounding white space (a trailing newline in a file) is dropped.
func New(v string) Secret { return Secret{v: strings.TrimSpace(v)} }

// Reveal returns the value. Call it only where the value is sent to its
// one intended consumer (an HTTP header, a child's environment, stdout when
// the user asked for the token).
func (s Secret) Reveal() string { return s.v }

// Empty reports whether there is no value.
func (s Secret) Empty() bool { return s.v == "" }

func (s Secret) String() string   { return redacted }
func (s Secret) GoString() string { return redacted }

// Format makes every verb (%s, %v, %q, %#v, %x) print the placeholder.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// LogValue keeps the value out of slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON keeps the value out of JSON output.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// Redactor replaces every registered secret value in a text with [REDACTED].
// It is safe for concurrent use. The zero value is ready to use.
type Redactor struct {
	mu     sync.RWMutex
	values []string
}

// Add registers secrets. Values shorter than 6 characters are not
// registered: scrubbing them would mangle ordinary text.
func (r *Redactor) Add(ss ...Secret) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range ss {
		if len(s.v) >= 6 {
			r.values = append(r.values, s.v)
		}
	}
}

// Redact returns text with every registered value replaced.
func (r *Redactor) Redact(text string) string {
	if r == nil {
		return text
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, v := range r.values {
		text = strings.ReplaceAll(text, v, redacted)
	}
	return text
}

// Writer returns a writer that passes what is written to w with every
// registered secret redacted: the one place where what runnerctl and the
// scripts it runs say is formatted for the log.
func (r *Redactor) Writer(w io.Writer) io.Writer { return redactingWriter{w: w, r: r} }

type redactingWriter struct {
	w io.Writer
	r *Redactor
}

func (rw redactingWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(rw.w, rw.r.Redact(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
