package streamechov5_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/labstack/echo/v5"

	"github.com/streamkit/streamkit/adapters/streamechov5"
	"github.com/streamkit/streamkit/hub"
	"github.com/streamkit/streamkit/ndjson"
	"github.com/streamkit/streamkit/sse"
)

type tick struct {
	N int `json:"n"`
}

// ticks yields count ticks, stopping early when ctx is done.
func ticks(ctx context.Context, count int) iter.Seq[tick] {
	return func(yield func(tick) bool) {
		for i := 1; i <= count; i++ {
			if ctx.Err() != nil || !yield(tick{N: i}) {
				return
			}
		}
	}
}

// countParam reads ?count=, refusing a malformed one with 400.
func countParam(c *echo.Context) (int, error) {
	s := c.QueryParam("count")
	if s == "" {
		return 3, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, echo.NewHTTPError(http.StatusBadRequest, "bad count")
	}
	return n, nil
}

func TestSSE(t *testing.T) {
	t.Parallel()
	srv := start(t, setup{tr: http1}, func(e *echo.Echo) {
		e.GET("/json", func(c *echo.Context) error {
			n, err := countParam(c)
			if err != nil {
				return err
			}
			s, err := streamechov5.SSE(c, nil)
			if err != nil {
				return err
			}
			defer s.Close()
			for v := range ticks(s.Context(), n) {
				if sse.SendJSON(s, nil, v) != nil {
					return nil
				}
			}
			return nil
		})
		e.GET("/events", func(c *echo.Context) error {
			last, err := sse.LastEventID(c.Request())
			if err != nil {
				return echo.NewHTTPError(http.StatusBadRequest, err.Error())
			}
			after, _ := strconv.Atoi(last)
			if after >= 3 {
				return c.NoContent(http.StatusNoContent) // nothing more, ever
			}
			s, err := streamechov5.SSE(c, nil)
			if err != nil {
				return err
			}
			defer s.Close()
			for i := after + 1; i <= 3; i++ {
				if s.Send(&sse.Event{ID: strconv.Itoa(i), Type: "tick", Data: fmt.Sprint(i)}) != nil {
					return nil
				}
			}
			return nil
		})
		e.GET("/bad-event", func(c *echo.Context) error {
			s, err := streamechov5.SSE(c, nil)
			if err != nil {
				return err
			}
			defer s.Close()
			s.Send(&sse.Event{Data: "ok"})
			if err := s.Send(&sse.Event{Type: "line\nbreak"}); !errors.Is(err, sse.ErrInvalidField) {
				t.Errorf("Send of a bad event type = %v, want sse.ErrInvalidField", err)
			}
			return nil
		})
	})

	cases := []struct {
		name   string
		path   string
		header []string
		status int
		want   string // events as type/id/data, or the body for an error
	}{
		{"JSONData", "/json?count=3", nil, 200, `message//{"n":1} message//{"n":2} message//{"n":3}`},
		{"Empty", "/json?count=0", nil, 200, ``},
		{"Refused", "/json?count=x", nil, 400, `{"message":"bad count"}`},
		{"Events", "/events", nil, 200, "tick/1/1 tick/2/2 tick/3/3"},
		{"Resume", "/events", []string{"Last-Event-ID", "1"}, 200, "tick/2/2 tick/3/3"},
		{"ResumeQuery", "/events?lastEventId=2", nil, 200, "tick/3/3"},
		{"AllSeen", "/events", []string{"Last-Event-ID", "3"}, 204, ""},
		{"MalformedQuery", "/events?lastEventId=%zz", nil, 400, `{"message":"sse: cannot read lastEventId from a malformed query: invalid URL escape \"%zz\""}`},
		{"InvalidEventSkipped", "/bad-event", nil, 200, "message//ok"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := srv.get(t, tc.path, tc.header...)
			if resp.StatusCode != tc.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tc.status)
			}
			var got string
			if resp.StatusCode == 200 {
				evs, err := events(resp.Body)
				if err != nil {
					t.Fatalf("reading events: %v", err)
				}
				var parts []string
				for _, ev := range evs {
					id := ev.ID
					if !ev.IDSet {
						id = ""
					}
					parts = append(parts, ev.Type+"/"+id+"/"+ev.Data)
				}
				got = strings.Join(parts, " ")
			} else {
				b, _ := io.ReadAll(resp.Body)
				got = strings.TrimSpace(string(b))
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestNDJSON(t *testing.T) {
	t.Parallel()
	srv := start(t, setup{tr: h2c}, func(e *echo.Echo) {
		e.GET("/seq", func(c *echo.Context) error {
			n, err := countParam(c)
			if err != nil {
				return err
			}
			s, err := streamechov5.NDJSON(c, nil)
			if err != nil {
				return err
			}
			defer s.Close()
			return ndjson.Seq(s, ticks(s.Context(), n))
		})
		e.GET("/envelope", func(c *echo.Context) error {
			s, err := streamechov5.NDJSON(c, &ndjson.Options{Envelope: true})
			if err != nil {
				return err
			}
			defer s.Close()
			return ndjson.Seq(s, ticks(s.Context(), 2))
		})
		e.GET("/chan", func(c *echo.Context) error {
			s, err := streamechov5.NDJSON(c, nil)
			if err != nil {
				return err
			}
			defer s.Close()
			ch := make(chan tick)
			go func() {
				defer close(ch)
				for v := range ticks(s.Context(), 3) {
					select {
					case ch <- v:
					case <-s.Context().Done():
						return
					}
				}
			}()
			return ndjson.Chan(s, ch)
		})
		e.GET("/helper", func(c *echo.Context) error {
			s, err := streamechov5.NDJSON(c, &ndjson.Options{Format: ndjson.JSONLines})
			if err != nil {
				return err
			}
			defer s.Close()
			return s.Encode(tick{N: 7})
		})
	})
	cases := []struct {
		name, path  string
		status      int
		contentType string
		want        string
	}{
		{"Seq", "/seq?count=3", 200, "application/x-ndjson", "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n"},
		{"SeqRefused", "/seq?count=-1", 400, "application/json", "{\"message\":\"bad count\"}\n"},
		{"Envelope", "/envelope", 200, "application/x-ndjson", "{\"result\":{\"n\":1}}\n{\"result\":{\"n\":2}}\n{\"end\":true}\n"},
		{"Chan", "/chan", 200, "application/x-ndjson", "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n"},
		{"Helper", "/helper", 200, "application/jsonl", "{\"n\":7}\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := srv.get(t, tc.path)
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tc.status)
			}
			if got := resp.Header.Get("Content-Type"); !strings.HasPrefix(got, tc.contentType) {
				t.Errorf("Content-Type = %q, want %q", got, tc.contentType)
			}
			if string(body) != tc.want {
				t.Errorf("body = %q, want %q", body, tc.want)
			}
		})
	}
}

