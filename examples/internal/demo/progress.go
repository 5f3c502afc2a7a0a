package demo

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/streamkit/streamkit/hub"
)

// ProgressEvery is the least time between two progress events of an
// upload; the first and the last are always sent.
const ProgressEvery = 100 * time.Millisecond

// UploadResult is the JSON answer of POST /upload, and the data of the
// "done" event on its progress topic.
type UploadResult struct {
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// Progress publishes an upload's progress to a hub topic, for the page's
// progress bar:
//
//	event: progress   data: {"bytes":<read so far>,"total":<expected, or -1>}
//	event: done       data: {"bytes":N,"sha256":"<hex>"}
//	event: failed     data: {"error":"<reason>"}
//
// ("failed", because an EventSource reports its own connection errors as
// "error" events.) A nil *Progress publishes nothing, so handlers call it
// whether or not the client asked for progress. Its methods are safe for
// concurrent use.
type Progress struct {
	hub   *hub.Hub
	topic string

	mu   sync.Mutex
	last time.Time
	sent int64
}

// NewProgress returns a Progress publishing to topic, or nil when topic is
// "" (no progress asked for).
func NewProgress(h *hub.Hub, topic string) *Progress {
	if topic == "" {
		return nil
	}
	return &Progress{hub: h, topic: topic, sent: -1}
}

// Update reports that n bytes of the request body have been read so far,
// of total (-1 when unknown): it is upload.Options.Progress. It
// publishes at most every [ProgressEvery], and always the first report.
func (p *Progress) Update(n, total int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	now := time.Now()
	if p.sent >= 0 && (now.Sub(p.last) < ProgressEvery || n == p.sent) {
		p.mu.Unlock()
		return
	}
	p.last, p.sent = now, n
	p.mu.Unlock()
	p.publish("progress", struct {
		Bytes int64 `json:"bytes"`
		Total int64 `json:"total"`
	}{n, max(total, -1)})
}

// Done publishes the final progress and the result.
func (p *Progress) Done(r UploadResult) {
	if p == nil {
		return
	}
	p.publish("progress", struct {
		Bytes int64 `json:"bytes"`
		Total int64 `json:"total"`
	}{r.Bytes, r.Bytes})
	p.publish("done", r)
}

// Fail publishes that the upload failed, and why.
func (p *Progress) Fail(err error) {
	if p == nil {
		return
	}
	p.publish("failed", struct {
		Error string `json:"error"`
	}{err.Error()})
}

func (p *Progress) publish(event string, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		return
	}
	// Progress is best effort: a hub that is closing loses it, and the
	// upload's own answer still tells the client the outcome.
	p.hub.Publish(context.Background(), p.topic, hub.Message{Type: event, Data: string(data)}) //nolint:errcheck
}
