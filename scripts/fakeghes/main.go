// Command fakeghes serves the fake GHES of bootstrap/github/githubtest on
// loopback, for trying runnerctl by hand and for the demo. It prints the
// server URL and the PAT it accepts, then serves until interrupted.
// Seed runners and inject faults through its /_fake/ control API:
//
//	curl -X POST $URL/_fake/runners -d '{"scope":"orgs/acme","count":250,"status":"offline"}'
//	curl -X POST $URL/_fake/faults  -d '[{"Status":502},{"Status":502}]'
//	curl $URL/_fake/requests
//	curl -X POST $URL/_fake/cut -d 1000000   (with -package: cut the next download after N bytes)
//
// With -package FILE it also runs a download origin that serves FILE, with
// a temporary download token, as every Linux and macOS package.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
	"github.com/runnerctl/runnerctl/bootstrap/runner/runnertest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "loopback address to listen on")
	pkg := flag.String("package", "", "a runner package (tar.gz) to serve from a download origin")
	fake := flag.Bool("fake-runner", false, "build the fake runner package of bootstrap/runner/runnertest and serve it (as -package)")
	heartbeat := flag.Duration("heartbeat", 500*time.Millisecond, "heartbeat interval the fake tells runners")
	flag.Parse()
	if *fake {
		tmp, err := os.MkdirTemp("", "fakeghes-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "fakeghes:", err)
			os.Exit(1)
		}
		defer os.RemoveAll(tmp)
		p, err := runnertest.Build(context.Background(), tmp, runnertest.Options{})
		if err != nil {
			fmt.Fprintln(os.Stderr, "fakeghes:", err)
			os.Exit(1)
		}
		*pkg = p.Path
		fmt.Printf("PACKAGE=%s\nSHA256=%s\n", p.Path, p.SHA256)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fakeghes:", err)
		os.Exit(1)
	}
	srv := githubtest.NewUnstarted()
	srv.SetHeartbeat(*heartbeat)
	url := "http://" + ln.Addr().String()
	fmt.Printf("URL=%s\nTOKEN=%s\n", url, githubtest.Token)
	mux := http.NewServeMux()
	mux.Handle("/", srv.Handler())
	if *pkg != "" {
		data, err := os.ReadFile(*pkg)
		if err != nil {
			fmt.Fprintln(os.Stderr, "fakeghes:", err)
			os.Exit(1)
		}
		origin := githubtest.NewOrigin()
		defer origin.Close()
		var ds []githubtest.Download
		for _, p := range [][2]string{{"linux", "x64"}, {"linux", "arm64"}, {"linux", "arm"}, {"osx", "x64"}, {"osx", "arm64"}} {
			name := "actions-runner-" + p[0] + "-" + p[1] + "-2.336.0.tar.gz"
			ds = append(ds, origin.Publish(p[0], p[1], name, data, "tmp-download-token-"+p[0]+p[1]))
		}
		srv.SetDownloads(ds)
		fmt.Printf("ORIGIN=%s\n", origin.URL)
		mux.HandleFunc("POST /_fake/cut", func(w http.ResponseWriter, r *http.Request) {
			var n int64
			if _, err := fmt.Fscan(r.Body, &n); err != nil {
				http.Error(w, "want a byte count", http.StatusBadRequest)
				return
			}
			origin.CutNext(n)
			w.WriteHeader(http.StatusNoContent)
		})
		mux.HandleFunc("GET /_fake/origin-requests", func(w http.ResponseWriter, _ *http.Request) {
			for _, rq := range origin.Requests() {
				fmt.Fprintf(w, "%s %s range=%q auth=%q\n", rq.Method, rq.Path, rq.RawQuery, rq.Authorization)
			}
		})
	}
	hs := &http.Server{Handler: mux}
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
