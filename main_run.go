package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/runnerctl/runnerctl/bootstrap"
	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/platform"
	"github.com/runnerctl/runnerctl/service"
)

// runFlags are run's.
func runFlags() []cli.Flag {
	return append(commonFlags(), strFlag("dir", "the runner directory", platform.DefaultRunnerDir()),
		strFlag("service", "the service this supervisor runs as (set by install): names its status file", ""), ephemeralFlags()[0], metricsFlag())
}

// metricsFlag is run's and install's (which passes it to run in the service).
func metricsFlag() cli.Flag {
	return strFlag("metrics-addr", "serve Prometheus /metrics and /healthz on this loopback HOST:PORT (e.g. 127.0.0.1:9252; none by default); install: the service's (--count: one port each from PORT up), kept by a re-install, off drops it", "")
}

// runRun is the service's entry point: the supervisor of service.
func runRun(c *cli.Context, e bootstrap.Env) error {
	p, err := bootstrap.PlanRun(e, c.String("dir"), c.String("service"))
	if err != nil {
		return err
	}
	if _, err := service.StatusFile(p.Name); c.String("service") != "" && err != nil {
		return failure.Wrap(failure.Usage, fmt.Errorf("run: --service: %w", err))
	}
	if a := c.String("metrics-addr"); a != "" {
		if err := platform.CheckMetricsAddr(a); err != nil {
			return failure.Wrap(failure.Usage, fmt.Errorf("run: %w", err))
		}
	}
	e.Log.Info("supervising the runner listener", "dir", p.Dir, "user", p.User)
	err = service.Run(p.Name, &service.Supervisor{Dir: p.Dir, User: p.User, Log: e.Log, Output: e.Redactor.Writer(os.Stderr),
		Service: c.String("service"), EphemeralDone: ephemeralDone(c), MetricsAddr: c.String("metrics-addr")})
	if errors.Is(err, service.ErrStopped) {
		return failure.Wrap(failure.RunnerConfig, err)
	}
	return err
}
