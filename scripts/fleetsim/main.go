// Command fleetsim boots a fleet at once against the fake GHES
// (bootstrap/github/githubtest) with GitHub's rate limits on, and says
// how the fleet fared: `make fleet-sim`.
//
// A host does what `runnerctl install` asks of the API, through the real
// bootstrap/github client (its retry policy, rate-limit handling and
// back-off): the downloads list, a registration token, config.sh's
// registration (the runner's own request, with that token: not a REST
// call, not retried, not counted), and the runner by id (the wait for
// online). Hosts share nothing: each has its own client, HTTP transport
// (connections), retry state and random draws, as separate machines do.
// They share the one PAT, hence its rate limits, as a fleet built from
// one image does.
//
// The server allows -rate REST requests per second per credential (a
// secondary limit: 403 with Retry-After) and -primary per hour (403 with
// X-RateLimit-Remaining: 0 and X-RateLimit-Reset).
//
// Time runs -scale times faster than the wall clock (default 5) so that
// a 30 s jitter takes 6 s: the fake's clock (SetClock), the clients' clock
// (RetryPolicy.Now) and every wait (RetryPolicy.Sleep, the --jitter wait)
// run on one simulated clock, sim = start + scale*(wall - start). So the
// rate limits, Retry-After, X-RateLimit-Reset, --max-wait and all the
// figures below are in simulated time, and what a run measures is what
// the same fleet would see at scale 1 (the requests themselves take
// scale times longer in simulated time: at 5, a 1 ms loopback request
// is 5 ms, well under the 50 ms a request gets at 20 requests/s; and a
// busy machine that wakes a goroutine 50 ms late makes it 250 ms late, so
// the run reports how late its waits ended).
//
// It prints the success rate, the (simulated) time until the last host
// was registered, and the amplification: REST requests the server
// received / REST requests needed (3 a host). It exits 1 when a host
// failed or the amplification passes -target (0: no target).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/github"
	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
	"github.com/runnerctl/runnerctl/bootstrap/secret"
	"github.com/runnerctl/runnerctl/platform/backoff"
)

// maxHosts bounds -hosts: each host is a goroutine with its own
// connections (file descriptors) on a shared machine.
const maxHosts = 2000

// restPerHost is the REST requests a host needs: downloads, registration token, the runner.
const restPerHost = 3

type config struct {
	hosts       int
	jitter      time.Duration
	scale       float64
	rate        int
	primary     int
	maxWait     time.Duration
	hostTimeout time.Duration
	target      float64
	spread      time.Duration
	verbose     bool
}

func main() {
	var c config
	flag.IntVar(&c.hosts, "hosts", 200, fmt.Sprintf("hosts booting at once (at most %d)", maxHosts))
	flag.DurationVar(&c.jitter, "jitter", 0, "install --jitter: each host first waits a random time up to this (simulated)")
	flag.Float64Var(&c.scale, "scale", 5, "simulated seconds per wall-clock second")
	flag.IntVar(&c.rate, "rate", 20, "secondary rate limit: REST requests per second per credential")
	flag.IntVar(&c.primary, "primary", 5000, "primary rate limit: REST requests per hour per credential (GitHub's for a PAT)")
	flag.DurationVar(&c.maxWait, "max-wait", 10*time.Minute, "install --max-wait: how long one request may wait to be retried (simulated)")
	flag.DurationVar(&c.hostTimeout, "host-timeout", 15*time.Minute, "each host gives up after this long (simulated)")
	flag.Float64Var(&c.target, "target", 0, "exit 1 when the amplification is above this (0: no target)")
	flag.DurationVar(&c.spread, "rate-limit-spread", github.DefaultRetryPolicy(0).RateLimitSpread, "the retry policy's RateLimitSpread (an experiment: the default is runnerctl's)")
	flag.BoolVar(&c.verbose, "v", false, "log every retry")
	flag.Parse()
	if err := run(c, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "fleetsim:", err)
		os.Exit(1)
	}
}

// clock is the simulated clock: scale times the wall clock since start.
type clock struct {
	start time.Time
	scale float64
	late  *samples // how much later than asked the waits ended
}

// samples collects simulated durations that tell how faithful a run was:
// a busy machine wakes goroutines late and answers requests slowly, and
// at a high scale that bunches hosts that should have been spread out.
type samples struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *samples) add(d time.Duration) { l.mu.Lock(); l.d = append(l.d, d); l.mu.Unlock() }

