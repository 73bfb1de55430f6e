// Command echoargs prints its arguments, one a line as %q, and some facts
// of its Windows environment, then exits with the code in ECHOARGS_EXIT.
// With ECHOARGS_WAIT set it waits for os.Interrupt instead and exits with
// that code after it. For winetest's own test.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"time"
)

func main() {
	for _, a := range os.Args[1:] {
		fmt.Printf("arg %q\n", a)
	}
	wd, _ := os.Getwd()
	fmt.Printf("goos %s volume %q\n", runtime.GOOS, filepath.VolumeName(wd))
	code, _ := strconv.Atoi(os.Getenv("ECHOARGS_EXIT"))
	if os.Getenv("ECHOARGS_WAIT") != "" {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt)
		fmt.Println("waiting")
		select {
		case s := <-sig:
			fmt.Printf("got %v\n", s)
		case <-time.After(time.Minute):
			fmt.Println("no signal")
			os.Exit(99)
		}
	}
	os.Exit(code)
}
