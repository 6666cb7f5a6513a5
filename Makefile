# A thin wrapper around meson; see README.md and docs/testing.md.
BUILD ?= build
ASAN_BUILD ?= build-asan

.PHONY: all deps run test test-quick test-tsan fuzz fuzz-merge install clean

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

deps:
	@scripts/deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD)

# The main job: build, then the end-to-end run with its checks.
run: deps all
	./$(BUILD)/cli/privmem run

# Every suite, in a normal build and in an ASan+UBSan build.
test: deps
	@scripts/run-tests.sh

# The stress suite under ThreadSanitizer for 60 seconds a test.
test-tsan: deps
	@ONLY_TSAN=1 PM_STRESS_SECONDS=$${PM_STRESS_SECONDS:-60} scripts/run-tests.sh

# The libFuzzer targets (clang, in build-fuzz/) for FUZZ_SECONDS (default
# 60) each; `make test` only replays their committed corpus (suite fuzz).
fuzz: deps
	@fuzz/run-fuzz.sh run

# Minimize what `make fuzz` found into the committed corpus (fuzz/corpus/).
fuzz-merge: deps
	@fuzz/run-fuzz.sh merge

# Only the normal build (faster while developing).
test-quick: deps all
	meson test -C $(BUILD) --print-errorlogs

install: all
	meson install -C $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-tsan build-*
