package adapterkit_test

import (
	"fmt"
	"iter"
	"slices"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/core/streamtest"
	"github.com/streamkit/streamkit/internal/adapterkit"
	"github.com/streamkit/streamkit/sse"
)

// A middleware's life of one request: the State it makes, a helper that
// opens a stream through it, and End when the handler chain returns, which
// closes the stream the handler forgot.
func ExampleState() {
	reg := &core.Registry{}
	st := adapterkit.NewState("streamexample", reg, nil, nil)

	rec := streamtest.NewRecorder()
	s, err := st.SSE(rec, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	s.SendData("hello") //nolint:errcheck // a recorder
	fmt.Println("active:", reg.Stats().Active)

	st.End(true)
	fmt.Println("active:", reg.Stats().Active)
	fmt.Printf("%q\n", rec.Flushed())
	// Output:
	// active: 1
	// active: 0
	// "data: hello\n\n"
}

// An adapter's SSESeq handler binds the user's function and the opener to
// its request, and reports the Outcome in its framework's way.
func ExampleSSESeq() {
	rec := streamtest.NewRecorder()
	out := adapterkit.SSESeq(
		func() (iter.Seq[int], error) { return slices.Values([]int{1, 2}), nil },
		func() (*sse.Stream, error) { return sse.NewStream(rec, nil) })
	fmt.Println(out.Stage == adapterkit.Served, out.Err)
	fmt.Printf("%q\n", rec.Flushed())
	// Output:
	// true <nil>
	// "data: 1\n\ndata: 2\n\n"
}
