// Package readtest holds what reader tests share: a reader that hands out
// its input a few bytes at a time, so that a parser meets every boundary.
package readtest

import "io"

// Every returns a reader of b that returns at most n bytes per Read, then
// io.EOF. b is not copied.
func Every(b []byte, n int) io.Reader { return &every{b, n} }

type every struct {
	b []byte
	n int
}

func (r *every) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), r.n)], r.b)
	r.b = r.b[k:]
	return k, nil
}
