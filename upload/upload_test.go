package upload_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/streamkit/streamkit/upload"

	"github.com/streamkit/streamkit/internal/livetest"
)

const boundary = "xYzZY"

// consume reads the upload in body and copies its content to w, as a
// handler does: ReadFrom, then io.Copy.
func consume(w io.Writer, body io.Reader, ctype string, length int64, opts *upload.Options) (int64, error) {
	u, err := upload.ReadFrom(body, ctype, length, opts)
	if err != nil {
		return 0, err
	}
	return io.Copy(w, u)
}

// form builds a multipart/form-data body: fields are name=value pairs, and
// a name starting with "file:" becomes a file part with that filename.
func form(parts ...string) string {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	w.SetBoundary(boundary)
	for i := 0; i+1 < len(parts); i += 2 {
		name, value := parts[i], parts[i+1]
		if file, ok := strings.CutPrefix(name, "file:"); ok {
			fw, _ := w.CreateFormFile("upload", file)
			fw.Write([]byte(value))
			continue
		}
		w.WriteField(name, value)
	}
	w.Close()
	return b.String()
}

const formType = "multipart/form-data; boundary=" + boundary

// unread is a body that fails the test if it is read at all.
type unread struct{ t *testing.T }

func (u unread) Read([]byte) (int, error) {
	u.t.Error("the body was read")
	return 0, io.EOF
}

