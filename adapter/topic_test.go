package adapter_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/streamkit/streamkit/adapter"
	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/core/streamtest"
	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/sse"
)

func TestOrdinary(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"Nil", nil, true},
		{"ClientGone", fmt.Errorf("x: %w", core.ErrClientGone), true},
		{"Shutdown", core.ErrShutdown, true},
		{"Lifetime", core.ErrLifetime, true},
		{"Closed", core.ErrClosed, true},
		{"WriteTimeout", core.ErrWriteTimeout, false},
		{"InvalidField", sse.ErrInvalidField, false},
		{"Other", errors.New("broken pipe"), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := adapter.Ordinary(tc.err); got != tc.want {
				t.Errorf("Ordinary(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

func openSSE(rec core.Conn, called *bool) func() (*sse.Stream, error) {
	return func() (*sse.Stream, error) {
		*called = true
		return sse.NewStream(rec, nil)
	}
}

// get is a request for the topic, with the query rawQuery.
func get(rawQuery string) *http.Request {
	return httptest.NewRequest(http.MethodGet, "/sse/topics/news?"+rawQuery, nil)
}

func TestServeTopic(t *testing.T) {
	cantOpen := errors.New("cannot open")
	t.Run("BadTopic", func(t *testing.T) {
		h := hub.New(nil)
		defer h.Close()
		called := false
		out := adapter.ServeTopic(context.Background(), h, "no/slashes", get(""), func() (*sse.Stream, error) {
			called = true
			return nil, cantOpen
		})
		if out.Stage != adapter.BadRequest || !errors.Is(out.Err, hub.ErrInvalidTopic) || called {
			t.Errorf("Outcome = %+v, open called = %v; want BadRequest with hub.ErrInvalidTopic, open not called", out, called)
		}
	})

	t.Run("MalformedQuery", func(t *testing.T) {
		h := hub.New(nil)
		defer h.Close()
		called := false
		out := adapter.ServeTopic(context.Background(), h, "news", get("lastEventId=%zz"), func() (*sse.Stream, error) {
			called = true
			return nil, cantOpen
		})
		if out.Stage != adapter.BadRequest || out.Err == nil || called {
			t.Errorf("Outcome = %+v, open called = %v; want BadRequest with an error, open not called", out, called)
		}
	})

	t.Run("Unavailable", func(t *testing.T) {
		h := hub.New(nil)
		h.Close()
		called := false
		out := adapter.ServeTopic(context.Background(), h, "news", get(""), func() (*sse.Stream, error) {
			called = true
			return nil, cantOpen
		})
		if out.Stage != adapter.Unavailable || !errors.Is(out.Err, hub.ErrClosed) || called {
			t.Errorf("Outcome = %+v, open called = %v; want Unavailable with hub.ErrClosed, open not called", out, called)
		}
	})

	t.Run("NotOpened", func(t *testing.T) {
		h := hub.New(nil)
		defer h.Close()
		out := adapter.ServeTopic(context.Background(), h, "news", get(""), func() (*sse.Stream, error) { return nil, cantOpen })
		if out.Stage != adapter.NotOpened || !errors.Is(out.Err, cantOpen) {
			t.Errorf("Outcome = %+v, want NotOpened with %v", out, cantOpen)
		}
	})

	t.Run("ClientLeaves", func(t *testing.T) {
		h := hub.New(nil)
		defer h.Close()
		rec := streamtest.NewRecorder()
		var called bool
		done := make(chan adapter.Outcome)
		go func() { done <- adapter.ServeTopic(context.Background(), h, "news", get(""), openSSE(rec, &called)) }()
		if !rec.WaitFlush(5 * time.Second) {
			t.Fatal("no flush within 5s: the stream did not start")
		}
		rec.Disconnect()
		out := <-done
		if out.Stage != adapter.Served || out.Err != nil {
			t.Errorf("Outcome = %+v, want Served with no error: a client leaving is an ordinary end", out)
		}
	})

	t.Run("WriteFails", func(t *testing.T) {
		h := hub.New(nil)
		defer h.Close()
		broken := errors.New("broken pipe")
		rec := streamtest.NewRecorder()
		defer rec.Disconnect()
		open := func() (*sse.Stream, error) {
			// A heartbeat is the first write after the headers.
			s, err := sse.NewStream(rec, &sse.Options{Heartbeat: 10 * time.Millisecond})
			rec.FailWrites(broken)
			return s, err
		}
		out := adapter.ServeTopic(context.Background(), h, "news", get(""), open)
		if out.Stage != adapter.Served || !errors.Is(out.Err, broken) {
			t.Errorf("Outcome = %+v, want Served with %v: a broken connection is not an ordinary end", out, broken)
		}
	})
}
