// The scale-out topology as real processes: a redis-server of the test's own (a free port,
// a temporary folder, no persistence; stopped and restartable), and server.ts started as
// producers and gateways against it (test/support/service-process.ts). Everything is stopped
// at teardown.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { freePort } from './ports.js'
import { diesWithTest } from './watchdog.js'
import { startServiceProcess, type ServiceProcess } from './service-process.js'
import { KismetSimulator } from '../../sim/simulator.js'
import type { AnyEnvelope } from '../../src/events.js'
import { ClientTable } from '../faults/client-table.js'
import { TEST_API_KEY, type TestLike } from '../helper.js'
import { createClient, type ClientSocket } from './socket.js'
import { Waiters } from './waiters.js'
import type { Test } from 'tap'

export interface RedisProcess {
  port: number
  url: string
  /** Stops it (SIGTERM, waits for the exit). */
  stop(): Promise<void>
  /** Starts it again on the same port (empty: no persistence). */
  start(): Promise<void>
}

export interface RedisServerOptions {
  /** What it listens on, given its port (default `--port <port>`; TLS only: `--port 0 --tls-port <port>`). */
  listen?: (port: number) => string[]
  /** More arguments (TLS files, cluster mode, a password). */
  args?: string[]
  /** The URL clients are given (default `redis://127.0.0.1:<port>`). */
  url?: (port: number) => string
}

/**
 * A redis-server of the test's own, in its own temporary folder (its working directory, where
 * a cluster node keeps its nodes.conf), stopped at teardown or with the test process (watchdog.ts).
 */
