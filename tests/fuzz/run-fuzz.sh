#!/usr/bin/env bash
# Run one libFuzzer target for a bounded time: run-fuzz.sh TARGET SEEDS_DIR SECONDS [expect-crash]
#
# The committed seeds are read, never written: new inputs go to a fresh folder in
# the build tree. Fails (exit 1) on any crash, leak, sanitizer report, timeout
# (-timeout per input) or out-of-memory, printing the fuzzer's report and where
# the crashing input was saved. Prints executions per second and the coverage
# (cov: edges, ft: features) reached. With expect-crash the verdict is inverted:
# passes only when the target reports a sanitizer error within the time bound
# (the planted-bug test).
set -uo pipefail
target=$1 seeds=$2 seconds=$3 mode=${4:-}
name=$(basename "$target")
work=$(dirname "$target")/fuzz-work/$name
rm -rf "$work" && mkdir -p "$work/corpus" "$work/artifacts"
log=$work/fuzz.log

start=$(date +%s)
UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1 \
ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1 \
"$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 -max_len=16384 \
	-print_final_stats=1 -detect_leaks=1 -artifact_prefix="$work/artifacts/" \
	"$work/corpus" "$seeds" >"$log" 2>&1
rc=$?
took=$(($(date +%s) - start))

cov=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1)
eps=$(grep -E '^stat::average_exec_per_sec' "$log" | awk '{print $2}')
runs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
report=$(grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|contract broken' "$log")
echo "$name: exit $rc after ${took}s; ${runs:-?} runs, ${eps:-?} exec/s; last: ${cov:-none}"

if [ "$mode" = expect-crash ]; then
	if [ "$rc" -ne 0 ] && [ -n "$report" ]; then
		echo "$name: found the planted bug in ${took}s (bound ${seconds}s): $report"
		exit 0
	fi
	echo "$name: the planted bug was NOT found within ${seconds}s"
	tail -n 40 "$log"
	exit 1
fi
if [ "$rc" -ne 0 ]; then
	tail -n 80 "$log"
	echo "$name: FAILED: ${report:-exit $rc}"
	echo "$name: crashing input(s): $(ls "$work/artifacts" | sed "s|^|$work/artifacts/|" | tr '\n' ' ')"
	echo "$name: after the fix, add the input to tests/fuzz/regressions/${name#fuzz-}/ (docs/security.md)"
	exit 1
fi
exit 0
