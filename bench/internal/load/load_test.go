package load

import (
	"bytes"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestCounter(t *testing.T) {
	stream := strings.Repeat("id: 1\nevent: update\ndata: {}\n\n", 5)
	tests := []struct {
		name   string
		pieces []string
		want   int64
	}{
		{"whole", []string{stream}, 5},
		{"split inside the blank line", []string{stream[:29], stream[29:]}, 5},
		{"byte by byte", strings.Split(stream, ""), 5},
		{"lone LF pieces", []string{"data: x\n", "\n", "\n", "data: y\n", "\n"}, 2},
		{"no event yet", []string{"data: x\n"}, 0},
		{"empty pieces", []string{"", "data: x\n", "", "\n"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Counter
			var n int64
			for _, p := range tt.pieces {
				c.Add([]byte(p))
				n += int64(len(p))
			}
			if c.Events != tt.want || c.Bytes != n {
				t.Errorf("got %d events, %d bytes; want %d, %d", c.Events, c.Bytes, tt.want, n)
			}
		})
	}
}

func TestRead(t *testing.T) {
	stream := strings.Repeat("data: x\n\n", 3)
	tests := []struct {
		name    string
		want    int64
		wantErr bool
	}{
		{"all", 3, false},
		{"fewer", 2, false},
		{"more than sent", 4, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Read(bytes.NewReader([]byte(stream)), tt.want, make([]byte, 4))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if !tt.wantErr && c.Events < tt.want {
				t.Errorf("got %d events, want at least %d", c.Events, tt.want)
			}
		})
	}
}
