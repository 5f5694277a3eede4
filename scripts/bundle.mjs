// The production entry as one file: dist/server.bundle.mjs, built from tsc's output.
// Loading ~600 small modules of the dependency graph is most of the start-up time (about
// 1.2 s to /health on 2 cores); one bundled file starts in about two thirds of that.
// Packages that read files beside themselves stay external and load from node_modules:
// the Swagger UI's static files, Socket.IO's client bundle, pino's worker transports (and
// @fastify/static, which the dashboard shares with the Swagger UI). The Redis client and the
// streams adapter (scale-out) stay external too: their `debug` looks for supports-color, an
// optional package that is not a production dependency.
import { execFileSync } from 'node:child_process'
import { realpathSync } from 'node:fs'
import { resolve } from 'node:path'
import { build } from 'esbuild'

const result = await build({
  entryPoints: ['dist/server.js'],
  outfile: 'dist/server.bundle.mjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  external: ['@fastify/static', '@fastify/swagger', '@fastify/swagger-ui', 'socket.io', 'pino', 'pino-pretty', 'thread-stream', 'ioredis', '@socket.io/redis-streams-adapter'],
  // Bundled CommonJS code calls require(); an ES module has none of its own.
  banner: { js: "import { createRequire as __kismetWsCreateRequire } from 'node:module'; const require = __kismetWsCreateRequire(import.meta.url);" },
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
})

// Inlining dependencies must not hide a runtime import of a dev dependency (the container
// installs production dependencies only): every bundled package must be a production one.
const production = new Set(
  execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    // esbuild reports real paths; node_modules may be reached through a link.
    .map((dir) => realpathSync(dir)),
)
const packageDir = (input) => {
  const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input)
  return match ? realpathSync(resolve(match[1])) : undefined
}
const devOnly = [...new Set(Object.keys(result.metafile.inputs).map(packageDir).filter((dir) => dir && !production.has(dir)))]
if (devOnly.length > 0) {
  console.error(`bundle: runtime code imports packages that are not production dependencies: ${devOnly.join(', ')}`)
  process.exit(1)
}
