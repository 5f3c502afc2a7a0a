package redishub

import (
	"strconv"
	"strings"

	"github.com/streamkit/streamkit/hub"
)

// parsePayload parses a notification that appendScript published:
// "<epoch>:<offset>:<n>:<type><data>", where n is the length of type in
// bytes. It reports false for anything else, such as a message another
// client published on the channel; it never panics and copies nothing.
func parsePayload(p string) (hub.Record, bool) {
	epoch, rest, ok := strings.Cut(p, ":")
	if !ok || !hub.ValidEpoch(epoch) {
		return hub.Record{}, false
	}
	offS, rest, ok := strings.Cut(rest, ":")
	if !ok {
		return hub.Record{}, false
	}
	off, err := strconv.ParseUint(offS, 10, 64)
	if err != nil || off == 0 {
		return hub.Record{}, false
	}
	nS, rest, ok := strings.Cut(rest, ":")
	if !ok || len(nS) == 0 || len(nS) > 9 {
		return hub.Record{}, false
	}
	n := 0
	for i := 0; i < len(nS); i++ {
		c := nS[i]
		if c < '0' || c > '9' {
			return hub.Record{}, false
		}
		n = n*10 + int(c-'0')
	}
	if n > len(rest) {
		return hub.Record{}, false
	}
	return hub.Record{
		Pos:  hub.Position{Epoch: epoch, Offset: off},
		Type: rest[:n],
		Data: rest[n:],
	}, true
}
