#!/usr/bin/env bash
# Runs the tap suite and ends with the plain line "N passed, N failed, N skipped" that CI
# counts. Every process the suite starts inherits KISMET_WS_TEST_RUN; one still running after
# tap ends is killed and counted as a failure (scripts/leftover-processes.mjs).
set -o pipefail
export KISMET_WS_TEST_RUN="$$-$(date +%s%N)"
npx tap "$@" | node scripts/tap-summary.mjs
