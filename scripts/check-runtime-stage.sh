#!/usr/bin/env bash
# Reproduces the Dockerfile's two stages on the host, for machines without a Docker engine
# (npm run check:runtime). It proves that the runtime image starts from a production-only
# install, answers its HEALTHCHECK, serves the dashboard at `/`, reports an unreachable
# Kismet, and stops with exit 0 on SIGTERM, as an unprivileged user.
#
# It reads the Dockerfile rather than keeping its own list, so the two change together:
#   build stage   - COPY lines copy from the repository into a scratch build folder; `RUN npm ci`
#                   is replaced by a link to the repository's node_modules (same lockfile);
#                   every other RUN (npm run build) runs as written.
#   runtime stage - COPY lines copy from the repository, or with --from=build from the
#                   scratch build; `RUN npm ci --omit=dev ...` becomes a production-only
#                   `npm ci --omit=dev` (the npm cache is used when it has the packages; the
#                   host cache is never cleaned); ENV lines are applied; CMD and HEALTHCHECK
#                   are run as written (exec-form JSON arrays).
# Supported Dockerfile forms: one `FROM <image> AS <name>` per stage, WORKDIR /app,
# `COPY [--from=build] [--chown=..] <src>... <dest>` with plain paths, `ENV K=V` lines.
# Anything else in those stages makes this script stop and say so: teach it the new form.
#
# The process runs with a clean environment (no NODE_PATH), from a folder with no
# node_modules above it, so an import of a dev dependency by runtime code fails here as it
# would in the image. As root it runs as `nobody` (setpriv, else runuser); as another user
# it runs as that user. Exit 0 when every check passes.
set -euo pipefail

STARTED_AT=$(date +%s%N)
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DOCKERFILE=${DOCKERFILE:-$REPO/Dockerfile}
BUILD_STAGE=build
RUNTIME_STAGE=runtime
STOP_LIMIT_S=10