export async function startRedis(t: TestLike, options: RedisServerOptions = {}): Promise<RedisProcess> {
  const port = await freePort()
  const dir = mkdtempSync(path.join(tmpdir(), 'kismet-ws-redis-'))
  const listen = options.listen?.(port) ?? ['--port', String(port)]
  const args = [...listen, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...(options.args ?? [])]
  let child: ChildProcess | undefined
  const start = () =>
    new Promise<void>((resolve, reject) => {
      const proc = spawn(...diesWithTest('redis-server', args), { stdio: ['ignore', 'pipe', 'pipe'] })
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
  return { port, url: options.url?.(port) ?? `redis://127.0.0.1:${port}`, stop, start }
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

// ---- The topology in a test: the simulator, producers and gateways, clients that rebuild their tables
export const SENSOR = 'default'

/** A client's table rebuilt from its stream, with a way to wait for a condition on it. */
export class WatchedClient {
  readonly table = new ClientTable()
  readonly envelopes: AnyEnvelope[] = []
  readonly waiters = new Waiters()
  readonly socket: ClientSocket
  connects = 0
  batches = 0
  recovered: boolean[] = []

  constructor(t: TestLike, url: string, options: { reconnectTo?: () => string; transports?: Array<'websocket' | 'polling'> } = {}) {
    this.socket = createClient(t, url, { reconnection: options.reconnectTo !== undefined, reconnectionDelay: 100, reconnectionDelayMax: 300, ...(options.transports && { transports: options.transports }) })
    this.socket.on('disconnect', () => this.waiters.wake())
    this.socket.on('connect', () => {
      this.connects += 1
      this.recovered.push(this.socket.recovered)
      this.waiters.wake()
    })
    this.socket.on('event', (envelope) => {
      this.envelopes.push(envelope)
      this.table.apply(envelope)
      this.waiters.wake()
    })
    this.socket.on('events', (batch) => {
      this.batches += 1
      for (const envelope of batch) {
        this.envelopes.push(envelope)
        this.table.apply(envelope)
      }
      this.waiters.wake()
    })
    if (options.reconnectTo) {
      const manager = this.socket.io as unknown as { uri: string; on(event: string, fn: () => void): void }
      manager.on('reconnect_attempt', () => (manager.uri = options.reconnectTo!()))
    }
  }

  async subscribe(topics: string[], options?: object): Promise<void> {
    const ack = await (options ? this.socket.timeout(5000).emitWithAck('subscribe', topics as never, options as never) : this.socket.timeout(5000).emitWithAck('subscribe', topics as never))
    if (!(ack as { ok: boolean }).ok) throw new Error(`subscribe refused: ${JSON.stringify(ack)}`)
  }

  until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    return this.waiters.until(condition, () => `${what}; anomalies: ${this.table.anomalies.join('; ') || 'none'}`, timeoutMs)
  }

  newsFor(key: string): number {
    return this.envelopes.filter((e) => e.type === 'device:update' && e.data.action === 'new' && e.data.device.key === key).length
  }
}

export function truthOf(sim: KismetSimulator) {
  return sim.devices().map((d) => d.key).sort()
}

/** `count` clients, one after the other, on the gateways in turn, each subscribed to devices and alerts and holding its snapshot. */
export async function subscribersOnEach(t: TestLike, gateways: ServiceProcess[], count: number, options?: object): Promise<WatchedClient[]> {
  const clients: WatchedClient[] = []
  for (let i = 0; i < count; i++) {
    const client = new WatchedClient(t, gateways[i % gateways.length]!.url)
    await client.subscribe(['devices', 'alerts'], options)
    clients.push(client)
    await client.until(() => client.table.snapshotComplete, 'its snapshot')
  }
  return clients
}

/** Devices coming and going in Kismet while a test runs: one added every `everyMs` (the oldest removed past `keep`), and an alert with each with `alerts`. Stopped at teardown. */
export function churn(t: TestLike, sim: KismetSimulator, options: { name: string; everyMs: number; keep: number; alerts?: boolean }): { readonly added: number; stop(): void } {
  let added = 0
  const timer = setInterval(() => {
    sim.addDevice({ name: `${options.name}-${added++}` })
    const devices = sim.devices()
    if (devices.length > options.keep) sim.removeDevice(devices[0]!.key)
    if (options.alerts) sim.raiseAlert()
  }, options.everyMs)
  const stop = () => clearInterval(timer)
  t.teardown(stop)
  return {
    get added() {
      return added
    },
    stop,
  }
}

/** The keys of the simulator's devices on one channel (what a `{ channels: [n] }` filter lets through), sorted. */
export function keysOnChannel(sim: KismetSimulator, channel: number): string[] {
  return sim
    .devices()
    .filter((device) => Number.parseInt(device.channel, 10) === channel)
    .map((device) => device.key)
    .sort()
}

export function keysOf(client: WatchedClient): string[] {
  return client.table.table().map((d) => d.key)
}

export interface TopologyOptions {
  producers?: number
  gateways?: number
  /** More environment for every role (NODE_EXTRA_CA_CERTS for a rediss:// Redis). */
  env?: Record<string, string>
}

/** The simulator, producers and gateways on a redis-server of the test's own. */
export async function cluster(t: TestLike, options: TopologyOptions = {}) {
  const redis = await startRedis(t)
  return { redis, ...(await topology(t, redis.url, options)) }
}

/** The simulator, producers and gateways on the Redis at `redisUrl` (one node, or a cluster's nodes). */
export async function topology(t: TestLike, redisUrl: string, options: TopologyOptions = {}) {
  const sim = new KismetSimulator({ apiKey: TEST_API_KEY, seed: 16, devices: 5 })
  const kismetUrl = await sim.listen()
  t.teardown(() => sim.close())
  // Kismet hears its devices all the time: those it forgot (removeDevice) expire after DEVICE_TTL_S.
  const hearing = setInterval(() => {
    for (const device of sim.devices()) sim.touchDevice(device.key)
  }, 300)
  t.teardown(() => clearInterval(hearing))
  const producerEnv = { KISMET_ENABLED: 'true', KISMET_API_URL: kismetUrl, KISMET_API_KEY: TEST_API_KEY, KISMET_EVENTBUS: 'off', POLL_INTERVAL_MS: '100', DEVICE_TTL_S: '2', ...options.env }
  const gatewayEnv = { KISMET_API_URL: kismetUrl, ...options.env }
  const producers: ServiceProcess[] = []
  for (let i = 0; i < (options.producers ?? 2); i++) producers.push(await startRole(t, 'producer', redisUrl, producerEnv))
  const gateways: ServiceProcess[] = []
  for (let i = 0; i < (options.gateways ?? 2); i++) gateways.push(await startRole(t, 'gateway', redisUrl, gatewayEnv))
  return { sim, producers, gateways, producerEnv, gatewayEnv }
}

/** Polls `read` (a REST answer) until `holds` says yes, or fails after `timeoutMs`: the cluster records refresh every CLUSTER_REFRESH_MS. */
export async function pollUntil<T>(read: () => Promise<T>, holds: (value: T) => boolean, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (holds(value)) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(value)}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

export async function readyOf(gateway: ServiceProcess): Promise<{ status: number; body: { error?: { message: string } } }> {
  const response = await fetch(`${gateway.url}/ready`)
  return { status: response.status, body: (await response.json()) as { error?: { message: string } } }
}

/** The gateway's view of who leads the sensor (GET /status's cluster section). */
export async function leaderOf(gateway: ServiceProcess): Promise<string | null> {
  const response = await fetch(`${gateway.url}/api/kismet/ws/status`)
  const body = (await response.json()) as { data: { cluster?: { sensors: Array<{ name: string; leader: string | null }> } } }
  return body.data.cluster?.sensors.find((s) => s.name === SENSOR)?.leader ?? null
}

export const LEADS = /^This producer leads the sensor now$/

export function leaderAmong(producers: ServiceProcess[]): ServiceProcess | undefined {
  return producers.find((p) => p.child.exitCode === null && p.child.signalCode === null && p.logs.some((l) => LEADS.test(String(l['msg'] ?? ''))))
}

/** A device added to Kismet, one removed and an alert raised: each client sees each exactly once. */
export async function eachSeenOnce(t: Test, sim: KismetSimulator, clients: WatchedClient[]): Promise<void> {
  const added = sim.addDevice({ name: 'fresh' })
  sim.removeDevice(sim.devices()[0]!.key)
  const alert = sim.raiseAlert()
  for (const client of clients) {
    await client.until(() => keysOf(client).join() === truthOf(sim).join() && client.table.hasAlert(String(alert.hash)), 'the new device, the removal and the alert')
    t.equal(client.newsFor(added.key), 1, 'one new for the added device')
    t.same(client.table.anomalies, [], 'no anomaly (no second new, no remove of an unknown device, no alert twice)')
  }
}

export async function settled(sim: KismetSimulator, clients: WatchedClient[], what: string): Promise<void> {
  for (const client of clients) await client.until(() => client.table.snapshotComplete && keysOf(client).join() === truthOf(sim).join(), what)
}
