#!/usr/bin/env bash
# Runs every benchmark of the bench module and regenerates ../BENCHMARKS.md.
# Bounded to about fourteen minutes on a 2-core machine. `make bench` runs it
# from the repository root. Results and profiles go to results/
# (git-ignored).
#
# Knobs (environment):
#   ROUNDS (3)          each round runs the encoder, hub and relay
#                       benchmarks once, then every framework and mode end
#                       to end in turn; the report shows medians
#   C (50), M (20000)   concurrent streams and events per stream end to end
#   RUNS (3)            end-to-end passes per round, each running every
#                       framework and way once; the report pairs and takes
#                       medians over all passes
#   BENCHTIME (200ms)   -benchtime of the encoder and relay benchmarks
#   RELAY_RUNS (3)      runs of the relay benchmark per round, each the
#                       streamkit relay then the hand-written loop, so
#                       that the report pairs them (their ratio moves with
#                       the machine more than the encoders')
#   HUB_ROUNDS (100)    events published to 10,000 subscribers per round
#   PUBLISH_TIME (500ms) -benchtime of the hub publish-rate benchmarks
#   HUB100K_RUNS (3)    rounds that also run the 100,000-subscriber fan-out
#                       (heavy: 100,000 goroutines); the report takes the
#                       median run, so that one run a hiccup of the machine
#                       slowed does not decide the p99
#   HUB100K_EVENTS (200) events published to 100,000 subscribers per run:
#                       with 200, the p99 is the third slowest publish, not
#                       the slowest but one as with 50
#   HUB_IDLE_RUNS (2)   rounds that also run the 10,000 topics x 10
#                       subscribers idle-memory benchmark
#   STREAMS (5000)      idle streams per server
#   IDLE_ROUNDS (3)     rounds of the idle-stream runs (median)
#   PROFILE_FRAMEWORKS  frameworks whose flush-per-event server is profiled
#                       against the hand-written loop (all of them)
#   PROFILE_M (40000)   events per stream of those profiled runs
set -euo pipefail
cd "$(dirname "$0")"
export GOWORK=off GOTOOLCHAIN=local

C=${C:-50}
M=${M:-20000}
ROUNDS=${ROUNDS:-3}
RUNS=${RUNS:-3}
STREAMS=${STREAMS:-5000}
IDLE_ROUNDS=${IDLE_ROUNDS:-3}
BENCHTIME=${BENCHTIME:-200ms}
RELAY_RUNS=${RELAY_RUNS:-3}
HUB_ROUNDS=${HUB_ROUNDS:-100}
PUBLISH_TIME=${PUBLISH_TIME:-500ms}
HUB100K_RUNS=${HUB100K_RUNS:-3}
HUB100K_EVENTS=${HUB100K_EVENTS:-200}
HUB_IDLE_RUNS=${HUB_IDLE_RUNS:-2}
PROFILE_M=${PROFILE_M:-40000}
FRAMEWORKS=(nethttp gin echo echov5 hertz hertz-standard)
read -r -a PROFILE_FRAMEWORKS <<<"${PROFILE_FRAMEWORKS:-${FRAMEWORKS[*]}}"
# The order they run in: streamkit right after the loop and the framework's
# own way, the references of its targets, and right before the guarded
# loop, the loop with streamkit's guarantees, so that each pair runs
# seconds apart.
MODES=(own loop streamkit guarded validated busy spread coalesce batch)

# Each idle stream is a socket in the server and one in the load generator.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -lt $((STREAMS + 200)) ]; then
	echo "run-bench: the file-descriptor limit $(ulimit -n) is too low for $STREAMS idle streams" >&2
	exit 1
fi

res=results
idle_profiles=()
rm -rf "$res"
mkdir -p "$res" bin
start=$SECONDS
step() { printf '== %s (%ds)\n' "$*" $((SECONDS - start)); }

step "build"
go build -o bin/ ./cmd/benchserver ./cmd/loadgen ./cmd/report
go test -c -o bin/bench.test .

# The micro-benchmarks (encoders, hub, relay) run once per round, between
# the end-to-end rounds, so that a burst of other work on the machine skews
# one sample of each rather than every sample of one: the report takes
# medians. The hub's Redis and NATS runs start a throwaway redis-server or
# nats-server, and are skipped when there is none. The heavy hub cases
# (100,000 subscribers; 10,000 topics x 10 subscribers) run in the first
# rounds only.
micro() {
	local round=$1
	./bin/bench.test -test.run '^$' -test.bench 'SSEEncode|NDJSONEncode|ClockNow|EventPath' -test.benchmem \
		-test.benchtime="$BENCHTIME" >>"$res/bench.txt"
	for _ in $(seq "$RELAY_RUNS"); do
		./bin/bench.test -test.run '^$' -test.bench 'Relay' -test.benchmem \
			-test.benchtime="$BENCHTIME" >>"$res/bench.txt"
	done
	./bin/bench.test -test.run '^$' -test.bench 'HubFanout10k' -test.benchmem \
		-test.benchtime="${HUB_ROUNDS}x" >>"$res/bench.txt"
	./bin/bench.test -test.run '^$' -test.bench 'HubPublish' -test.benchmem \
		-test.benchtime="$PUBLISH_TIME" >>"$res/bench.txt"
	if [ "$round" -le "$HUB100K_RUNS" ]; then
		# The hub and the runtime's floor in processes of their own: a
		# second 100,000 goroutines in the same process run slower.
		./bin/bench.test -test.run '^$' -test.bench 'HubFanout100k$' -test.benchmem \
			-test.benchtime="${HUB100K_EVENTS}x" >>"$res/bench.txt"
		./bin/bench.test -test.run '^$' -test.bench 'HubFanout100kFloor$' -test.benchmem \
			-test.benchtime="${HUB100K_EVENTS}x" >>"$res/bench.txt"
	fi
	if [ "$round" -le "$HUB_IDLE_RUNS" ]; then
		./bin/bench.test -test.run '^$' -test.bench 'HubIdleSubscribers' -test.benchtime=1x >>"$res/bench.txt"
	fi
}

