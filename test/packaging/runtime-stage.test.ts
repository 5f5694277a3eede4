// The container's runtime stage, replayed on the host by scripts/check-runtime-stage.sh
// (no Docker engine here): production-only install, unprivileged user, HEALTHCHECK,
// Kismet unreachable reported, exit 0 on SIGTERM.
import t from 'tap'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'

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
