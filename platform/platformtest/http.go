package platformtest

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// FreeLoopbackAddr is a loopback HOST:PORT whose port was free a moment ago.
func FreeLoopbackAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Scrape GETs url until it answers code with a body holding every one
// of want, for up to within, and returns the body; else the test fails.
func Scrape(t testing.TB, url string, within time.Duration, code int, want ...string) string {
	t.Helper()
	var got string
	for start := time.Now(); time.Since(start) < within; time.Sleep(20 * time.Millisecond) {
		c, body, err := Get(url)
		if err != nil {
			got = err.Error()
			continue
		}
		got = fmt.Sprintf("%d\n%s", c, body)
		ok := c == code
		for _, w := range want {
			ok = ok && strings.Contains(body, w)
		}
		if ok {
			return body
		}
	}
	t.Fatalf("GET %s: want %d with %q, got %s", url, code, want, got)
	return ""
}

// Get GETs url: its status code and body.
func Get(url string) (int, string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// LinesWith keeps the lines of s that begin with prefix.
func LinesWith(s, prefix string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
