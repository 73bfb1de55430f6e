//go:build !windows

package main

import (
	"fmt"
	"os"
)

// run: consolehost is a Windows program.
func run([]string) int {
	fmt.Fprintln(os.Stderr, "consolehost: a Windows program (run it under Wine through winetest)")
	return 2
}
