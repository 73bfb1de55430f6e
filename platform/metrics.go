package platform

import (
	"fmt"
	"net"
)

// CheckMetricsAddr checks a --metrics-addr (run's, and install's for the
// service): HOST:PORT with a loopback host (127.0.0.1, ::1, localhost).
// The endpoint has no authentication and names the job running: to
// scrape it from another host, put an authenticating proxy in front.
func CheckMetricsAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--metrics-addr %q: want HOST:PORT: %w", addr, err)
	}
	if port == "" {
		return fmt.Errorf("--metrics-addr %q: no port", addr)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--metrics-addr %q: not a loopback address (127.0.0.1, ::1, localhost): the endpoint has no authentication", addr)
	}
	return nil
}
