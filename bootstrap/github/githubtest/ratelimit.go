package githubtest

import (
	"net/http"
	"strconv"
	"time"
)

// SecondaryLimit is a secondary rate limit: at most Requests API requests
// per Window for each credential (a PAT, an installation token; all the
// hosts of a fleet that share one PAT share its budget). The zero value
// (Requests 0) turns it off.
//
// A request over it gets what GitHub documents for a secondary rate limit
// (docs.github.com, "Rate limits for the REST API", "Exceeding the rate
// limit"): 403 with a message saying "secondary rate limit", a
// Retry-After header in whole seconds (until the window ends, at least 1),
// and the primary X-RateLimit-* headers with requests remaining (so the
// client must not read it as the primary limit). GitHub does not publish
// its algorithm; this one is a fixed window on the fake's clock (SetClock).
// The primary limit is checked first (a spent primary budget is answered
// as such); a request the secondary limit refuses does not use the
// window's budget but does count against the primary one, as a request
// GitHub received.
type SecondaryLimit struct {
	Requests int
	Window   time.Duration
}

// secondaryState is the limit and one window per credential.
type secondaryState struct {
	limit   SecondaryLimit
	windows map[string]*rateWindow
	refused int
}

// SetSecondaryLimit sets (or, with Requests 0, clears) the secondary rate limit.
func (s *Server) SetSecondaryLimit(l SecondaryLimit) {
	if l.Window <= 0 {
		l.Window = time.Second
	}
	s.mu.Lock()
	s.secondary = secondaryState{limit: l, windows: map[string]*rateWindow{}}
	s.mu.Unlock()
}

// SecondaryRefused is the number of requests refused by the secondary limit so far.
func (s *Server) SecondaryRefused() int { s.mu.Lock(); defer s.mu.Unlock(); return s.secondary.refused }

// secondaryLocked counts a request of the credential key against the
// secondary limit and returns the Retry-After to send when it is over (0:
// admitted).
func (s *Server) secondaryLocked(key string) time.Duration {
	l := s.secondary.limit
	if l.Requests <= 0 {
		return 0
	}
	now := s.now()
	w := s.secondary.windows[key]
	if w == nil || !now.Before(w.reset) {
		w = &rateWindow{reset: now.Truncate(l.Window).Add(l.Window)}
		s.secondary.windows[key] = w
	}
	if w.used < l.Requests {
		w.used++
		return 0
	}
	s.secondary.refused++
	secs := (w.reset.Sub(now) + time.Second - 1) / time.Second // whole seconds, rounded up, as GitHub sends
	return max(secs, 1) * time.Second
}

// writeSecondaryLimited answers a request over the secondary limit as GitHub does.
func writeSecondaryLimited(w http.ResponseWriter, retryAfter time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(int(retryAfter/time.Second)))
	writeJSON(w, http.StatusForbidden, map[string]string{
		"message":           "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
		"documentation_url": "https://docs.github.com/enterprise-server@3.22/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
	})
}
