#!/usr/bin/env bash
# The test suite, as CI runs it: first a separate package that depends on SwiftVTP as a library
# (examples/library-package) is built and reconstructs an image, then `swift test` runs every test target, then
# every libFuzzer target runs 3 seconds on its seed corpus (scripts/fuzz.sh --smoke: an instrumented build into
# .build-fuzz, about 3 minutes of CPU, plus ~1 minute of fuzzing).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== examples/library-package: SwiftVTP as a dependency"
swift build --package-path examples/library-package
out=$(mktemp -d)
examples/library-package/.build/debug/reconstruct Tests/VTPModelsTests/Fixtures/vtp-tiny/model "$out" examples/chelsea.jpg
test -s "$out/chelsea.png"
rm -rf "$out"
echo "== swift test"
swift test
echo "== fuzz smoke (scripts/fuzz.sh --smoke)"
scripts/fuzz.sh --smoke
