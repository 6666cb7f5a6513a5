#!/bin/bash
# `make fuzz`: build the libFuzzer targets (clang; the library instrumented
# for coverage, ASan and UBSan) in build-fuzz/ and run each for
# FUZZ_SECONDS (default 60), starting from the committed corpus
# (fuzz/corpus/NAME/, read only) and a working corpus of its own
# (build-fuzz/corpus/NAME/). A crash, a leak or a broken invariant stops a
# target and leaves the input in build-fuzz/artifacts/NAME/; the script then
# fails. `make fuzz-merge` replaces the committed corpus by the smallest
# set of inputs from both that reaches every edge they reach
# (-set_cover_merge=1 -use_counters=0). FUZZ_TARGETS picks targets,
# FUZZ_ARGS adds libFuzzer options (e.g. -jobs=2 -workers=2).
set -u
cd "$(dirname "$0")/.."

# FUZZ_ASAN=0: UBSan without ASan (build-fuzz-ubsan/), for throughput.
asan=${FUZZ_ASAN:-1}
if [ "$asan" = 0 ]; then
	B=${FUZZ_BUILD:-build-fuzz-ubsan}
	asan_opt=false
else
	B=${FUZZ_BUILD:-build-fuzz}
	asan_opt=true
fi
secs=${FUZZ_SECONDS:-60}
mode=${1:-run}
targets=${FUZZ_TARGETS:-$(ls fuzz/corpus)}

if ! command -v clang >/dev/null; then
	echo "fuzz: clang is not installed (scripts/deps.sh lists it)" >&2
	exit 1
fi
if [ ! -f "$B/build.ninja" ]; then
	mkdir -p "$B"
	# -Dwerror=false: gcc builds hold the code to -Werror; clang's extra
	# warnings in code outside fuzz/ should not stop fuzzing.
	if ! CC=clang meson setup "$B" -Dfuzz=enabled -Dfuzz_asan=$asan_opt -Dtests=false \
		-Dwerror=false >"$B.setup.log" 2>&1; then
		cat "$B.setup.log"
		exit 1
	fi
fi
exes=()
for t in $targets; do exes+=("fuzz/fuzz-$t"); done
if ! ninja -C "$B" "${exes[@]}" >"$B.ninja.log" 2>&1; then
	tail -n 40 "$B.ninja.log"
	exit 1
fi

status=0
for t in $targets; do
	exe=$B/fuzz/fuzz-$t
	mkdir -p "$B/corpus/$t" "$B/artifacts/$t"
	case $mode in
	merge)
		# The fewest inputs that reach every edge either corpus
		# reaches (greedy set cover, edges only: hit counts would
		# keep hundreds), replacing the committed corpus.
		rm -rf "$B/merged-$t" && mkdir -p "$B/merged-$t"
		if "$exe" -set_cover_merge=1 -use_counters=0 "$B/merged-$t" \
			"fuzz/corpus/$t" "$B/corpus/$t" >"$B/merge-$t.log" 2>&1 &&
			[ -n "$(ls "$B/merged-$t")" ]; then
			rm -rf "fuzz/corpus/$t"
			mv "$B/merged-$t" "fuzz/corpus/$t"
		else
			status=1
		fi
		echo "fuzz $t: corpus $(ls "fuzz/corpus/$t" | wc -l) inputs"
		;;
	*)
		# A leak check per input (LeakSanitizer) and ASan's own fatal
		# errors; every UBSan finding but those fuzz/ubsan.supp names
		# is fatal.
		t0=$SECONDS
		ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:malloc_context_size=10} \
		UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:suppressions=$PWD/fuzz/ubsan.supp} \
		"$exe" -max_total_time="$secs" -print_final_stats=1 \
			-artifact_prefix="$B/artifacts/$t/" ${FUZZ_ARGS:-} \
			"$B/corpus/$t" "fuzz/corpus/$t" >"$B/fuzz-$t.log" 2>&1
		rc=$?
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
			"$B/fuzz-$t.log" | awk '{s += $1} END {print s + 0}')
		rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' \
			"$B/fuzz-$t.log" | awk '{s += $1} END {print s + 0}')
		crashes=$(ls "$B/artifacts/$t" | wc -l)
		echo "fuzz $t: $runs executions in $((SECONDS - t0)) s ($rate/s)," \
			"$crashes crash artifacts, exit $rc (log: $B/fuzz-$t.log)"
		if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
			grep -m 5 -E "INVARIANT|ERROR|SUMMARY" "$B/fuzz-$t.log"
			status=1
		fi
		;;
	esac
done
exit $status