func TestReadFrom(t *testing.T) {
	big := strings.Repeat("z", 5000)
	tests := []struct {
		name      string
		body      io.Reader // when nil, in is the body
		in        string
		ctype     string
		length    int64 // the declared Content-Length; -1 for none
		opts      *upload.Options
		want      string
		wantFile  string
		wantField string
		wantType  string
		wantErr   error
		wantCode  int
	}{
		{name: "raw", in: "hello", ctype: "text/plain", length: 5, want: "hello", wantType: "text/plain"},
		{name: "raw without content type or length", in: "hi", length: -1, want: "hi"},
		{name: "raw at the limit", in: "12345", length: -1, opts: &upload.Options{MaxBytes: 5}, want: "12345"},
		{name: "raw no limit", in: big, length: -1, opts: &upload.Options{MaxBytes: -1}, want: big},
		{name: "empty raw body", in: "", length: 0, want: ""},
		{name: "nil body", body: nilReader{}, length: 0, want: ""},
		{name: "multipart file", in: form("file:a.txt", "content\r\nwith lines"), ctype: formType, length: -1,
			want: "content\r\nwith lines", wantFile: "a.txt", wantField: "upload", wantType: "application/octet-stream"},
		{name: "multipart fields before the file", in: form("title", "x", "note", big, "file:dir/b.bin", "data", "after", "y"), ctype: formType, length: -1,
			want: "data", wantFile: "b.bin", wantField: "upload", wantType: "application/octet-stream"},
		{name: "multipart named field", in: form("title", "the title", "file:c", "data"), ctype: formType, length: -1,
			opts: &upload.Options{Field: "title"}, want: "the title", wantField: "title"},
		{name: "multipart type parameters in any case", in: form("file:d", "x"), ctype: "Multipart/Form-Data; Boundary=" + boundary, length: -1,
			want: "x", wantFile: "d", wantField: "upload", wantType: "application/octet-stream"},
		{name: "multipart without a file", in: form("title", "x"), ctype: formType, length: -1, wantErr: upload.ErrNoFile, wantCode: 400},
		{name: "multipart without the named field", in: form("file:x", "x"), ctype: formType, length: -1, opts: &upload.Options{Field: "other"}, wantErr: upload.ErrNoFile, wantCode: 400},
		{name: "multipart no boundary", in: form("file:x", "x"), ctype: "multipart/form-data", length: -1, wantErr: upload.ErrMalformed, wantCode: 400},
		{name: "multipart bad parameters", in: form("file:x", "x"), ctype: "multipart/form-data; boundary", length: -1, wantErr: upload.ErrMalformed, wantCode: 400},
		{name: "multipart garbage", in: "this is not multipart at all", ctype: formType, length: -1, wantErr: upload.ErrMalformed, wantCode: 400},
		{name: "multipart empty", in: "", ctype: formType, length: 0, wantErr: upload.ErrMalformed, wantCode: 400},
		{name: "multipart broken part header", in: "--" + boundary + "\r\nno colon here\r\n\r\nx\r\n--" + boundary + "--\r\n", ctype: formType, length: -1, wantErr: upload.ErrMalformed, wantCode: 400},
		{name: "multipart long line", in: "--" + boundary + "\r\nX: " + strings.Repeat("h", 20000) + "\r\n\r\nx\r\n", ctype: formType, length: -1, wantErr: upload.ErrMalformed, wantCode: 400},
		{name: "multipart too many fields", in: form(strings.Split(strings.Repeat("f|v|", 1001), "|")...), ctype: formType, length: -1, opts: &upload.Options{MaxBytes: -1}, wantErr: upload.ErrMalformed, wantCode: 400},
		{name: "content length over the limit", body: unread{t}, length: 1 << 20, opts: &upload.Options{MaxBytes: 1000}, wantErr: upload.ErrTooLarge, wantCode: 413},
		{name: "multipart content length over the limit", body: unread{t}, ctype: formType, length: 1 << 20, opts: &upload.Options{MaxBytes: 1000}, wantErr: upload.ErrTooLarge, wantCode: 413},
		{name: "fields over the limit", in: form("note", big, "file:x", "x"), ctype: formType, length: -1, opts: &upload.Options{MaxBytes: 1000}, wantErr: upload.ErrTooLarge, wantCode: 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := tt.body
			if body == nil {
				body = strings.NewReader(tt.in)
			}
			if _, ok := body.(nilReader); ok {
				body = nil
			}
			u, err := upload.ReadFrom(body, tt.ctype, tt.length, tt.opts)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("ReadFrom error = %v, want %v", err, tt.wantErr)
				}
				if code := upload.Status(err); code != tt.wantCode {
					t.Errorf("Status(%v) = %d, want %d", err, code, tt.wantCode)
				}
				if !strings.HasPrefix(err.Error(), "upload: ") {
					t.Errorf("error %q lacks the package prefix", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ReadFrom error = %v", err)
			}
			got, err := io.ReadAll(u)
			if err != nil {
				t.Fatalf("reading the upload: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("content = %.40q (%d bytes), want %.40q", got, len(got), tt.want)
			}
			if u.Filename != tt.wantFile || u.FieldName != tt.wantField || u.ContentType != tt.wantType {
				t.Errorf("upload = file %q field %q type %q, want %q %q %q", u.Filename, u.FieldName, u.ContentType, tt.wantFile, tt.wantField, tt.wantType)
			}
			if wantTotal := max(tt.length, -1); u.Total != wantTotal {
				t.Errorf("Total = %d, want %d", u.Total, wantTotal)
			}
		})
	}
}

type nilReader struct{}

func (nilReader) Read([]byte) (int, error) { return 0, io.EOF }

// TestUploadLimitWhileReading checks the limit holds however the length is
// declared: absent, lying low, or honest; and for raw and multipart bodies.
func TestUploadLimitWhileReading(t *testing.T) {
	const limit = 10_000
	raw := strings.Repeat("r", 50_000)
	multi := form("file:f", raw)
	tests := []struct {
		name   string
		in     string
		ctype  string
		length int64
	}{
		{"raw no length", raw, "", -1},
		{"raw lying length", raw, "", 100},
		{"multipart no length", multi, formType, -1},
		{"multipart lying length", multi, formType, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var lastRead int64
			opts := &upload.Options{MaxBytes: limit, Progress: func(read, total int64) {
				lastRead = read
				if total != max(tt.length, -1) {
					t.Errorf("progress total = %d, want %d", total, tt.length)
				}
			}}
			var sink bytes.Buffer
			n, err := consume(&sink, iotest.HalfReader(strings.NewReader(tt.in)), tt.ctype, tt.length, opts)
			if !errors.Is(err, upload.ErrTooLarge) || upload.Status(err) != http.StatusRequestEntityTooLarge {
				t.Fatalf("consume error = %v, want ErrTooLarge (413)", err)
			}
			if n > limit || int64(sink.Len()) != n {
				t.Errorf("consume wrote %d bytes (sink %d), want at most %d", n, sink.Len(), limit)
			}
			if lastRead > limit {
				t.Errorf("progress reported %d bytes read, over the limit", lastRead)
			}
		})
	}
}

