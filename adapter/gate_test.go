package adapter_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/streamkit/streamkit/adapter"
	"github.com/streamkit/streamkit/core"
)

func TestGate(t *testing.T) {
	cases := []struct {
		name   string
		closes int
		want   bool
	}{
		{"Open", 0, true},
		{"Closed", 1, false},
		{"ClosedTwice", 2, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var g adapter.Gate
			for range tc.closes {
				g.Close()
			}
			got := g.Enter()
			if got {
				g.Leave()
			}
			if got != tc.want {
				t.Errorf("Enter() = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestGateCloseWaits: Close cannot return while a call holds the gate, so
// no gated call runs after the handler returned.
func TestGateCloseWaits(t *testing.T) {
	var g adapter.Gate
	if !g.Enter() {
		t.Fatal("Enter() = false on a new gate, want true")
	}
	closed := make(chan struct{})
	go func() {
		g.Close()
		close(closed)
	}()
	select {
	case <-closed:
		t.Fatal("Close returned while a call held the gate")
	case <-time.After(20 * time.Millisecond):
	}
	g.Leave()
	<-closed
	if g.Enter() {
		g.Leave()
		t.Error("Enter() = true after Close, want false")
	}
}

func TestGatedConn(t *testing.T) {
	done := errors.New("handler returned")
	hc, err := core.NewHTTPConn(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	if err != nil {
		t.Fatal(err)
	}
	gc := &adapter.GatedConn{HTTPConn: hc, Closed: done}

	if err := gc.Enter(); err != nil {
		t.Fatalf("Enter() = %v, want nil on an open gate", err)
	}
	gc.Leave()
	// The recorder hides no deadline but has none either: the HTTPConn's
	// own answer comes through the open gate.
	if err := gc.SetWriteDeadline(time.Time{}); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("SetWriteDeadline on an open gate = %v, want the HTTPConn's errors.ErrUnsupported", err)
	}

	gc.Gate.Close()
	if err := gc.Enter(); !errors.Is(err, done) {
		t.Errorf("Enter() after Close = %v, want %v", err, done)
	}
	if err := gc.SetWriteDeadline(time.Time{}); !errors.Is(err, done) {
		t.Errorf("SetWriteDeadline after Close = %v, want %v", err, done)
	}
}
