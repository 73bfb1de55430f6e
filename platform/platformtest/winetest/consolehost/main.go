// Command consolehost is winetest's console host, a Windows program: it
// runs a program in a console of its own (CREATE_NO_WINDOW, as a Windows
// service starts its child) and, for each line "ctrl-c" read from its
// stdin, attaches to that console and sends CTRL_C_EVENT to the processes
// on it, as the runner's service does on stop. It exits with the
// program's exit code. Ctrl-Break (what the service sends at OS shutdown)
// is not offered: Wine 8's console server implements only Ctrl-C
// propagation (GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT) fails there).
//
//	consolehost.exe PROGRAM [ARG...]
//
// Test-only: built by winetest.(*Prefix).Console, never linked into
// runnerctl.
package main

import "os"

func main() { os.Exit(run(os.Args[1:])) }