func TestUploadReadErrors(t *testing.T) {
	errNet := errors.New("connection reset")
	tests := []struct {
		name     string
		body     io.Reader
		ctype    string
		wantIs   error
		wantCode int
	}{
		{"raw body fails", io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(errNet)), "", errNet, 500},
		{"raw body cut short", io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(io.ErrUnexpectedEOF)), "", io.ErrUnexpectedEOF, 400},
		{"multipart body fails in the file", io.MultiReader(strings.NewReader(strings.TrimSuffix(form("file:f", "abc"), "--"+boundary+"--\r\n")), iotest.ErrReader(errNet)), formType, errNet, 500},
		{"multipart body ends in the file", strings.NewReader(strings.TrimSuffix(form("file:f", "abcdef"), "\r\n--"+boundary+"--\r\n")), formType, upload.ErrMalformed, 400},
		{"multipart body fails before the file", io.MultiReader(strings.NewReader("--"+boundary+"\r\n"), iotest.ErrReader(errNet)), formType, errNet, 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := consume(io.Discard, tt.body, tt.ctype, -1, nil)
			if !errors.Is(err, tt.wantIs) {
				t.Fatalf("consume = %d, %v; want an error matching %v", n, err, tt.wantIs)
			}
			if code := upload.Status(err); code != tt.wantCode {
				t.Errorf("Status(%v) = %d, want %d", err, code, tt.wantCode)
			}
		})
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteToError(t *testing.T) {
	_, err := consume(failWriter{}, strings.NewReader("data"), "", 4, nil)
	if err == nil || upload.Status(err) != http.StatusInternalServerError {
		t.Errorf("copying into a failing writer = %v (status %d), want a 500 error", err, upload.Status(err))
	}
}

