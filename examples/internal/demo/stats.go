package demo

import "github.com/streamkit/streamkit/core"

// Stats is the JSON body of GET /stats: the registry's counters under the
// names of the demo-app contract. core.Stats carries no encoding tags; the
// names are the demo's choice.
type Stats struct {
	Active          int64 `json:"active_streams"`
	Total           int64 `json:"streams_total"`
	Messages        int64 `json:"events_sent"`
	Bytes           int64 `json:"bytes_sent"`
	Dropped         int64 `json:"dropped"`
	SlowDisconnects int64 `json:"slow_disconnects"`
	Errors          int64 `json:"errors"`
}

// StatsOf returns the body of GET /stats for reg.
func StatsOf(reg *core.Registry) Stats {
	s := reg.Stats()
	return Stats{
		Active:          s.Active,
		Total:           s.Total,
		Messages:        s.Messages,
		Bytes:           s.Bytes,
		Dropped:         s.Dropped,
		SlowDisconnects: s.SlowDisconnects,
		Errors:          s.Errors,
	}
}
