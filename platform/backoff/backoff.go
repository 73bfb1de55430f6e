// Package backoff is runnerctl's one exponential back-off: a wait that
// doubles from a floor up to a cap. It is shared by bootstrap/github (API
// retries), bootstrap/fetch (download resumes), bootstrap (waiting for a
// runner to come online) and service (listener relaunches). It lives
// under platform, the leaf every side may import (bootstrap and service
// do not import each other), and imports only the standard library. Jitter, when wanted, is
// the caller's: the waits here are exact, as the README documents them.
package backoff

import (
	"context"
	"time"
)

// Exp is the n-th wait of a back-off that doubles from floor and stops at
// ceil: floor·2^(n-1), never more than ceil. n below 1 counts as 1.
func Exp(floor, ceil time.Duration, n int) time.Duration {
	d := floor
	for i := 1; i < n && d < ceil; i++ {
		if d > ceil/2 {
			d = ceil // doubling would pass ceil (or overflow)
			break
		}
		d *= 2
	}
	return min(d, ceil)
}

// Doubling hands out the waits of one back-off in turn: Min, 2·Min, 4·Min
// ... up to Max. Reset starts it again from Min (a success in between).
// The zero value waits 0 every time.
type Doubling struct {
	Min, Max time.Duration
	n        int
}

// Next returns the next wait.
func (d *Doubling) Next() time.Duration {
	d.n++
	return Exp(d.Min, d.Max, d.n)
}

// Reset makes the next wait Min again.
func (d *Doubling) Reset() { d.n = 0 }

// Sleep waits d, or less when ctx is done first (then it returns ctx's error).
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