func TestStatus(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, 200},
		{"too large", fmt.Errorf("x: %w", upload.ErrTooLarge), 413},
		{"max bytes reader", &http.MaxBytesError{Limit: 1}, 413},
		{"malformed", upload.ErrMalformed, 400},
		{"no file", upload.ErrNoFile, 400},
		{"cut short", io.ErrUnexpectedEOF, 400},
		{"other", errors.New("disk full"), 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := upload.Status(tt.err); got != tt.want {
				t.Errorf("Status(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

// uploadHandler answers an upload with its size and sha256, or with the
// status Status gives and the error.
func uploadHandler(opts *upload.Options) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, err := upload.Read(r, opts)
		if err != nil {
			http.Error(w, err.Error(), upload.Status(err))
			return
		}
		h := sha256.New()
		n, err := io.Copy(h, u)
		if err != nil {
			http.Error(w, err.Error(), upload.Status(err))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(uploadResult{Bytes: n, SHA256: hex.EncodeToString(h.Sum(nil)), Filename: u.Filename})
	}
}

type uploadResult struct {
	Bytes    int64  `json:"bytes"`
	SHA256   string `json:"sha256"`
	Filename string `json:"filename,omitempty"`
}

// TestUploadOverHTTP sends uploads to a live server: limits are enforced
// whether the length is declared or the body is chunked, and bad forms get
// 400.
func TestUploadOverHTTP(t *testing.T) {
	const limit = 64 << 10
	small := strings.Repeat("s", 1000)
	smallSum := sha256.Sum256([]byte(small))
	tests := []struct {
		name     string
		body     string
		chunked  bool // hide the length, so the client sends it chunked
		ctype    string
		wantCode int
		wantFile string
	}{
		{name: "raw with length", body: small, wantCode: 200},
		{name: "raw chunked", body: small, chunked: true, wantCode: 200},
		{name: "multipart", body: form("title", "t", "file:s.txt", small), ctype: formType, wantCode: 200, wantFile: "s.txt"},
		{name: "multipart chunked", body: form("file:s.txt", small), chunked: true, ctype: formType, wantCode: 200, wantFile: "s.txt"},
		{name: "raw length over the limit", body: strings.Repeat("x", limit+1), wantCode: 413},
		{name: "raw chunked over the limit", body: strings.Repeat("x", 4*limit), chunked: true, wantCode: 413},
		{name: "multipart chunked over the limit", body: form("file:big", strings.Repeat("x", 4*limit)), chunked: true, ctype: formType, wantCode: 413},
		{name: "multipart without a file", body: form("title", "t"), ctype: formType, wantCode: 400},
		{name: "malformed multipart", body: "--nope\r\n\r\n", ctype: formType, wantCode: 400},
	}
	for _, tr := range livetest.Protocols {
		srv, client := livetest.Serve(t, tr.H2, uploadHandler(&upload.Options{MaxBytes: limit}))
		for _, tt := range tests {
			t.Run(tr.Name+"/"+tt.name, func(t *testing.T) {
				var body io.Reader = strings.NewReader(tt.body)
				if tt.chunked {
					body = io.MultiReader(body) // a reader of unknown length
				}
				req, err := http.NewRequest(http.MethodPost, srv.URL, body)
				if err != nil {
					t.Fatal(err)
				}
				if tt.ctype != "" {
					req.Header.Set("Content-Type", tt.ctype)
				}
				resp := do(t, client, req)
				if resp.StatusCode != tt.wantCode {
					msg, _ := io.ReadAll(resp.Body)
					t.Fatalf("status %d (%s), want %d", resp.StatusCode, strings.TrimSpace(string(msg)), tt.wantCode)
				}
				if tt.wantCode != 200 {
					return
				}
				var res uploadResult
				if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
					t.Fatal(err)
				}
				if want := hex.EncodeToString(smallSum[:]); res.Bytes != int64(len(small)) || res.SHA256 != want || res.Filename != tt.wantFile {
					t.Errorf("result = %+v, want %d bytes, sha256 %s, file %q", res, len(small), want, tt.wantFile)
				}
			})
		}
	}
}

// FuzzReadFrom checks that no body and Content-Type make ReadFrom or
// the reading panic, that reading always ends, and that every error maps
// to a 4xx status.
func FuzzReadFrom(f *testing.F) {
	f.Add([]byte(form("file:a", "x")), formType, int64(-1), int64(0))
	f.Add([]byte(form("a", "b", "file:c", "d\r\n--")), formType, int64(10), int64(50))
	f.Add([]byte("--"+boundary+"\r\nContent-Disposition: form-data; name=\"f\"; filename=\"\"\r\n\r\nx"), formType, int64(-1), int64(-1))
	f.Add([]byte("raw"), "text/plain; charset=\"", int64(3), int64(2))
	f.Add([]byte(""), "multipart/form-data; boundary=\"\"", int64(0), int64(0))
	f.Fuzz(func(t *testing.T, body []byte, ctype string, length, limit int64) {
		opts := &upload.Options{MaxBytes: limit % 4096}
		n, err := consume(io.Discard, bytes.NewReader(body), ctype, length, opts)
		if err != nil {
			if code := upload.Status(err); code/100 != 4 {
				t.Fatalf("error %v maps to %d, want 4xx", err, code)
			}
			return
		}
		if n > int64(len(body)) {
			t.Fatalf("read %d content bytes from a %d-byte body", n, len(body))
		}
	})
}