for round in $(seq "$ROUNDS"); do
	step "round $round of $ROUNDS: encoders and relay (-benchtime=$BENCHTIME), hub fan-out (10,000 subscribers, $HUB_ROUNDS events), hub publish rates ($PUBLISH_TIME), 100,000 subscribers and idle subscribers in rounds up to $HUB100K_RUNS and $HUB_IDLE_RUNS"
	micro "$round"
	step "round $round of $ROUNDS: end to end, $C streams x $M events, $RUNS passes over every framework and way"
	for run in $(seq "$RUNS"); do
		for fw in "${FRAMEWORKS[@]}"; do
			for mode in "${MODES[@]}"; do
				./bin/loadgen -server bin/benchserver -scenario e2e -framework "$fw" -mode "$mode" \
					-c "$C" -m "$M" -runs 1 -out "$res/e2e.jsonl" ||
					echo "run-bench: e2e $fw $mode failed; recorded as not measured" >&2
			done
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

# A heap profile of 1,000 idle streams per framework and way, every
# allocation sampled, in runs of their own (sampling costs memory); the
# report quotes the top of the difference beside a missed idle target.
step "heap profiles of idle streams"
for fw in "${FRAMEWORKS[@]}"; do
	for mode in own streamkit; do
		./bin/loadgen -server bin/benchserver -scenario idle -framework "$fw" -mode "$mode" \
			-streams 1000 -heapprofile "$res/idle-$fw-$mode.heap" -out "$res/idle-profiled.jsonl" >/dev/null || true
	done
	if [ -s "$res/idle-$fw-own.heap" ] && [ -s "$res/idle-$fw-streamkit.heap" ]; then
		go tool pprof -sample_index=inuse_space -top -nodecount=25 -diff_base "$res/idle-$fw-own.heap" bin/benchserver "$res/idle-$fw-streamkit.heap" 2>/dev/null |
			sed -n '/flat%/,$p' >"$res/idle-$fw-diff.top"
		idle_profiles+=(-profile "idle/$fw@Idle streams, $fw: what 1,000 streamkit streams hold over the framework's own handler's (heap in use, pprof -diff_base on the own handler)=$res/idle-$fw-diff.top")
	fi
done

# What one event costs in instructions and in distinct lines of code, for
# each way of cmd/eventcost: cachegrind with a 1 KiB direct-mapped
# instruction cache, so that nearly every line an event runs misses once;
# two runs of different lengths, subtracted, cancel start-up. The figures
# are exact counts, not timings: the same on every run. Skipped without
# valgrind.
if command -v valgrind >/dev/null; then
	step "code per event (cachegrind)"
	go build -o bin/ ./cmd/eventcost
	cg() { # way n -> "instructions misses"; the counts stay in $res/cg-way-n.out
		GOMAXPROCS=1 GOGC=off valgrind --tool=cachegrind --cache-sim=yes --I1=1024,1,64 --D1=1024,1,64 \
			--LL=1048576,16,64 --cachegrind-out-file="$res/cg-$1-$2.out" ./bin/eventcost "$1" "$2" 2>&1 |
			awk '/ I +refs:/ {gsub(",", "", $4); i = $4} / I1 +misses:/ {gsub(",", "", $4); m = $4} END {print i, m}'
	}
	for way in loop validated guarded spread stream; do
		read -r i1 m1 < <(cg "$way" 100000)
		read -r i2 m2 < <(cg "$way" 300000)
		echo "BenchmarkEventCost/$way 200000 $(((i2 - i1) / 200000)) instructions/event $(((m2 - m1) / 200000)) lines/event" >>"$res/bench.txt"
	done
	# The stream's figures function by function, for the report's table of
	# where they go: cg_annotate's per-function counts of the stream's two
	# runs above, summed by function (inlined code counts where it was
	# inlined), subtracted and divided by the difference in events.
	cgfuncs() { # n -> "function instructions misses" lines
		cg_annotate --auto=no --show=Ir,I1mr --threshold=0.01 "$res/cg-stream-$1.out" |
			awk '$1 ~ /^[0-9][0-9,]*$/ && $NF ~ /:/ {
				line = $0; gsub(/\( *[0-9.]+%\)/, "", line); gsub(",", "", line); split(line, f)
				fn = f[3]; sub(/.*:/, "", fn); i[fn] += f[1]; l[fn] += f[2]
			} END { for (fn in i) print fn, i[fn], l[fn] }'
	}
	awk -v n=200000 'NR == FNR { i[$1] = $2; l[$1] = $3; next }
		{ di = ($2 - i[$1]) / n; dl = ($3 - l[$1]) / n
		  if (di >= 1) printf "BenchmarkEventCostFunc/%s %d %.1f instructions/event %.1f lines/event\n", $1, n, di, dl }' \
		<(cgfuncs 100000) <(cgfuncs 300000) >>"$res/bench.txt"
