// The load balancer of the scale-out (deploy/nginx.conf, Debian's nginx-light, installed by
// .ci/run) in front of real gateways: a copy of the shipped file with its upstream servers
// pointed at the test's gateways, its `listen` at a free loopback port, and its pid, logs and
// temporary files in a temporary folder, so that it runs without touching the system's nginx
// (and as any user). Checked with `nginx -t`, run in the foreground, stopped at teardown or
// with the test process (watchdog.ts).
import { execFile } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import type { TestLike } from '../helper.js'
import { pollUntil } from './cluster.js'
import { freePort } from './ports.js'
import { runForTest } from './watchdog.js'

export const NGINX = '/usr/sbin/nginx'
const SHIPPED_CONFIG = 'deploy/nginx.conf'

const run = promisify(execFile)

/** Replaces what follows group 1 of each match of `pattern` by turns with `tails`, and fails unless there were exactly as many matches. */
function replaceEach(text: string, pattern: RegExp, tails: string[], what: string): string {
  let found = 0
  const result = text.replace(pattern, (match: string, kept: string) => {
    const tail = tails[found++]
    return tail === undefined ? match : kept + tail
  })
  if (found !== tails.length) throw new Error(`${SHIPPED_CONFIG}: expected ${tails.length} ${what}, found ${found}`)
  return result
}

/**
 * deploy/nginx.conf as the test runs it: the `server <host>:<port>` lines of its upstream (the
 * compose hostnames, which do not resolve here) become the gateways' addresses, in order, the
 * `listen` line the given port on 127.0.0.1, and the paths nginx writes go under `dir`.
 * `transform` changes the result further (a test's variation on the shipped file).
 */
function configFor(gateways: string[], port: number, dir: string, transform: (config: string) => string = (c) => c): string {
  let config = readFileSync(SHIPPED_CONFIG, 'utf8')
  config = replaceEach(config, /^(\s*server\s+)[\w.-]+:\d+/gm, gateways, 'upstream servers')
  config = replaceEach(config, /^(\s*listen\s+)\d+;/gm, [`127.0.0.1:${port};`], 'listen line')
  const paths = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${dir}/${kind};`).join('\n')
  config = replaceEach(config, /^(http \{)$/gm, [`\n  access_log ${dir}/access.log;\n${paths}`], 'http block')
  return transform(`pid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\n${config}`)
}

export interface LoadBalancer {
  url: string
  /** The access log so far (a line per request: `"GET /socket.io/?… HTTP/1.1" 200 …`). */
  accessLog(): string
}

/** nginx on deploy/nginx.conf (see configFor) in front of `gateways` (`host:port`), once `nginx -t` accepts it and it answers. */
export async function startNginx(t: TestLike, gateways: string[], transform?: (config: string) => string): Promise<LoadBalancer> {
  const port = await freePort()
  const dir = mkdtempSync(path.join(tmpdir(), 'kismet-ws-nginx-'))
  // Registered first, run last (tap runs teardowns in reverse order).
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  // Run as root, nginx's workers are `nobody`: they must reach the temporary files below.
  chmodSync(dir, 0o755)
  const file = path.join(dir, 'nginx.conf')
  writeFileSync(file, configFor(gateways, port, dir, transform))
  const args = ['-p', dir, '-c', file, '-e', path.join(dir, 'error.log')]
  try {
    await run(NGINX, ['-t', ...args], { timeout: 10_000 })
  } catch (error) {
    throw new Error(`nginx -t refused the configuration: ${(error as { stderr?: string }).stderr ?? String(error)}`)
  }
  // Stopped with SIGTERM at teardown: nginx's fast shutdown (open websockets are closed, not waited for).
  const nginx = runForTest(t, NGINX, [...args, '-g', 'daemon off;'])
  const url = `http://127.0.0.1:${port}`
  await pollUntil(
    async () => {
      if (nginx.child.exitCode !== null) throw new Error(`nginx exited with ${nginx.child.exitCode}: ${nginx.stderr()}`)
      return fetch(`${url}/health`).then((response) => response.status, () => 0)
    },
    (status) => status === 200,
    'nginx to answer /health from a gateway',
  )
  const accessLog = path.join(dir, 'access.log')
  return { url, accessLog: () => (existsSync(accessLog) ? readFileSync(accessLog, 'utf8') : '') }
}
