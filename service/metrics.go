package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/runnerctl/runnerctl/platform"
)

// statusCollector exports the supervisor's status as Prometheus metrics.
type statusCollector struct {
	st                                                 *statusWriter
	up, restarts, lastExit, jobs, running, start, info *prometheus.Desc
}

func newStatusCollector(st *statusWriter) *statusCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("runnerctl_"+name, help, labels, nil)
	}
	return &statusCollector{st: st,
		up:       d("listener_up", "1 when the runner listener said \"Listening for Jobs\" and runs, else 0."),
		restarts: d("listener_restarts_total", "Times the supervisor relaunched the runner listener."),
		lastExit: d("listener_last_exit_code", "The runner listener's last exit status (-1: killed by a signal); absent before its first exit.", "meaning"),
		jobs:     d("jobs_total", "Jobs the runner listener said it completed since the supervisor started."),
		running:  d("job_running", "1 while the runner listener runs a job, else 0."),
		start:    d("supervisor_start_time_seconds", "When the supervisor (runnerctl run) started, in seconds since the epoch."),
		info:     d("runner_info", "The runner version the listener said it runs.", "version"),
	}
}

func (c *statusCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.up, c.restarts, c.lastExit, c.jobs, c.running, c.start, c.info} {
		ch <- d
	}
}

func (c *statusCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.st.snapshot()
	b := func(v bool) float64 {
		if v {
			return 1
		}
		return 0
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, b(s.State == SupListening && s.ListenerPID != 0))
	ch <- prometheus.MustNewConstMetric(c.restarts, prometheus.CounterValue, float64(s.Restarts))
	if s.LastExitCode != nil {
		ch <- prometheus.MustNewConstMetric(c.lastExit, prometheus.GaugeValue, float64(*s.LastExitCode), ExitMeaning(*s.LastExitCode))
	}
	ch <- prometheus.MustNewConstMetric(c.jobs, prometheus.CounterValue, float64(s.JobsRun))
	ch <- prometheus.MustNewConstMetric(c.running, prometheus.GaugeValue, b(s.CurrentJob != ""))
	ch <- prometheus.MustNewConstMetric(c.start, prometheus.GaugeValue, float64(s.Started.UnixNano())/1e9)
	if s.RunnerVersion != "" {
		ch <- prometheus.MustNewConstMetric(c.info, prometheus.GaugeValue, 1, printable(s.RunnerVersion, 40))
	}
}

// metricsHandler serves /metrics (the status, the process's and Go's
// own) and /healthz: 200 while the listener listens, 503 otherwise.
func metricsHandler(st *statusWriter) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(newStatusCollector(st), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), collectors.NewGoCollector())
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		s := st.snapshot()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if s.State != SupListening || s.ListenerPID == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "%s\n", printable(s.State, 20))
			return
		}
		fmt.Fprintln(w, "listening")
	})
	return mux
}

// serveMetrics serves metricsHandler on the loopback address addr until
// the returned stop is called.
func serveMetrics(addr string, st *statusWriter, log *slog.Logger) (stop func(), err error) {
	if err := platform.CheckMetricsAddr(addr); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	srv := &http.Server{Handler: metricsHandler(st), ReadHeaderTimeout: 5 * time.Second, IdleTimeout: time.Minute}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("metrics endpoint stopped", "err", err)
		}
	}()
	log.Info("serving metrics", "addr", ln.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}
