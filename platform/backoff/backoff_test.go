package backoff

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"
)

func TestExp(t *testing.T) {
	s := time.Second
	for _, tt := range []struct {
		floor, ceil time.Duration
		n           int
		want        time.Duration
	}{
		{s, 30 * s, 0, s},
		{s, 30 * s, 1, s},
		{s, 30 * s, 2, 2 * s},
		{s, 30 * s, 5, 16 * s},
		{s, 30 * s, 6, 30 * s},
		{s, 30 * s, 1000, 30 * s},
		{time.Minute, 10 * time.Minute, 3, 4 * time.Minute},
		{time.Minute, 30 * s, 1, 30 * s}, // the cap wins over the floor
		{s, time.Duration(math.MaxInt64), 100, time.Duration(math.MaxInt64)},
		{0, s, 5, 0},
	} {
		if got := Exp(tt.floor, tt.ceil, tt.n); got != tt.want {
			t.Errorf("Exp(%v, %v, %d) = %v, want %v", tt.floor, tt.ceil, tt.n, got, tt.want)
		}
	}
}

func TestDoubling(t *testing.T) {
	d := Doubling{Min: time.Second, Max: 5 * time.Second}
	var got []time.Duration
	for range 5 {
		got = append(got, d.Next())
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("waits %v, want %v", got, want)
		}
	}
	d.Reset()
	if w := d.Next(); w != time.Second {
		t.Fatalf("after Reset: %v, want 1s", w)
	}
}

func TestSleep(t *testing.T) {
	start := time.Now()
	if err := Sleep(context.Background(), 20*time.Millisecond); err != nil || time.Since(start) < 20*time.Millisecond {
		t.Errorf("Sleep 20ms: %v after %v", err, time.Since(start))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start = time.Now()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) || time.Since(start) > time.Minute {
		t.Errorf("Sleep with a cancelled context: %v after %v", err, time.Since(start))
	}
}