else
	echo "run-bench: no valgrind; the code per event is not measured" >&2
fi

step "CPU profiles"
./bin/bench.test -test.run '^$' -test.bench 'SSEEncode/streamkit$' -test.benchtime=2s -test.cpuprofile "$res/encode.prof" >/dev/null
go tool pprof -top -nodecount=25 bin/bench.test "$res/encode.prof" 2>/dev/null | sed -n '/flat%/,$p' >"$res/encode.top"
./bin/bench.test -test.run '^$' -test.bench 'Relay/streamkit$' -test.benchtime=2s -test.cpuprofile "$res/relay.prof" >/dev/null
go tool pprof -top -nodecount=25 bin/bench.test "$res/relay.prof" 2>/dev/null | sed -n '/flat%/,$p' >"$res/relay.top"
# The 100,000-subscriber fan-out, without its set-up: only the samples of
# the publisher, the wakers and the subscribers' reading goroutines.
./bin/bench.test -test.run '^$' -test.bench 'HubFanout100k$' -test.benchtime="${HUB100K_EVENTS}x" -test.cpuprofile "$res/hub.prof" >/dev/null
go tool pprof -top -nodecount=25 -focus='newFanoutOn\.func1|fanout\)\.publish|wakers\)\.run' bin/bench.test "$res/hub.prof" 2>/dev/null |
	sed -n '/flat%/,$p' >"$res/hub.top"
profiles=(-profile "encode@SSE encode: streamkit sse.AppendEvent=$res/encode.top"
	-profile "relay@Relay: streamkit relay.Copy with openai.Chat=$res/relay.top"
	-profile "hub@Hub fan-out to 100,000 subscribers: the publisher, the wakers and the subscribers' goroutines (set-up left out)=$res/hub.top")
# Per framework, the hand-written loop and streamkit flushing per event,
# PROFILE_M events per stream so that the profiles have samples enough;
# the report quotes the top of the difference beside a missed target.
for fw in "${PROFILE_FRAMEWORKS[@]}"; do
	for mode in loop streamkit; do
		./bin/loadgen -server bin/benchserver -scenario e2e -framework "$fw" -mode "$mode" \
			-c "$C" -m "$PROFILE_M" -runs 1 -cpuprofile "$res/e2e-$fw-$mode.prof" -out "$res/profiled.jsonl" >/dev/null || true
	done
	if [ -s "$res/e2e-$fw-loop.prof" ] && [ -s "$res/e2e-$fw-streamkit.prof" ]; then
		go tool pprof -top -nodecount=25 -diff_base "$res/e2e-$fw-loop.prof" bin/benchserver "$res/e2e-$fw-streamkit.prof" 2>/dev/null |
			sed -n '/flat%/,$p' >"$res/e2e-$fw-diff.top"
		profiles+=(-profile "e2e/$fw@End to end, $fw: what streamkit flushing per event adds to the hand-written loop (pprof -diff_base on the loop; positive: more in streamkit)=$res/e2e-$fw-diff.top")
	fi
done
profiles+=("${idle_profiles[@]}")
if [ -s "$res/e2e-nethttp-streamkit.prof" ]; then
	go tool pprof -top -nodecount=25 bin/benchserver "$res/e2e-nethttp-streamkit.prof" 2>/dev/null | sed -n '/flat%/,$p' >"$res/e2e-streamkit.top"
	profiles+=(-profile "End to end, net/http, streamkit flush per event (server process)=$res/e2e-streamkit.top")
fi

step "report"
./bin/report -bench "$res/bench.txt" -e2e "$res/e2e.jsonl" -idle "$res/idle.jsonl" -gomod go.mod \
	-command "make bench (bench/run-bench.sh; C=$C M=$M ROUNDS=$ROUNDS RUNS=$RUNS STREAMS=$STREAMS IDLE_ROUNDS=$IDLE_ROUNDS BENCHTIME=$BENCHTIME RELAY_RUNS=$RELAY_RUNS HUB_ROUNDS=$HUB_ROUNDS PUBLISH_TIME=$PUBLISH_TIME HUB100K_RUNS=$HUB100K_RUNS HUB100K_EVENTS=$HUB100K_EVENTS HUB_IDLE_RUNS=$HUB_IDLE_RUNS PROFILE_M=$PROFILE_M)" \
	"${profiles[@]}" -out ../BENCHMARKS.md
step "wrote ../BENCHMARKS.md in $((SECONDS - start))s"