// summary returns the 99th percentile and the largest sample.
func (l *samples) summary() (p99, most time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return 0, 0
	}
	slices.Sort(l.d)
	return l.d[len(l.d)*99/100], l.d[len(l.d)-1]
}

func (c clock) Now() time.Time {
	return c.start.Add(time.Duration(float64(time.Since(c.start)) * c.scale))
}

// Sleep waits d of simulated time.
func (c clock) Sleep(ctx context.Context, d time.Duration) error {
	from := time.Now()
	if err := backoff.Sleep(ctx, c.wall(d)); err != nil {
		return err
	}
	c.late.add(c.sim(time.Since(from) - c.wall(d)))
	return nil
}

// sim is the simulated length of d on the wall clock.
func (c clock) sim(d time.Duration) time.Duration { return time.Duration(float64(d) * c.scale) }

// wall is the wall-clock length of d simulated.
func (c clock) wall(d time.Duration) time.Duration { return time.Duration(float64(d) / c.scale) }

// hostResult is what one host reports.
type hostResult struct {
	err  error
	done time.Duration // simulated time from the start of the run to registered
}

func run(c config, out io.Writer) error {
	switch {
	case c.hosts < 1 || c.hosts > maxHosts:
		return fmt.Errorf("-hosts %d: want 1 to %d", c.hosts, maxHosts)
	case c.scale < 1 || c.scale > 100:
		return fmt.Errorf("-scale %g: want 1 to 100", c.scale)
	case c.rate < 1:
		return fmt.Errorf("-rate %d: want at least 1", c.rate)
	}
	srv := githubtest.NewUnstarted()
	srv.Config.ErrorLog = nil
	srv.Start()
	defer srv.Close()
	clk := clock{start: time.Now(), scale: c.scale, late: &samples{}}
	took := &samples{} // how long each request took
	srv.SetClock(clk.Now)
	srv.SetRateLimit(c.primary)
	srv.SetSecondaryLimit(githubtest.SecondaryLimit{Requests: c.rate, Window: time.Second})
	srv.SetDownloads([]githubtest.Download{{OS: "linux", Architecture: "x64", Filename: "actions-runner-linux-x64-2.330.0.tar.gz",
		DownloadURL: srv.URL + "/dl/actions-runner-linux-x64-2.330.0.tar.gz", SHA256: strings.Repeat("0", 64)}})
	tgt, err := github.ParseTarget(srv.URL+"/acme/app", "")
	if err != nil {
		return fmt.Errorf("fleetsim: %w", err)
	}
	log := slog.New(slog.DiscardHandler)
	if c.verbose {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}

	fmt.Fprintf(out, "fleet-sim: %d hosts, --jitter %s, limits %d req/s (403 + Retry-After) and %d req/h (X-RateLimit-Reset) on one PAT, clock x%g\n",
		c.hosts, c.jitter, c.rate, c.primary, c.scale)
	// Every host starts at once: the boot of an autoscaling group.
	results := make([]hostResult, c.hosts)
	var wg sync.WaitGroup
	var sent atomic.Int64
	gate := make(chan struct{})
	for i := range c.hosts {
		wg.Go(func() {
			<-gate
			results[i] = host(c, clk, tgt, fmt.Sprintf("host-%04d", i+1), srv.URL, &sent, took, log)
		})
	}
	wallStart := time.Now()
	close(gate)
	wg.Wait()
	wallTime := time.Since(wallStart)

	var done []time.Duration
	errs := map[string]int{}
	for _, r := range results {
		if r.err != nil {
			errs[runnerID.ReplaceAllString(r.err.Error(), "runner N")]++
			continue
		}
		done = append(done, r.done)
	}
	slices.Sort(done)
	ok := len(done)
	var half, last time.Duration
	if ok > 0 {
		half, last = done[(ok-1)/2], done[ok-1]
	}
	rest := 0
	for _, r := range srv.Requests() {
		if strings.HasPrefix(r.Path, "/api/v3/") && r.Path != "/api/v3/actions/runner-registration" {
			rest++
		}
	}
	needed := c.hosts * restPerHost
	amp := float64(rest) / float64(needed)
	floor := time.Duration(float64(needed) / float64(c.rate) * float64(time.Second))
	fmt.Fprintf(out, "registered:    %d/%d (%.1f%%)\n", ok, c.hosts, 100*float64(ok)/float64(c.hosts))
	fmt.Fprintf(out, "registered after: half %s, all %s simulated (%s wall); the limit alone needs %s\n",
		half.Round(100*time.Millisecond), last.Round(100*time.Millisecond), wallTime.Round(10*time.Millisecond), floor.Round(100*time.Millisecond))
	fmt.Fprintf(out, "REST requests: %d sent (client count %d), %d needed, %d refused by the secondary limit\n",
		rest, sent.Load(), needed, srv.SecondaryRefused())
	fmt.Fprintf(out, "amplification: %.2f\n", amp)
	p99, most := clk.late.summary()
	r99, rmost := took.summary()
	fmt.Fprintf(out, "fidelity (simulated): waits ended late by p99 %s, max %s; requests took p99 %s, max %s",
		p99.Round(time.Millisecond), most.Round(time.Millisecond), r99.Round(time.Millisecond), rmost.Round(time.Millisecond))
	if p99 > 250*time.Millisecond {
		fmt.Fprint(out, ": the machine is busy; a lower -scale measures the fleet more faithfully")
	}
	fmt.Fprintln(out)
	keys := make([]string, 0, len(errs))
	for k := range errs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(out, "  %d hosts failed: %s\n", errs[k], k)
	}
	switch {
	case ok != c.hosts:
		return fmt.Errorf("%d of %d hosts failed", c.hosts-ok, c.hosts)
	case c.target > 0 && amp > c.target:
		return fmt.Errorf("amplification %.2f is above the target %.2f", amp, c.target)
	}
	return nil
}

