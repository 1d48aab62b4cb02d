#!/usr/bin/env bash
# Runs every fuzz target for a bounded time, as CI does (README, "Fuzzing").
#
#   bash fuzz/run-all.sh [SECONDS]    # SECONDS per target: the argument, else $FUZZ_SECONDS, else 15
#
# The targets are built once: `cargo fuzz build -O -a`, optimized but with debug assertions
# and overflow checks, so that an arithmetic overflow is a crash here as it is a panic under
# `cargo test` (cargo-fuzz 0.13; RUSTC_BOOTSTRAP=1 lets a stable toolchain take the sanitizer's
# flags). Then each target runs from a copy of its committed corpus in fuzz/corpus/<target>, so
# that what it discovers does not grow the repository, with the tokens of
# fuzz/dict/<target>.dict where there is one. A crash, a panic, a hang or running out of memory
# leaves its input in fuzz/artifacts/<target>/ and fails the run once every target had its turn.
set -euo pipefail
cd "$(dirname "$0")"

seconds="${1:-${FUZZ_SECONDS:-15}}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
  echo "usage: $0 [SECONDS per target, a positive whole number]" >&2
  exit 2
fi
# One input taking longer than this is a hang (libFuzzer's default is 20 minutes).
input_timeout=10

export RUSTC_BOOTSTRAP=1
build=(-O -a)
cargo fuzz build "${build[@]}"
mapfile -t targets < <(cargo fuzz list)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=()
for target in "${targets[@]}"; do
  mkdir -p "$work/$target"
  if [ -d "corpus/$target" ]; then
    cp -R "corpus/$target/." "$work/$target/"
  fi
  options=(-max_total_time="$seconds" -timeout="$input_timeout" -print_final_stats=1)
  if [ -f "dict/$target.dict" ]; then
    options+=(-dict="$PWD/dict/$target.dict")
  fi
  echo "=== $target: ${seconds}s from $(find "$work/$target" -type f | wc -l) corpus inputs"
  if ! cargo fuzz run "${build[@]}" "$target" "$work/$target" -- "${options[@]}"; then
    failed+=("$target")
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz targets that failed: ${failed[*]} (inputs in fuzz/artifacts/<target>/;" \
    "reproduce with: RUSTC_BOOTSTRAP=1 cargo fuzz run -O -a <target> <input>)" >&2
  exit 1
fi
echo "all ${#targets[@]} fuzz targets ran ${seconds}s without a crash"
