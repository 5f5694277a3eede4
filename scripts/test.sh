#!/usr/bin/env bash
# Runs the tap suite and ends with the plain line "N passed, N failed, N skipped"
# that CI counts; the exit code stays tap's.
set -o pipefail
npx tap "$@" | node scripts/tap-summary.mjs
