package bench_test

import (
	"testing"
	"time"
)

var nowSink time.Time

// BenchmarkClockNow measures time.Now on this machine: streams read the
// clock once per flush, and on some virtual machines a read costs several
// times what it does on bare metal. The report prints it beside the machine.
func BenchmarkClockNow(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		nowSink = time.Now()
	}
}