elapsed() { local ms=$((($(date +%s%N) - STARTED_AT) / 1000000)); printf '%d.%01d s' $((ms / 1000)) $((ms % 1000 / 100)); }
say() { printf 'check-runtime: [%s] %s\n' "$(elapsed)" "$*"; }
fail() {
  printf 'check-runtime: FAIL: %s\n' "$*" >&2
  if [[ -n "${LOG:-}" && -s "${LOG:-}" ]]; then
    printf -- '--- service output ---\n' >&2
    tail -n 40 "$LOG" >&2
    printf -- '----------------------\n' >&2
  fi
  exit 1
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kismet-ws-runtime.XXXXXX")
SERVER_PID=
BUILD_PID=
cleanup() {
  if [[ -n "$BUILD_PID" ]] && kill -0 "$BUILD_PID" 2>/dev/null; then
    kill "$BUILD_PID" 2>/dev/null || true
    wait "$BUILD_PID" 2>/dev/null || true
  fi
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then kill -KILL "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
chmod 755 "$WORK"
BUILD_DIR=$WORK/build
APP_DIR=$WORK/app
LOG=
mkdir -p "$BUILD_DIR" "$APP_DIR"

# ---- read the Dockerfile: "<stage>\t<INSTRUCTION>\t<arguments>" per instruction --------
[[ -f "$DOCKERFILE" ]] || fail "no Dockerfile at $DOCKERFILE"
INSTRUCTIONS=$(awk '
  /^[[:space:]]*#/ { next }
  {
    line = $0
    sub(/\r$/, "", line)
    if (pending != "") { line = pending " " line; pending = "" }
    if (line ~ /\\[[:space:]]*$/) { sub(/\\[[:space:]]*$/, "", line); pending = line; next }
    if (line ~ /^[[:space:]]*$/) next
    sub(/^[[:space:]]+/, "", line)
    split(line, words, /[[:space:]]+/)
    op = toupper(words[1])
    rest = substr(line, length(words[1]) + 1)
    sub(/^[[:space:]]+/, "", rest)
    if (op == "FROM") {
      stage = ""
      n = split(rest, f, /[[:space:]]+/)
      if (n >= 3 && toupper(f[n - 1]) == "AS") stage = f[n]
      print stage "\tFROM\t" rest
      next
    }
    print stage "\t" op "\t" rest
  }' "$DOCKERFILE")

stage_lines() { # stage -> its instructions
  awk -F '\t' -v s="$1" '$1 == s { print $2 "\t" $3 }' <<<"$INSTRUCTIONS"
}
BASE_IMAGE=$(awk -F '\t' '$1 == "" && $2 == "ARG" && $3 ~ /^NODE_IMAGE=/ { sub(/^NODE_IMAGE=/, "", $3); print $3 }' <<<"$INSTRUCTIONS")
say "host node $(node --version) stands in for the image's base (${BASE_IMAGE:-its FROM image})"
[[ -n "$(stage_lines "$BUILD_STAGE")" ]] || fail "the Dockerfile has no stage named '$BUILD_STAGE' (FROM ... AS $BUILD_STAGE)"
[[ -n "$(stage_lines "$RUNTIME_STAGE")" ]] || fail "the Dockerfile has no stage named '$RUNTIME_STAGE' (FROM ... AS $RUNTIME_STAGE)"

# COPY <args> into <target folder>; <from-root> is where --from=build sources are found.
do_copy() {
  local args=$1 target=$2 from_root=$3
  local -a words sources=()
  local from='' word
  [[ "$args" != \[* ]] || fail "COPY in JSON form is not supported here: COPY $args"
  read -r -a words <<<"$args"
  for word in "${words[@]}"; do
    case "$word" in
      --from=*) from=${word#--from=} ;;
      --chown=* | --chmod=* | --link) ;;
      --*) fail "unsupported COPY option $word" ;;
      *) sources+=("$word") ;;
    esac
  done
  ((${#sources[@]} >= 2)) || fail "COPY needs a source and a destination: COPY $args"
  local dest=${sources[-1]}
  unset 'sources[-1]'
  [[ "$dest" != /* || "$dest" == /app/* || "$dest" == /app ]] || fail "COPY destination outside WORKDIR /app: $dest"
  dest=${dest#/app}
  dest=${dest#/}
  dest=${dest#./}
  local dest_path=$target/$dest
  local src path
  for src in "${sources[@]}"; do
    if [[ -n "$from" ]]; then
      [[ "$from" == "$BUILD_STAGE" ]] || fail "COPY --from=$from: only --from=$BUILD_STAGE is reproduced"
      await_build
      [[ "$src" == /app/* ]] || fail "COPY --from=$BUILD_STAGE source must be under /app: $src"
      path=$from_root/${src#/app/}
    else
      [[ "$src" != /* && "$src" != *..* ]] || fail "COPY source must be relative to the context: $src"
      path=$REPO/${src#./}
    fi
    [[ -e "$path" ]] || fail "COPY source missing: $src (looked for $path)"
    if [[ -d "$path" ]]; then
      mkdir -p "$dest_path"
      cp -a "$path/." "$dest_path/"
    elif [[ "$dest" == "" || "$dest" == */ || "$dest" == . ]] || ((${#sources[@]} > 1)); then
      mkdir -p "$dest_path"
      cp -a "$path" "$dest_path/"
    else
      mkdir -p "$(dirname "$dest_path")"
      cp -a "$path" "$dest_path"
    fi
  done
}

# Parses an exec-form JSON array into the global array EXEC (NUL-separated through node).
parse_exec() {
  local json=$1
  EXEC=()
  mapfile -d '' EXEC < <(node -e '
    const value = JSON.parse(process.argv[1])
    if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === "string")) process.exit(1)
    process.stdout.write(value.map((v) => v + "\0").join(""))' "$json") || fail "not an exec-form JSON array: $json"
  ((${#EXEC[@]} > 0)) || fail "empty command: $json"
}

# ---- build stage (in the background, as BuildKit runs stages side by side) -------------
build_stage() {
  say "build stage: sources as the Dockerfile copies them, then its build commands"
  while IFS=$'\t' read -r op args; do
    case "$op" in
      FROM | ARG | LABEL) ;;
      WORKDIR) [[ "$args" == /app ]] || fail "build stage WORKDIR must be /app (found $args)" ;;
      ENV) ;;
      COPY) do_copy "$args" "$BUILD_DIR" "" ;;
      RUN)
        if [[ "$args" =~ ^npm\ ci([[:space:]]|$) ]]; then
          [[ -d "$REPO/node_modules" ]] || fail "run npm ci in $REPO first (the build stage reuses its node_modules)"
          ln -s "$REPO/node_modules" "$BUILD_DIR/node_modules"
        else
          say "  build: RUN $args"
          (cd "$BUILD_DIR" && bash -c "$args") </dev/null >"$WORK/build.log" 2>&1 || {
            cat "$WORK/build.log" >&2
            fail "build stage command failed: RUN $args"
          }
        fi
        ;;
      *) fail "build stage: unsupported instruction $op (teach scripts/check-runtime-stage.sh)" ;;
    esac
  done < <(stage_lines "$BUILD_STAGE")
  say "build stage done"
}
build_stage &
BUILD_PID=$!
# The runtime stage's first COPY --from=build waits here; a failed build has said why.
await_build() {
  [[ -n "$BUILD_PID" ]] || return 0
  local status=0
  wait "$BUILD_PID" || status=$?
  BUILD_PID=
  ((status == 0)) || exit 1
}

# ---- runtime stage ----------------------------------------------------------------------
say "runtime stage: copies, production-only install, environment"
declare -a RUNTIME_ENV=()
RUNTIME_USER=root
HEALTH_JSON=
CMD_JSON=
INSTALLED=no
while IFS=$'\t' read -r op args; do
  case "$op" in
    FROM | ARG | LABEL | EXPOSE | STOPSIGNAL) ;;
    WORKDIR) [[ "$args" == /app ]] || fail "runtime stage WORKDIR must be /app (found $args)" ;;
    ENV)
      read -r -a pairs <<<"$args"
      for pair in "${pairs[@]}"; do
        [[ "$pair" =~ ^[A-Za-z_][A-Za-z0-9_]*=[^\"\']*$ ]] || fail "ENV must be plain KEY=value pairs: ENV $args"
        RUNTIME_ENV+=("$pair")
      done
      ;;
    COPY) do_copy "$args" "$APP_DIR" "$BUILD_DIR" ;;
    RUN)
      [[ "$args" =~ ^npm\ ci\ --omit=dev([[:space:]]|$) ]] || fail "runtime stage: unexpected RUN $args (only 'npm ci --omit=dev ...' is reproduced)"
      say "  runtime: npm ci --omit=dev (instead of: RUN $args)"
      (cd "$APP_DIR" && npm ci --omit=dev --prefer-offline --no-audit --no-fund) </dev/null >"$WORK/npm.log" 2>&1 || {
        cat "$WORK/npm.log" >&2
        fail "npm ci --omit=dev failed"
      }
      INSTALLED=yes
      ;;
    USER) RUNTIME_USER=$args ;;
    HEALTHCHECK)
      [[ "$args" =~ CMD[[:space:]]+(\[.*\])[[:space:]]*$ ]] || fail "HEALTHCHECK must use CMD with an exec-form JSON array"
      HEALTH_JSON=${BASH_REMATCH[1]}
      ;;
    CMD) CMD_JSON=$args ;;
    *) fail "runtime stage: unsupported instruction $op (teach scripts/check-runtime-stage.sh)" ;;
  esac
