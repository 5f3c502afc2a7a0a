package core_test

import (
	"fmt"
	"time"

	"github.com/streamkit/streamkit/core"
	"github.com/streamkit/streamkit/core/streamtest"
)

// printObserver prints what it sees of each stream; an exporter would
// count it instead.
type printObserver struct{}

func (printObserver) StreamOpened(info core.StreamInfo) core.StreamProbe {
	fmt.Printf("opened %s\n", info.Kind)
	return printProbe{}
}

type printProbe struct{}

func (printProbe) FirstEvent(time.Duration) { fmt.Println("first event sent") }
func (printProbe) Sent(int64, int64)        {}
func (printProbe) Ended(e core.StreamEnd) {
	fmt.Printf("ended: %s, %d messages, %d bytes\n", e.Reason, e.Messages, e.Bytes)
}

// An Observer on the registry follows every stream that joins it.
func ExampleObserver() {
	reg := &core.Registry{Observer: printObserver{}}
	s, _ := core.New(streamtest.NewRecorder(), &core.Options{Registry: reg, Kind: "ndjson"})
	s.Write([]byte(`{"n":1}` + "\n"))
	s.Write([]byte(`{"n":2}` + "\n"))
	s.Close()
	// Output:
	// opened ndjson
	// first event sent
	// ended: closed, 2 messages, 16 bytes
}

// A producer that cuts off a client for falling behind ends its stream
// with ErrSlowClient, which the stream's Err and its observer report.
func ExampleStream_CloseCause() {
	s, _ := core.New(streamtest.NewRecorder(), nil)
	s.CloseCause(fmt.Errorf("%w: 500 events behind", core.ErrSlowClient))
	fmt.Println(core.ReasonOf(s.Err()))
	// Output:
	// slow_client
}
