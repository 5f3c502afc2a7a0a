package proc

import (
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestParseStat(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Times
		wantErr bool
	}{
		{"plain", "42 (benchserver) S 1 42 42 0 -1 4194560 100 0 0 0 150 25 0 0 20 0 4 0 100 1000 200", Times{1500 * time.Millisecond, 250 * time.Millisecond}, false},
		{"name with spaces and parens", "42 (a (b) c) R 1 42 42 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 1 1 1", Times{30 * time.Millisecond, 40 * time.Millisecond}, false},
		{"truncated", "42 (x) S 1 2", Times{}, true},
		{"no name", "garbage", Times{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStat([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseRSS(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    int64
		wantErr bool
	}{
		{"present", "Name:\tx\nVmRSS:\t   1024 kB\nThreads:\t4\n", 1 << 20, false},
		{"missing", "Name:\tx\n", 0, true},
		{"bad unit", "VmRSS:\t1 MB\n", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseRSS([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestSelf(t *testing.T) {
	if _, err := CPU(os.Getpid()); err != nil {
		t.Errorf("CPU: %v", err)
	}
	if rss, err := RSS(os.Getpid()); err != nil || rss <= 0 {
		t.Errorf("RSS = %d, %v; want a positive size", rss, err)
	}
	if rt := ReadRuntime(true); rt.HeapInuse == 0 || rt.Goroutines == 0 || rt.RSS <= 0 {
		t.Errorf("ReadRuntime = %+v, want non-zero figures", rt)
	}
}