done < <(stage_lines "$RUNTIME_STAGE")
await_build

[[ "$INSTALLED" == yes ]] || fail "the runtime stage does not install production dependencies (RUN npm ci --omit=dev)"
[[ "$RUNTIME_USER" != root && "$RUNTIME_USER" != 0 && "$RUNTIME_USER" != 0:* ]] || fail "the runtime stage runs as root: add USER <unprivileged user>"
[[ -n "$HEALTH_JSON" ]] || fail "the runtime stage has no HEALTHCHECK"
[[ -n "$CMD_JSON" ]] || fail "the runtime stage has no CMD"
[[ ! -e "$APP_DIR/node_modules/socket.io-client" && ! -e "$APP_DIR/node_modules/tap" && ! -e "$APP_DIR/node_modules/tsx" ]] ||
  fail "dev dependencies were installed in the runtime folder"
dir=$WORK
while [[ "$dir" != / ]]; do
  dir=$(dirname "$dir")
  [[ ! -e "$dir/node_modules" ]] || fail "$dir/node_modules exists above the runtime folder: node would resolve packages from it"
done
chmod -R a+rX "$WORK"

# ---- start it as an unprivileged user ----------------------------------------------------
NODE_BIN_DIR=$(dirname "$(command -v node)")
free_port() { node -e 'const s = require("node:net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close() })'; }
PORT=$(free_port)
CLOSED_PORT=$(free_port) # nothing listens there: Kismet is unreachable

