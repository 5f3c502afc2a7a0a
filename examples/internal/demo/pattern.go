package demo

import "io"

// patternPeriod is the period of the download's bytes: byte i is i % 251.
// A prime, so that the pattern never lines up with buffer sizes and a
// misplaced or repeated chunk shows up in a check.
const patternPeriod = 251

// pattern holds two periods, so that any window of one period is a slice.
var pattern = func() []byte {
	b := make([]byte, 2*patternPeriod)
	for i := range b {
		b[i] = byte(i % patternPeriod)
	}
	return b
}()

// Pattern is an io.Reader of exactly Size bytes where byte i is i % 251,
// the body of /chunked/download. It holds no buffer of its own, so a
// download of any size takes constant memory. Create it with [NewPattern];
// it is not safe for concurrent use.
type Pattern struct {
	off, size int64
}

// NewPattern returns a Pattern of size bytes.
func NewPattern(size int64) *Pattern { return &Pattern{size: size} }

// Read implements io.Reader.
func (p *Pattern) Read(b []byte) (int, error) {
	if p.off >= p.size {
		return 0, io.EOF
	}
	if rest := p.size - p.off; int64(len(b)) > rest {
		b = b[:rest]
	}
	n := 0
	for n < len(b) {
		start := int((p.off + int64(n)) % patternPeriod)
		n += copy(b[n:], pattern[start:start+patternPeriod])
	}
	p.off += int64(n)
	return n, nil
}
