package hub

import (
	"math/rand/v2"
	"strconv"
)

// Position is where an event sits in a topic's history: the epoch of the
// history it belongs to and its offset in it. Offsets start at 1 and grow by
// exactly 1 per event within an epoch; offset 0 means "before the first
// event". An epoch changes when a history is lost or reset (a restarted
// process with an in-memory backend, a flushed store, a topic that was
// dropped and created again), so that a position from an older history is
// never mistaken for one of the current history.
//
// An epoch is 1 to 32 ASCII letters and digits; [NewEpoch] makes one.
// A Position's event ID, what clients see, is "<epoch>-<offset>": see
// [Position.String] and [ParseID].
type Position struct {
	Epoch  string
	Offset uint64
}

// maxEpochLen is the longest epoch a Position may carry.
const maxEpochLen = 32

// maxIDLen is the longest well-formed event ID: an epoch, a dash and the 20
// digits of the largest uint64.
const maxIDLen = maxEpochLen + 1 + 20

// String returns the event ID of p, "<epoch>-<offset>"; the zero Position
// gives "-0", which [ParseID] rejects. It allocates the returned string only.
func (p Position) String() string {
	var buf [maxIDLen]byte
	return string(p.appendID(buf[:0]))
}

func (p Position) appendID(dst []byte) []byte {
	dst = append(dst, p.Epoch...)
	dst = append(dst, '-')
	return strconv.AppendUint(dst, p.Offset, 10)
}

// IsZero reports whether p is the zero Position.
func (p Position) IsZero() bool { return p.Epoch == "" && p.Offset == 0 }

// ParseID parses an event ID made by [Position.String]. It accepts exactly
// that form (an epoch of 1 to 32 ASCII letters and digits, a dash, and a
// decimal offset without leading zeros that fits in a uint64) and reports
// false for anything else. It is meant for client input: it rejects
// anything longer than 53 bytes without reading it, and never allocates.
func ParseID(id string) (Position, bool) {
	if len(id) < 3 || len(id) > maxIDLen {
		return Position{}, false
	}
	dash := -1
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c == '-' {
			dash = i
			break
		}
		if !isAlnum(c) {
			return Position{}, false
		}
	}
	if dash < 1 || dash > maxEpochLen {
		return Position{}, false
	}
	digits := id[dash+1:]
	if len(digits) == 0 || len(digits) > 20 || (len(digits) > 1 && digits[0] == '0') {
		return Position{}, false
	}
	var off uint64
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if c < '0' || c > '9' {
			return Position{}, false
		}
		d := uint64(c - '0')
		if off > (1<<64-1-d)/10 {
			return Position{}, false // overflows a uint64
		}
		off = off*10 + d
	}
	return Position{Epoch: id[:dash], Offset: off}, true
}

// ValidEpoch reports whether e can be the epoch of a [Position]: 1 to 32
// ASCII letters and digits. Backends check epochs they read from a store
// with it.
func ValidEpoch(e string) bool {
	if len(e) == 0 || len(e) > maxEpochLen {
		return false
	}
	for i := 0; i < len(e); i++ {
		if !isAlnum(e[i]) {
			return false
		}
	}
	return true
}

// NewEpoch returns a fresh random epoch of 13 lower-case letters and digits.
// Backends call it when they start a history; two calls collide with
// negligible probability. It is safe for concurrent use.
func NewEpoch() string {
	// Top bit set so that every epoch has the same length.
	return strconv.FormatUint(rand.Uint64()|1<<63, 36)
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// maxTopicLen is the longest topic name.
const maxTopicLen = 64

// ValidTopic reports whether name can name a topic: 1 to 64 bytes of ASCII
// letters, digits, '.', '_' and '-'. Handlers check a name taken from a URL
// with it and answer 400 Bad Request when it fails; [Hub.Publish] and
// [Hub.Subscribe] return an error matching [ErrInvalidTopic] for such names.
func ValidTopic(name string) bool {
	if len(name) == 0 || len(name) > maxTopicLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !isAlnum(c) && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}
