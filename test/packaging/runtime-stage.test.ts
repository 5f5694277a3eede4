// The container's runtime stage, replayed on the host by scripts/check-runtime-stage.sh
// (no Docker engine here): production-only install, unprivileged user, HEALTHCHECK,
// Kismet unreachable reported, exit 0 on SIGTERM.
import t from 'tap'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { CLOSE_GRACE_MS, DOCKER_STOP_TIMEOUT_MS } from '../../plugins/app/shutdown.js'

t.test('the Dockerfile keeps the settled shape', async (t) => {
  // Continuation lines joined, as Docker reads them.
  const dockerfile = readFileSync('Dockerfile', 'utf8').replace(/\\\n\s*/g, '')
  const runtime = dockerfile.slice(dockerfile.search(/^FROM .* AS runtime$/m))
  t.match(dockerfile, /^FROM \S+ AS build$/m, 'a build stage')
  t.match(runtime, /^COPY package\.json package-lock\.json \.npmrc \.\/$/m, 'the runtime stage installs with .npmrc (ignore-scripts) and the lockfile (overrides)')
  t.match(runtime, /^RUN npm ci --omit=dev/m, 'production dependencies only')
  t.match(runtime, /^COPY --from=build \/app\/dist \.\/dist$/m, 'dist/ only from the build')
  t.match(dockerfile, /^COPY dashboard \.\/dashboard$/m, 'the build stage has the dashboard sources (npm run build makes dist/dashboard)')
  t.notMatch(runtime, /^COPY (src|plugins|routes|test)\b/m, 'no sources in the runtime stage')
  t.match(runtime, /^USER (?!root\b)\S+$/m, 'a non-root user')
  t.match(runtime, /^EXPOSE 8001$/m)
  t.match(runtime, /^HEALTHCHECK .*CMD \["node", "-e", ".*\/health/m, 'a HEALTHCHECK through node on /health')
  t.match(runtime, /^CMD \["node", "dist\/server\.bundle\.mjs"\]$/m, 'node as PID 1, no npm or shell in between')
})

t.test('building needs the base image and the npm registry, nothing else', async (t) => {
  const dockerfile = readFileSync('Dockerfile', 'utf8')
  t.notMatch(dockerfile, /^#\s*syntax\s*=/im, 'no syntax directive (it pulls a BuildKit frontend image)')
  t.notMatch(dockerfile, /^#\s*(check|escape)\s*=/im, 'no other parser directive')
  t.match(dockerfile, /^ARG NODE_IMAGE=node:24-bookworm-slim$/m, 'the base: Node 24, the current LTS')
  const froms = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1])
  t.same(froms, ['${NODE_IMAGE}', '${NODE_IMAGE}'], 'both stages from the base image')
  const runs = [...dockerfile.replace(/\\\n\s*/g, '').matchAll(/^RUN (.*)$/gm)].map((m) => m[1]!)
  t.ok(runs.length > 0)
  for (const run of runs) t.match(run, /^npm (ci|run build)\b[^|;]*( && npm cache clean --force)?$/, `RUN ${run}: npm only (no --mount, no download)`)
})

t.test('the grace period stays below docker stop\'s 10 s, with a margin', async (t) => {
  t.equal(DOCKER_STOP_TIMEOUT_MS, 10_000)
  t.ok(CLOSE_GRACE_MS <= DOCKER_STOP_TIMEOUT_MS - 2000, `CLOSE_GRACE_MS ${CLOSE_GRACE_MS} ms leaves 2 s or more before the SIGKILL`)
  t.match(readFileSync('README.md', 'utf8'), `gives up after ${CLOSE_GRACE_MS / 1000} s`, 'the README gives it')
})

t.test('check-runtime-stage.sh passes', { timeout: 110_000 }, async (t) => {
  const started = Date.now()
  const child = spawn('bash', ['scripts/check-runtime-stage.sh'], { stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
  })
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
  t.equal(code, 0, 'exit status 0', { output })
  t.match(output, /HEALTHCHECK passes/)
  t.match(output, /dashboard served at \/ \(index\.html with its Content-Security-Policy, app\.js\)/, 'the image carries the built dashboard')
  t.match(output, /Kismet is not reachable at http:\/\/127\.0\.0\.1:\d+/)
  t.match(output, /check-runtime: \[[\d.]+ s\] OK: /)
  t.comment(`check-runtime-stage.sh took ${((Date.now() - started) / 1000).toFixed(1)} s`)
})
