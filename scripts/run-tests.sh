#!/bin/bash
# `make test`: every meson suite in a normal build and in an ASan+UBSan build
# (separate build directories), the stress suite in a ThreadSanitizer build,
# then one summary line over all of them. Fails if any build or any test
# fails. PM_STRESS_SECONDS sets the stress duration (default: 2 s a test;
# `make test-tsan` runs only the TSan pass, for 60 s).
set -u
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
ASAN_BUILD=${ASAN_BUILD:-build-asan}
TSAN_BUILD=${TSAN_BUILD:-build-tsan}
ONLY_TSAN=${ONLY_TSAN:-0}
status=0
logs=()

# The hugetlbfs backends need free huge pages. As root, with none free, lend
# the tests a small 2 MiB pool (and two 1 GiB pages if the kernel can find
# them) and give it back afterwards. PM_TEST_HUGEPAGES=0 leaves the host
# alone; those tests then skip with the reason.
hp=/sys/kernel/mm/hugepages
restore_hp=()
lend_hugepages() { # size-dir count
	local f=$hp/$1/nr_hugepages old
	[ -w "$f" ] || return 0
	old=$(cat "$f")
	[ "$(cat $hp/$1/free_hugepages)" -ge "$2" ] && return 0
	restore_hp+=("$f:$old")
	echo $((old + $2)) >"$f" 2>/dev/null || true
}
if [ "$(id -u)" -eq 0 ] && [ "${PM_TEST_HUGEPAGES:-1}" != 0 ]; then
	lend_hugepages hugepages-2048kB 64
	lend_hugepages hugepages-1048576kB 2
fi
give_back() {
	local e
	for e in "${restore_hp[@]}"; do
		echo "${e##*:}" >"${e%:*}" 2>/dev/null || true
	done
}
trap give_back EXIT

setup() { # dir, meson options...
	local dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || {
			cat "$dir.setup.log"
			return 1
		}
	fi
}

# With suites named, only what they run is built ($targets, ninja target
# names; all of it when empty), and meson test does not rebuild the rest.
run_build() { # name, dir, suites ('' for all), targets, meson options...
	local name=$1 dir=$2 suites=() targets=($4) s
	for s in $3; do suites+=(--suite "$s"); done
	[ ${#targets[@]} -gt 0 ] && suites+=(--no-rebuild)
	shift 4
	echo "== $name build ($dir)"
	if ! setup "$dir" "$@" ||
		! ninja -C "$dir" "${targets[@]}" >"$dir.ninja.log" 2>&1; then
		tail -n 40 "$dir.ninja.log" 2>/dev/null
		echo "== $name build FAILED"
		status=1
		return
	fi
	rm -f "$dir/meson-logs/testlog.json"
	meson test -C "$dir" --print-errorlogs --num-processes 2 \
		"${suites[@]}" || status=1
	logs+=("$dir/meson-logs/testlog.json")
}

if [ "$ONLY_TSAN" != 1 ]; then
	run_build normal "$BUILD" '' ''
	# UBSan findings must fail the test, not just print.
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
		run_build asan "$ASAN_BUILD" '' '' -Db_sanitize=address,undefined \
		-Db_lundef=false -Dc_args=-fno-sanitize-recover=undefined
fi
# The races of untrusted DMA against conversion, unmap and punch, under
# ThreadSanitizer: any report fails the test.
TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1} \
	run_build tsan "$TSAN_BUILD" stress tests/stress-canary \
	-Db_sanitize=thread -Db_lundef=false

python3 scripts/test-summary.py "${logs[@]}" || status=1
exit $status
