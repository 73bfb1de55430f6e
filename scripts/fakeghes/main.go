// Command fakeghes serves the fake GHES of bootstrap/github/githubtest on
// loopback, for trying runnerctl by hand and for the demo. It prints the
// server URL and the PAT it accepts, then serves until interrupted.
// Seed runners and inject faults through its /_fake/ control API:
//
//	curl -X POST $URL/_fake/runners -d '{"scope":"orgs/acme","count":250,"status":"offline"}'
//	curl -X POST $URL/_fake/faults  -d '[{"Status":502},{"Status":502}]'
//	curl $URL/_fake/requests
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "loopback address to listen on")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fakeghes:", err)
		os.Exit(1)
	}
	srv := githubtest.NewUnstarted()
	url := "http://" + ln.Addr().String()
	fmt.Printf("URL=%s\nTOKEN=%s\n", url, githubtest.Token)
	hs := &http.Server{Handler: srv.Handler()}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		<-sig
		_ = hs.Close()
	}()
	if err := hs.Serve(ln); err != nil && err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, "fakeghes:", err)
		os.Exit(1)
	}
}
