package main

import (
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"time"
)

const exeSuffix = ".exe"

// stepArg makes Runner.Worker.exe a job's step: Windows has no sleep.
const stepArg = "fake-step"

// stepCommand is a job's step: this program again, sleeping.
func stepCommand(d time.Duration) *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	return exec.Command(exe, stepArg, strconv.FormatFloat(d.Seconds(), 'f', 3, 64))
}

// statusControlCExit is how a console program killed by Ctrl-C exits
// (STATUS_CONTROL_C_EXIT), the Windows counterpart of a death by SIGINT.
const statusControlCExit = 0xC000013A

// interrupted: the step died of the console's Ctrl-C.
func interrupted(ee *exec.ExitError) bool { return uint32(ee.ExitCode()) == statusControlCExit }

// fakeStep runs the step when argv asks for it: it sleeps, and the
// console's Ctrl-C ends it with STATUS_CONTROL_C_EXIT, as Windows' default
// handler ends a console program. It says so itself because Wine 8's
// default handler exits 0 instead, which would read as a step that
// succeeded.
func fakeStep(argv []string) (int, bool) {
	if len(argv) != 2 || argv[0] != stepArg {
		return 0, false
	}
	f, err := strconv.ParseFloat(argv[1], 64)
	if err != nil {
		return exitRetryable, true
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	select {
	case <-sig:
		return statusControlCExit, true
	case <-time.After(time.Duration(f * float64(time.Second))):
		return 0, true
	}
}