func TestHubTopic(t *testing.T) {
	t.Parallel()
	h := hub.New(nil)
	t.Cleanup(func() { h.Close() })
	srv := start(t, setup{tr: http1}, func(e *echo.Echo) {
		e.GET("/topics/:topic", streamechov5.HubTopic(h, "topic", &sse.Options{Heartbeat: -1}))
	})
	first, err := h.Publish(context.Background(), "news", hub.Message{Type: "headline", Data: "one"})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("InvalidTopic", func(t *testing.T) {
		resp := srv.get(t, "/topics/bad%20name")
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "invalid topic") {
			t.Errorf("got %d %q, want 400 with a reason", resp.StatusCode, body)
		}
	})

	t.Run("MalformedQuery", func(t *testing.T) {
		resp := srv.get(t, "/topics/news?lastEventId=%zz")
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "malformed query") {
			t.Errorf("got %d %q, want 400 with a reason", resp.StatusCode, body)
		}
	})

	t.Run("ResumeThenLive", func(t *testing.T) {
		resp := srv.get(t, "/topics/news", "Last-Event-ID", first)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status = %d", resp.StatusCode)
		}
		r := sse.NewReader(resp.Body, nil)
		id, err := h.Publish(context.Background(), "news", hub.Message{Type: "headline", Data: "two"})
		if err != nil {
			t.Fatal(err)
		}
		ev, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if ev.Data != "two" || ev.Type != "headline" || ev.ID != id {
			t.Errorf("event = %+v, want headline %q with id %s", ev, "two", id)
		}
	})
}
