package results

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestAppendRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.jsonl")
	want := []Record{
		{Kind: KindE2E, Framework: "gin", Mode: "own", Conns: 2, EventsPerSec: 1.5, AllEventsPerSec: []float64{1, 1.5, 2}},
		{Kind: KindIdle, Framework: "hertz", Mode: "streamkit", Error: "boom"},
	}
	for _, r := range want {
		if err := Append(path, r); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := Read(f)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name, in string
		n        int
		wantErr  bool
	}{
		{"blank lines", "\n{\"kind\":\"e2e\"}\n\n", 1, false},
		{"not JSON", "{\"kind\":\"e2e\"}\nnope\n", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Read(strings.NewReader(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if len(got) != tt.n {
				t.Errorf("got %d records, want %d", len(got), tt.n)
			}
		})
	}
}