// runnerID is the runner id in a host's error, for grouping errors.
var runnerID = regexp.MustCompile(`runner \d+`)

// countingTransport counts the requests a host sends (every attempt) and
// times them.
type countingTransport struct {
	next http.RoundTripper
	n    *atomic.Int64
	took *samples
	clk  clock
}

func (t countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.n.Add(1)
	from := time.Now()
	resp, err := t.next.RoundTrip(req)
	t.took.add(t.clk.sim(time.Since(from)))
	return resp, err
}

// host does what install asks of the API, bounded by -host-timeout.
func host(c config, clk clock, tgt github.Target, name, base string, sent *atomic.Int64, took *samples, log *slog.Logger) hostResult {
	ctx, cancel := context.WithTimeout(context.Background(), clk.wall(c.hostTimeout))
	defer cancel()
	tr := http.DefaultTransport.(*http.Transport).Clone() // its own connections
	defer tr.CloseIdleConnections()
	p := github.DefaultRetryPolicy(c.maxWait)
	p.Now, p.Sleep, p.RateLimitSpread = clk.Now, clk.Sleep, c.spread
	api, err := github.New(github.Options{Target: tgt, Token: secret.New(githubtest.Token), Version: "fleetsim",
		Retry: p, Transport: countingTransport{next: tr, n: sent, took: took, clk: clk}, Logger: log.With("host", name)})
	if err != nil {
		return hostResult{err: err}
	}
	// install --jitter: a uniform wait in [0, jitter) before the first API
	// call, drawn as bootstrap's jitter draws it, on the simulated clock.
	if c.jitter > 0 {
		if err := clk.Sleep(ctx, rand.N(c.jitter)); err != nil {
			return hostResult{err: fmt.Errorf("jitter: %w", err)}
		}
	}
	if _, err := api.Downloads(ctx); err != nil {
		return hostResult{err: err}
	}
	tok, err := api.RegistrationToken(ctx)
	if err != nil {
		return hostResult{err: err}
	}
	id, err := configure(ctx, tr, base, name, tok.Value)
	if err != nil {
		return hostResult{err: err}
	}
	if _, err := api.GetRunner(ctx, id); err != nil {
		return hostResult{err: err}
	}
	return hostResult{done: clk.Now().Sub(clk.start)}
}

// configure is config.sh's registration: one POST with the registration
// token, by the runner, not retried by runnerctl.
func configure(ctx context.Context, tr http.RoundTripper, base, name string, tok secret.Secret) (int64, error) {
	body, _ := json.Marshal(githubtest.RegisterRequest{URL: base + "/acme/app", Event: "register", Name: name, OS: "Linux", Arch: "X64"})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v3/actions/runner-registration", strings.NewReader(string(body)))
	if err != nil {
		return 0, fmt.Errorf("config.sh: %w", err)
	}
	req.Header.Set("Authorization", "RemoteAuth "+tok.Reveal())
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return 0, fmt.Errorf("config.sh: %w", err)
	}
	defer resp.Body.Close()
	var rr githubtest.RegisterResponse
	if resp.StatusCode != http.StatusCreated {
		return 0, fmt.Errorf("config.sh: HTTP %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&rr); err != nil {
		return 0, fmt.Errorf("config.sh: %w", err)
	}
	return rr.ID, nil
}
