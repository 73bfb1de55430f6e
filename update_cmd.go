package main

import (
	"slices"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/runnerctl/runnerctl/bootstrap"
)

// The update command's flags and action (kept out of main.go, which is
// at its size limit): flags → bootstrap.UpdateOptions → bootstrap.RunUpdate.

const (
	updateUsage = "replace the runner package of installed runners with the server's newest, between jobs, keeping the registration (for --disableupdate runners, or one whose version was refused)"
	updateText  = "runnerctl update [--dir D | --all] [--timeout 1h] [--wait 2m]\n" +
		"runnerctl update --dir D --package-file F --sha256 HEX     (a package at hand; no credential: no wait for the job to end)"
)

func updateFlags() []cli.Flag {
	return slices.Concat(packageFlags(), lifecycleFlags(
		durationFlag("timeout", "how long to wait for a running job to end before giving up (nothing changed then)", time.Hour),
		durationFlag("wait", "how long to wait for the runner to show online after the swap (0: do not wait)", 2*time.Minute)))
}

func runUpdate(c *cli.Context, e bootstrap.Env) error {
	return bootstrap.RunUpdate(c.Context, e, c.String("url"), c.Bool("all"), bootstrap.UpdateOptions{Dir: c.String("dir"),
		Package: packageOptions(c), Timeout: c.Duration("timeout"), Wait: c.Duration("wait")})
}
