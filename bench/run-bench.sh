#!/usr/bin/env bash
# Runs every benchmark of the bench module and regenerates ../BENCHMARKS.md.
# Bounded to a few minutes on a 2-core machine. `make bench` runs it from
# the repository root. Results and profiles go to results/ (git-ignored).
#
# Knobs (environment): ROUNDS (5; each round runs the encoder and hub
# benchmarks once, then every framework and mode end to end in turn), C
# (concurrent streams, 50), M (events per stream, 20000), RUNS (end-to-end
# runs per round, the median kept, 2), BENCHTIME (-benchtime of the encoder
# benchmarks, 200ms), HUB_ROUNDS (events published to 10,000 subscribers per
# round, 100), PUBLISH_TIME (-benchtime of the hub publish-rate benchmarks,
# 500ms), STREAMS (idle streams, 5000), IDLE_ROUNDS (2). The report shows
# medians over the rounds.
set -euo pipefail
cd "$(dirname "$0")"
export GOWORK=off GOTOOLCHAIN=local

C=${C:-50}
M=${M:-20000}
ROUNDS=${ROUNDS:-5}
RUNS=${RUNS:-2}
STREAMS=${STREAMS:-5000}
IDLE_ROUNDS=${IDLE_ROUNDS:-2}
BENCHTIME=${BENCHTIME:-200ms}
HUB_ROUNDS=${HUB_ROUNDS:-100}
PUBLISH_TIME=${PUBLISH_TIME:-500ms}
FRAMEWORKS=(nethttp gin echo echov5 hertz)
MODES=(own loop streamkit coalesce batch)

# Each idle stream is a socket in the server and one in the load generator.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -lt $((STREAMS + 200)) ]; then
	echo "run-bench: the file-descriptor limit $(ulimit -n) is too low for $STREAMS idle streams" >&2
	exit 1
fi

res=results
rm -rf "$res"
mkdir -p "$res" bin
start=$SECONDS
step() { printf '== %s (%ds)\n' "$*" $((SECONDS - start)); }

step "build"
go build -o bin/ ./cmd/benchserver ./cmd/loadgen ./cmd/report
go test -c -o bin/bench.test .

# The micro-benchmarks (encoders, hub fan-out) run once per round, between
# the end-to-end rounds, so that a burst of other work on the machine skews
# one sample of each rather than every sample of one: the report takes
# medians. The hub's Redis and NATS runs start a throwaway redis-server or
# nats-server, and are skipped when there is none.
micro() {
	./bin/bench.test -test.run '^$' -test.bench 'SSEEncode|NDJSONEncode|ClockNow' -test.benchmem \
		-test.benchtime="$BENCHTIME" >>"$res/bench.txt"
	./bin/bench.test -test.run '^$' -test.bench 'HubFanout10k' -test.benchmem \
		-test.benchtime="${HUB_ROUNDS}x" >>"$res/bench.txt"
	./bin/bench.test -test.run '^$' -test.bench 'HubPublish' -test.benchmem \
		-test.benchtime="$PUBLISH_TIME" >>"$res/bench.txt"
}

for round in $(seq "$ROUNDS"); do
	step "round $round of $ROUNDS: encoders (-benchtime=$BENCHTIME), hub fan-out (10,000 subscribers, $HUB_ROUNDS events), hub publish rates ($PUBLISH_TIME)"
	micro
	step "round $round of $ROUNDS: end to end, $C streams x $M events, $RUNS runs each"
	for fw in "${FRAMEWORKS[@]}"; do
		for mode in "${MODES[@]}"; do
			./bin/loadgen -server bin/benchserver -scenario e2e -framework "$fw" -mode "$mode" \
				-c "$C" -m "$M" -runs "$RUNS" -out "$res/e2e.jsonl" ||
				echo "run-bench: e2e $fw $mode failed; recorded as not measured" >&2
		done
	done
done

for round in $(seq "$IDLE_ROUNDS"); do
	step "idle, round $round of $IDLE_ROUNDS: $STREAMS streams"
	for fw in "${FRAMEWORKS[@]}"; do
		for mode in own streamkit; do
			./bin/loadgen -server bin/benchserver -scenario idle -framework "$fw" -mode "$mode" \
				-streams "$STREAMS" -out "$res/idle.jsonl" ||
				echo "run-bench: idle $fw $mode failed; recorded as not measured" >&2
		done
	done
done

step "CPU profiles"
./bin/bench.test -test.run '^$' -test.bench 'SSEEncode/streamkit$' -test.benchtime=2s -test.cpuprofile "$res/encode.prof" >/dev/null
go tool pprof -top -nodecount=25 bin/bench.test "$res/encode.prof" 2>/dev/null | sed -n '/flat%/,$p' >"$res/encode.top"
profiles=(-profile "SSE encode: streamkit sse.AppendEvent=$res/encode.top")
# Five times the events of a run, so that the profiles have samples enough.
for mode in loop streamkit; do
	./bin/loadgen -server bin/benchserver -scenario e2e -framework nethttp -mode "$mode" \
		-c "$C" -m $((M * 5)) -runs 1 -cpuprofile "$res/e2e-$mode.prof" -out "$res/profiled.jsonl" >/dev/null || true
done
if [ -s "$res/e2e-loop.prof" ] && [ -s "$res/e2e-streamkit.prof" ]; then
	go tool pprof -top -nodecount=25 bin/benchserver "$res/e2e-streamkit.prof" 2>/dev/null | sed -n '/flat%/,$p' >"$res/e2e-streamkit.top"
	go tool pprof -top -nodecount=25 -diff_base "$res/e2e-loop.prof" bin/benchserver "$res/e2e-streamkit.prof" 2>/dev/null |
		sed -n '/flat%/,$p' >"$res/e2e-diff.top"
	profiles+=(-profile "End to end, net/http, streamkit flush per event (server process)=$res/e2e-streamkit.top")
	profiles+=(-profile "End to end, net/http: what streamkit adds to the hand-written loop (pprof -diff_base on the loop; positive: more in streamkit)=$res/e2e-diff.top")
fi

step "report"
./bin/report -bench "$res/bench.txt" -e2e "$res/e2e.jsonl" -idle "$res/idle.jsonl" -gomod go.mod \
	-command "make bench (bench/run-bench.sh; C=$C M=$M ROUNDS=$ROUNDS RUNS=$RUNS STREAMS=$STREAMS IDLE_ROUNDS=$IDLE_ROUNDS BENCHTIME=$BENCHTIME HUB_ROUNDS=$HUB_ROUNDS PUBLISH_TIME=$PUBLISH_TIME)" \
	"${profiles[@]}" -out ../BENCHMARKS.md
step "wrote ../BENCHMARKS.md"