declare -a AS_USER=()
if [[ $(id -u) == 0 ]]; then
  uid=$(id -u nobody) || fail "no 'nobody' user to run as"
  gid=$(id -g nobody)
  if command -v setpriv >/dev/null; then
    AS_USER=(setpriv --reuid="$uid" --regid="$gid" --clear-groups --)
  elif command -v runuser >/dev/null; then
    AS_USER=(runuser -u nobody --)
  else
    fail "running as root and neither setpriv nor runuser is available"
  fi
  who="nobody (uid $uid)"
else
  who="$(id -un) (uid $(id -u), not root)"
fi
ENVIRONMENT=(
  "PATH=$NODE_BIN_DIR:/usr/local/bin:/usr/bin:/bin"
  "HOME=/nonexistent"
  "${RUNTIME_ENV[@]}"
  "PORT=$PORT"
  "KISMET_ENABLED=true"
  "KISMET_API_URL=http://127.0.0.1:$CLOSED_PORT"
)
in_container() { (cd "$APP_DIR" && exec env -i "${ENVIRONMENT[@]}" "${AS_USER[@]}" "$@"); }

in_container node -e 'process.getuid() === 0 && process.exit(3)' || fail "cannot run node as $who (is $NODE_BIN_DIR readable by that user?)"

parse_exec "$CMD_JSON"
SERVER_CMD=("${EXEC[@]}")
parse_exec "$HEALTH_JSON"
HEALTH_CMD=("${EXEC[@]}")

LOG=$WORK/service.log
say "starting '${SERVER_CMD[*]}' as $who on port $PORT, KISMET_API_URL=http://127.0.0.1:$CLOSED_PORT (closed)"
# One subshell that execs env -> setpriv -> node, so $! is the service process itself.
(cd "$APP_DIR" && exec env -i "${ENVIRONMENT[@]}" "${AS_USER[@]}" "${SERVER_CMD[@]}") >"$LOG" 2>&1 &
SERVER_PID=$!

alive() { kill -0 "$SERVER_PID" 2>/dev/null; }
# wait_until <seconds> <description> <command...>: polls every 0.2 s.
wait_until() {
  local limit=$1 what=$2
  shift 2
  local deadline=$((SECONDS + limit))
  until "$@"; do
    alive || fail "the service exited while waiting for: $what"
    ((SECONDS < deadline)) || fail "timed out after ${limit} s waiting for: $what"
    sleep 0.2
  done
}
healthy() { in_container "${HEALTH_CMD[@]}" >/dev/null 2>&1; }
reports_unreachable() { grep -q 'Kismet is not reachable' "$LOG"; }

wait_until 30 "the HEALTHCHECK command to succeed (GET /health 200)" healthy
say "HEALTHCHECK passes (GET /health answered 200)"
# The dashboard is part of dist/: `/` serves the built page (with its CSP) and its script.
serves_dashboard() {
  in_container node -e '
    const base = "http://127.0.0.1:" + process.argv[1]
    ;(async () => {
      const page = await fetch(base + "/")
      const html = await page.text()
      const csp = page.headers.get("content-security-policy") || ""
      const script = await fetch(base + "/app.js")
      return page.status === 200 && /<script type="module" src="app.js">/.test(html) && /script-src .self./.test(csp) && script.status === 200
    })().then((ok) => process.exit(ok ? 0 : 1), () => process.exit(1))' "$PORT" >/dev/null 2>&1
}
wait_until 10 "GET / to serve the dashboard (index.html with its CSP, app.js)" serves_dashboard
say "dashboard served at / (index.html with its Content-Security-Policy, app.js)"
wait_until 15 "a log line saying Kismet is not reachable" reports_unreachable
say "log: $(grep -o 'Kismet is not reachable at [^ ]*' "$LOG" | head -n 1)"

say "sending SIGTERM"
kill -TERM "$SERVER_PID"
stop_deadline=$((SECONDS + STOP_LIMIT_S))
while alive && ((SECONDS < stop_deadline)); do sleep 0.1; done
alive && fail "the service did not stop within $STOP_LIMIT_S s of SIGTERM"
status=0
wait "$SERVER_PID" || status=$?
SERVER_PID=
((status == 0)) || fail "the service exited with status $status after SIGTERM (expected 0)"
say "stopped with status 0"

if grep -qE '"level":(50|60)' "$LOG"; then
  grep -E '"level":(50|60)' "$LOG" >&2
  fail "the service logged errors during a plain start and stop"
fi

say "OK: production-only install starts as $who, passes its HEALTHCHECK, serves the dashboard, reports Kismet unreachable, exits 0 on SIGTERM (in $(elapsed))"
