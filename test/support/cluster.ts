// The scale-out topology as real processes: a redis-server of the test's own (a free port,
// a temporary folder, no persistence; stopped and restartable), and server.ts started as
// producers and gateways against it (test/support/service-process.ts). Everything is stopped
// at teardown.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { TestLike } from '../helper.js'
import { freePort } from './ports.js'
import { startServiceProcess, type ServiceProcess } from './service-process.js'

export interface RedisProcess {
  port: number
  url: string
  /** Stops it (SIGTERM, waits for the exit). */
  stop(): Promise<void>
  /** Starts it again on the same port (empty: no persistence). */
  start(): Promise<void>
}

export async function startRedis(t: TestLike): Promise<RedisProcess> {
  const port = await freePort()
  const dir = mkdtempSync(path.join(tmpdir(), 'kismet-ws-redis-'))
  let child: ChildProcess | undefined
  const start = () =>
    new Promise<void>((resolve, reject) => {
      const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] })
      child = proc
      let out = ''
      const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000)
      proc.stdout!.on('data', (data: Buffer) => {
        out += data.toString()
        if (out.includes('Ready to accept connections')) {
          clearTimeout(timer)
          resolve()
        }
      })
      proc.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`redis-server exited with ${code}: ${out}`))
      })
    })
  const stop = async () => {
    const proc = child
    child = undefined
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return
    const exited = new Promise((resolve) => proc.once('exit', resolve))
    proc.kill('SIGTERM')
    await exited
  }
  t.teardown(async () => {
    await stop()
    rmSync(dir, { recursive: true, force: true })
  })
  await start()
  return { port, url: `redis://127.0.0.1:${port}`, stop, start }
}

/** Short leases and refreshes, so that failover happens within a test's patience. */
export const FAST_CLUSTER_ENV = {
  LEADER_LOCK_TTL_MS: '1500',
  CLUSTER_REFRESH_MS: '200',
  LOG_LEVEL: 'info',
}

export function startRole(t: TestLike, role: 'gateway' | 'producer', redisUrl: string, env: Record<string, string>): Promise<ServiceProcess> {
  return startServiceProcess(t, { ...FAST_CLUSTER_ENV, ROLE: role, REDIS_URL: redisUrl, ...env })
}

/** SIGTERM and wait for the exit. */
export async function stopProcess(service: ServiceProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill(signal)
  return service.exited
}
