package demo

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/url"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func query(raw string) Query {
	v, err := url.ParseQuery(raw)
	if err != nil {
		panic(err)
	}
	return URLQuery(v)
}

func TestParseTicks(t *testing.T) {
	cases := []struct {
		name  string
		query string
		want  Ticks
		bad   bool
	}{
		{"defaults", "", Ticks{DefaultCount, DefaultInterval}, false},
		{"both", "count=3&interval=250ms", Ticks{3, 250 * time.Millisecond}, false},
		{"zero", "count=0&interval=0", Ticks{0, 0}, false},
		{"max", "count=1000000", Ticks{MaxCount, DefaultInterval}, false},
		{"negative count", "count=-1", Ticks{}, true},
		{"count past max", "count=1000001", Ticks{}, true},
		{"empty count", "count=", Ticks{}, true},
		{"bogus interval", "interval=bogus", Ticks{}, true},
		{"negative interval", "interval=-1s", Ticks{}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseTicks(query(c.query))
			if c.bad {
				if !errors.Is(err, ErrBadRequest) {
					t.Fatalf("ParseTicks(%q) error = %v, want one matching ErrBadRequest", c.query, err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("ParseTicks(%q) = %+v, %v; want %+v", c.query, got, err, c.want)
			}
		})
	}
}

func TestResume(t *testing.T) {
	ticks := Ticks{Count: 5}
	cases := []struct {
		last     string
		next     int
		done     bool
		wantFail bool
	}{
		{"", 1, false, false},
		{"0", 1, false, false},
		{"4", 5, false, false},
		{"5", 0, true, false},
		{"6", 0, true, false},
		{"99999999999999999999999", 0, true, false},
		{"-1", 0, false, true},
		{"+1", 0, false, true},
		{"x", 0, false, true},
		{"1.0", 0, false, true},
	}
	for _, c := range cases {
		t.Run(c.last, func(t *testing.T) {
			next, done, err := ticks.Resume(c.last)
			if (err != nil) != c.wantFail || next != c.next || done != c.done {
				t.Errorf("Resume(%q) = %d, %v, %v; want %d, %v, fail %v", c.last, next, done, err, c.next, c.done, c.wantFail)
			}
		})
	}
}

func TestRun(t *testing.T) {
	var got []int
	err := Ticks{Count: 4, Interval: time.Millisecond}.Run(context.Background(), 2, func(n int) error {
		got = append(got, n)
		return nil
	})
	if err != nil || len(got) != 3 || got[0] != 2 || got[2] != 4 {
		t.Fatalf("Run sent %v, %v; want 2 3 4", got, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	err = Ticks{Count: 10, Interval: time.Hour}.Run(ctx, 1, func(int) error { cancel(); return nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run after cancel = %v, want context.Canceled", err)
	}
}

func TestParseEcho(t *testing.T) {
	cases := []struct {
		name  string
		query string
		want  string
		bad   bool
	}{
		{"nothing", "", "data: \n\n", false},
		{"data lines", "data=a%0Db%0D%0Ac", "data: a\ndata: b\ndata: c\n\n", false},
		{"all", "id=1&event=e&retry=20&comment=hi&data=x", ": hi\nid: 1\nevent: e\nretry: 20\ndata: x\n\n", false},
		{"empty id", "id=", "id: \n\n", false},
		{"retry zero", "retry=0", "retry: 0\n\n", false},
		{"id with LF", "id=a%0Ab", "", true},
		{"event with NUL", "event=a%00", "", true},
		{"retry not a number", "retry=1s", "", true},
		{"retry signed", "retry=+1", "", true},
		{"retry overflow", "retry=99999999999999999999", "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseEcho(query(c.query))
			if c.bad {
				if !errors.Is(err, ErrBadRequest) {
					t.Fatalf("ParseEcho(%q) error = %v, want one matching ErrBadRequest", c.query, err)
				}
				return
			}
			if err != nil || string(got) != c.want {
				t.Fatalf("ParseEcho(%q) = %q, %v; want %q", c.query, got, err, c.want)
			}
		})
	}
}

func TestParseDownload(t *testing.T) {
	cases := []struct {
		query string
		want  int64
		bad   bool
	}{
		{"", DefaultDownload, false},
		{"size=0", 0, false},
		{"size=10737418240", MaxDownload, false},
		{"size=10737418241", 0, true},
		{"size=-1", 0, true},
		{"size=1k", 0, true},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			got, err := ParseDownload(query(c.query))
			if (err != nil) != c.bad || got != c.want {
				t.Errorf("ParseDownload(%q) = %d, %v; want %d, fail %v", c.query, got, err, c.want, c.bad)
			}
		})
	}
}

func TestPattern(t *testing.T) {
	for _, size := range []int64{0, 1, 251, 502, 10_000} {
		// A one-byte reader and a large buffer must agree.
		small, err := io.ReadAll(iotest.OneByteReader(NewPattern(size)))
		if err != nil {
			t.Fatal(err)
		}
		big, _ := io.ReadAll(NewPattern(size))
		if int64(len(small)) != size || !bytes.Equal(small, big) {
			t.Fatalf("size %d: got %d and %d bytes", size, len(small), len(big))
		}
		for i, b := range big {
			if b != byte(i%251) {
				t.Fatalf("size %d: byte %d = %d, want %d", size, i, b, i%251)
			}
		}
	}
}

func TestCheckTopic(t *testing.T) {
	for name, ok := range map[string]bool{
		"chat": true, "a.b_c-9": true, strings.Repeat("x", 64): true,
		"": false, strings.Repeat("x", 65): false, "a b": false, "a/b": false, "café": false,
	} {
		if err := CheckTopic(name); (err == nil) != ok {
			t.Errorf("CheckTopic(%q) = %v, want ok %v", name, err, ok)
		}
	}
}

func TestHashUpload(t *testing.T) {
	got, err := HashUpload(strings.NewReader("abc"))
	want := UploadResult{3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}
	if err != nil || got != want {
		t.Fatalf("HashUpload(abc) = %+v, %v; want %+v", got, err, want)
	}
	got, err = HashUpload(iotest.ErrReader(io.ErrUnexpectedEOF))
	if !errors.Is(err, io.ErrUnexpectedEOF) || got.SHA256 != "" {
		t.Fatalf("HashUpload(failing) = %+v, %v; want the read error", got, err)
	}
}

func TestNilProgress(t *testing.T) {
	p := NewProgress(nil, "")
	p.Update(1, 10)
	p.Done(UploadResult{})
	p.Fail(errors.New("x"))
}
