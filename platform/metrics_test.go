package platform

import "testing"

func TestCheckMetricsAddr(t *testing.T) {
	for addr, ok := range map[string]bool{
		"127.0.0.1:9252": true, "[::1]:9252": true, "localhost:9252": true, "127.0.0.2:1": true,
		"0.0.0.0:9252": false, ":9252": false, "10.0.0.1:9252": false, "example.com:9252": false,
		"127.0.0.1": false, "127.0.0.1:": false,
	} {
		if err := CheckMetricsAddr(addr); (err == nil) != ok {
			t.Errorf("CheckMetricsAddr(%q): %v, want ok=%v", addr, err, ok)
		}
	}
}
