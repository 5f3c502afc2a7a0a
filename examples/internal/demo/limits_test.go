package demo

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/streamkit/streamkit/hub"
)

func TestCheckQuery(t *testing.T) {
	cases := []struct {
		raw string
		ok  bool
	}{
		{"", true},
		{"count=3&interval=0", true},
		{"a=%zz", false},
		{"a=1;b=2", false},
		{strings.Repeat("a=1&", 9_999) + "a=1", true},
		{strings.Repeat("a=1&", 10_001), false},
	}
	for _, c := range cases {
		err := CheckQuery(c.raw)
		if (err == nil) != c.ok || (err != nil && PublishStatus(err) != http.StatusBadRequest) {
			t.Errorf("CheckQuery(%.30q) = %v, want ok %v", c.raw, err, c.ok)
		}
	}
	h := RejectBadQuery(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ran") }))
	for raw, want := range map[string]int{"a=1": 200, "a=%zz": 400} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/x?"+raw, nil))
		if rec.Code != want {
			t.Errorf("RejectBadQuery ?%s = %d %q, want %d", raw, rec.Code, rec.Body, want)
		}
	}
}

func TestPublish(t *testing.T) {
	h := hub.New(nil)
	defer h.Close()
	ctx := context.Background()
	pub := func(topic, raw, key string, length int64, body string) (string, int, error) {
		return Publish(ctx, h, topic, query(raw), key, length, strings.NewReader(body))
	}
	id1, status, err := pub("t", "event=e", "k1", 1, "x")
	if err != nil || status != 200 || id1 == "" {
		t.Fatalf("publish = %q %d %v", id1, status, err)
	}
	if id, _, err := pub("t", "event=e", "k1", 1, "x"); err != nil || id != id1 {
		t.Errorf("retry with the key = %q, %v; want %q", id, err, id1)
	}
	big := strings.Repeat("x", MaxPublish+1)
	cases := []struct {
		name, topic, raw, key string
		length                int64
		body                  string
		status                int
	}{
		{"bad topic", "a/b", "", "", 1, "x", 400},
		{"bad event", "t", "event=a%0Ab", "", 1, "x", 400},
		{"bad key", "t", "", "with space", 1, "x", 400},
		{"key too long", "t", "", strings.Repeat("k", 129), 1, "x", 400},
		{"declared too large", "t", "", "", MaxPublish + 1, "", 413},
		{"too large", "t", "", "", -1, big, 413},
	}
	for _, c := range cases {
		if _, status, err := pub(c.topic, c.raw, c.key, c.length, c.body); status != c.status || err == nil {
			t.Errorf("%s: status %d, %v; want %d", c.name, status, err, c.status)
		}
	}
}

func TestEchoForm(t *testing.T) {
	q, err := EchoForm(strings.NewReader("data=a%0Ab&id=7"))
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := q("data"); d != "a\nb" {
		t.Errorf("data = %q", d)
	}
	for _, body := range []string{"a=%zz", strings.Repeat("x", MaxEchoBody+1)} {
		if _, err := EchoForm(strings.NewReader(body)); err == nil || PublishStatus(err) != 400 {
			t.Errorf("EchoForm(%.20q...) = %v, want a 400 error", body, err)
		}
	}
}

func TestLimitFlags(t *testing.T) {
	cfg, err := Parse("x", nil, io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxStreams != DefaultMaxStreams || cfg.Registry().Limit != DefaultMaxStreams ||
		cfg.UploadIdle != DefaultUploadIdle || cfg.UploadMinRate != DefaultUploadMinRate {
		t.Errorf("defaults = %+v", cfg)
	}
	o := cfg.UploadOptions(nil)
	if o.MaxBytes != DefaultMaxUpload || o.ReadIdleTimeout != DefaultUploadIdle || o.MinRate != DefaultUploadMinRate {
		t.Errorf("UploadOptions = %+v", o)
	}
	for _, args := range [][]string{{"-max-streams", "-1"}, {"-upload-idle", "-1s"}, {"-upload-idle", "0"}} {
		if _, err := Parse("x", args, io.Discard, nil); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
	var srv http.Server
	Limit(&srv)
	if srv.MaxHeaderBytes != MaxHeaderBytes || srv.ReadHeaderTimeout != ReadHeaderTimeout || srv.IdleTimeout != IdleTimeout {
		t.Errorf("Limit: %d %v %v", srv.MaxHeaderBytes, srv.ReadHeaderTimeout, srv.IdleTimeout)
	}
}
