// Fault injector: runs kismet-ws against a simulated Kismet that fails in every way it can,
// with hostile clients beside a normal one, and reports whether anything was lost.
//
//   npx tsx scripts/inject-faults.ts [--rounds 16] [--fault-s 2] [--seed 1]
//   npx tsx scripts/inject-faults.ts --attach http://127.0.0.1:8001 --sim-port 2501 --api-key KEY
//                                    [--token API_TOKEN] [--ttl DEVICE_TTL_S]
//
// By default it starts the simulator here and the service as a child process pointed at it
// (short poll, retry and TTL settings so a run takes a minute or two). With --attach it uses
// a service already running, whose KISMET_API_URL must be http://127.0.0.1:<sim-port> and
// KISMET_API_KEY the key given: the simulator is started on that port here.
//
// Each round injects one fault for --fault-s seconds while Kismet's devices keep changing:
// Kismet killed (stops listening, connections dropped), killed and restarted with an empty
// table (new start time), slower than the service's timeout, a 200 with garbage, a 200 cut
// short with an ERROR: tail, 401, 5xx, an answer of 72 MB. Then it waits for the service to
// report `connected` again. Throughout, hostile clients run: fuzzers sending seeded random
// messages, junk frames on raw connections, oversized messages, subscription floods, one flood
// of connections beyond the per-address cap, and a client that subscribes and never reads.
//
// The verdict compares what a normal Socket.IO client (connected from start to end) built
// from its snapshot and the updates it received with a fresh read of the simulator, checks
// that every alert raised reached it exactly once, that its stream had no anomaly (ids
// increasing, no update before new, changes that add up), and that it was never dropped.
// Exit status 0 when nothing was lost.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { dirname, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { io as connect, type Socket } from 'socket.io-client'
import { KismetClient } from '../src/kismet/client.js'
import { KismetSimulator, type SimDevice } from '../sim/simulator.js'
import { Prng } from '../sim/prng.js'
import type { ClientToServerEvents, ConnectionState, ServerToClientEvents, SubscriptionAck, WifiDevice } from '../src/events.js'
import { ClientTable, tableDifferences } from '../test/faults/client-table.js'
import { listeningUrl, onLogEntries } from './lib/log-lines.js'
import { randomAction, randomJunkFrame } from '../test/faults/payloads.js'
import { RawClient } from '../test/faults/raw-client.js'

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..')

// ---- settings ----------------------------------------------------------------------------

function fail(message: string): never {
  process.stderr.write(`inject-faults: ${message}\n`)
  process.exit(2)
}

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '16' },
    'fault-s': { type: 'string', default: '2' },
    seed: { type: 'string', default: '1' },
    attach: { type: 'string' },
    'sim-port': { type: 'string' },
    'api-key': { type: 'string' },
    token: { type: 'string' },
    ttl: { type: 'string' },
    quiet: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
  strict: true,
})
if (values.help) {
  process.stdout.write(
    'Usage: npx tsx scripts/inject-faults.ts [--rounds 16] [--fault-s 2] [--seed 1] [--quiet]\n' +
      '       npx tsx scripts/inject-faults.ts --attach URL --sim-port P --api-key KEY [--token T] [--ttl S]\n',
  )
  process.exit(0)
}
const num = (name: keyof typeof values, min: number): number => {
  const value = Number(values[name])
  if (!Number.isFinite(value) || value < min) fail(`--${name} expects a number >= ${min}, got "${String(values[name])}"`)
  return value
}
const rounds = Math.floor(num('rounds', 1))
const faultMs = num('fault-s', 0.2) * 1000
const seed = Math.floor(num('seed', 0))
const attach = values.attach
if (attach !== undefined && (values['sim-port'] === undefined || values['api-key'] === undefined)) fail('--attach needs --sim-port and --api-key (the ones the service is configured with)')
const apiKey = values['api-key'] ?? randomBytes(16).toString('hex').toUpperCase()
const token = values.token
/** The service's settings when this program starts it. */
const OWN = { pollMs: 300, retryMs: 200, maxRetries: 3, timeoutMs: 800, heartbeatMs: 1000, ttlS: 8 }
const ttlS = values.ttl !== undefined ? num('ttl', 1) : attach === undefined ? OWN.ttlS : undefined
const pollMs = attach === undefined ? OWN.pollMs : 2000

const prng = new Prng(seed)
const startedAt = Date.now()
const log = (line: string) => {
  if (!values.quiet) process.stdout.write(`${String(((Date.now() - startedAt) / 1000).toFixed(1)).padStart(6)}s  ${line}\n`)
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

// ---- the simulated Kismet ------------------------------------------------------------------

const sim = new KismetSimulator({ apiKey, devices: 80, seed })
const simUrl = await sim.listen(values['sim-port'] !== undefined ? num('sim-port', 1) : 0, '127.0.0.1')
/** Alerts raised, by hash; alerts are not raised where Kismet itself would lose them. */
const raised = new Set<string>()
/** When each alert was raised and during which fault, to explain a loss. */
const raisedWhen = new Map<string, string>()
let currentFault = 'none'
/** Alerts are sent to subscribers only (no replay on subscribing): none before the normal client subscribed. */
let alertsAllowed = false
const changes = { added: 0, removed: 0, updated: 0 }
let churning = true
let touching = true

function churnTick(tick: number): void {
  if (touching) for (const device of sim.devices()) if (tick % 10 === 0 || prng.chance(0.2)) sim.touchDevice(device.key)
  if (!churning) return
  if (tick % 5 === 0) {
    for (let i = prng.int(1, 3); i > 0; i--) sim.addDevice()
    changes.added += 1
    const devices = sim.devices()
    const gone = devices.length > 40 ? prng.pick(devices) : undefined
    if (gone) {
      sim.removeDevice(gone.key)
      changes.removed += 1
    }
    const renamed = prng.pick(sim.devices())
    sim.updateDevice(renamed.key, { name: `renamed-${tick}`, commonname: `renamed-${tick}` })
    changes.updated += 1
  }
  if (alertsAllowed && tick % 15 === 7) {
    const id = String(sim.raiseAlert().hash)
    raised.add(id)
    raisedWhen.set(id, `${((Date.now() - startedAt) / 1000).toFixed(1)} s, fault ${currentFault}`)
  }
}
let tick = 0
const churnTimer = setInterval(() => churnTick(++tick), 200)

// ---- the service ---------------------------------------------------------------------------

let child: ChildProcess | undefined
const serviceLog = { warn: 0, error: 0, errors: new Map<string, number>() }
let serviceUrl: string
if (attach !== undefined) {
  serviceUrl = attach.replace(/\/$/, '')
} else {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    KISMET_ENABLED: 'true',
    KISMET_API_URL: simUrl,
    KISMET_API_KEY: apiKey,
    POLL_INTERVAL_MS: String(OWN.pollMs),
    // Expiry follows the polls: with a TTL of seconds they must not slow down while the eventbus pushes.
    POLL_INTERVAL_EVENTBUS_MS: String(OWN.pollMs),
    RETRY_DELAY_MS: String(OWN.retryMs),
    MAX_RETRIES: String(OWN.maxRetries),
    KISMET_TIMEOUT_MS: String(OWN.timeoutMs),
    HEARTBEAT_INTERVAL_MS: String(OWN.heartbeatMs),
    DEVICE_TTL_S: String(OWN.ttlS),
    LOG_LEVEL: 'info',
  }
  for (const name of ['KISMET_USER', 'KISMET_PASSWORD', 'API_TOKEN']) delete env[name]
  const started = spawn(process.execPath, ['--import', 'tsx', '--import', './scripts/lib/exit-with-parent.mjs', 'server.ts'], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] })
  child = started
  // Whatever ends this program (a failed check, an exception, Ctrl-C), the service goes too.
  process.once('exit', () => {
    if (started.exitCode === null && started.signalCode === null) started.kill('SIGKILL')
  })
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130))
  let stderr = ''
  started.stderr.setEncoding('utf8')
  started.stderr.on('data', (chunk: string) => (stderr += chunk))
  serviceUrl = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`the service did not start within 30 s: ${stderr}`)), 30_000)
    onLogEntries(started.stdout, (entry) => {
      const level = Number(entry['level'])
      if (level === 40) serviceLog.warn += 1
      if (level >= 50) {
        serviceLog.error += 1
        const msg = String(entry['msg']).slice(0, 120)
        serviceLog.errors.set(msg, (serviceLog.errors.get(msg) ?? 0) + 1)
      }
      const url = listeningUrl(entry)
      if (url) {
        clearTimeout(timer)
        resolveUrl(url)
      }
    })
    started.once('exit', (code) => reject(new Error(`the service exited (${code}) before listening: ${stderr}`)))
  }).catch((error: unknown) => fail((error as Error).message))
}
const auth = token === undefined ? {} : { auth: { token } }
const rawOptions = token === undefined ? {} : { token }
const restHeaders: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` }

/** GET on the service's REST API; the API is rate-limited (600/min by default): a 429 waits and asks again. */
async function rest<T>(path: string): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(`${serviceUrl}${path}`, { headers: restHeaders })
    if (response.ok) return ((await response.json()) as { data: T }).data
    if (response.status !== 429 || attempt >= 20) throw new Error(`GET ${path}: HTTP ${response.status}`)
    restThrottled += 1
    await sleep(1000)
  }
}
let restThrottled = 0

async function restStatus(): Promise<{ state: ConnectionState; retries: number }> {
  return (await rest<{ kismet: { state: ConnectionState; retries: number } }>('/api/kismet/ws/status')).kismet
}

async function restStats(): Promise<{ polls: number; raw: Record<string, unknown> }> {
  const data = await rest<{ kismet: { polls: number } } & Record<string, unknown>>('/api/kismet/ws/stats')
  return { polls: data.kismet.polls, raw: data }
}

/** Waits until the service has completed `cycles` more poll cycles (bounded). */
async function cyclesPass(cycles: number, limitMs = 20_000): Promise<boolean> {
  const start = (await restStats()).polls
  const deadline = Date.now() + limitMs
  while (Date.now() < deadline) {
    if ((await restStats()).polls >= start + cycles) return true
    await sleep(250)
  }
  return false
}

// ---- the normal client ---------------------------------------------------------------------

const table = new ClientTable()
const normal: ClientSocket = connect(serviceUrl, { transports: ['websocket'], reconnection: false, forceNew: true, ...auth })
let normalDropped: string | undefined
normal.on('disconnect', (reason) => (normalDropped ??= reason))
normal.on('event', (envelope) => table.apply(envelope))
await new Promise<void>((resolveConnected, reject) => {
  normal.once('connected', () => resolveConnected())
  normal.once('connect_error', (error) => reject(error))
}).catch((error: unknown) => fail(`the normal client could not connect: ${(error as Error).message}`))
await new Promise<SubscriptionAck>((r) => normal.emit('subscribe', ['devices', 'alerts', 'system', 'scan'], r))
alertsAllowed = true
const rtts: number[] = []
const pingTimer = setInterval(() => {
  const sent = performance.now()
  normal.emit('ping', Date.now(), () => rtts.push(performance.now() - sent))
}, 200)

// ---- hostile clients -----------------------------------------------------------------------

const hostile = { fuzzSent: 0, fuzzDrops: 0, junkFrames: 0, junkClosed: 0, oversized: 0, oversizedClosed: 0, floods: 0, floodDrops: 0, connectionFlood: { tried: 0, refused: 0 }, stalledDropped: false }
let hostileRunning = true
const hostileLoops: Promise<void>[] = []

function newSocket(): ClientSocket {
  return connect(serviceUrl, { transports: ['websocket'], reconnection: false, forceNew: true, ...auth })
}

function connected(socket: ClientSocket, limitMs = 5000): Promise<boolean> {
  return new Promise((resolveConnected) => {
    const timer = setTimeout(() => resolveConnected(false), limitMs)
    socket.once('connected', () => {
      clearTimeout(timer)
      resolveConnected(true)
    })
    socket.once('connect_error', () => {
      clearTimeout(timer)
      resolveConnected(false)
    })
  })
}

/** Random well-formed-but-odd messages at ~60/s: beyond the rate limit, so it gets dropped and comes back. */
async function fuzzer(lane: number): Promise<void> {
  const lanePrng = new Prng(seed * 31 + lane)
  while (hostileRunning) {
    const socket = newSocket()
    if (!(await connected(socket))) {
      socket.close()
      await sleep(200)
      continue
    }
    let dropped = false
    socket.on('disconnect', () => (dropped = true))
    const untyped = socket as unknown as { emit(event: string | number, ...args: unknown[]): void }
    while (hostileRunning && !dropped) {
      const action = randomAction(lanePrng)
      if (action.kind === 'subscribe' || action.kind === 'unsubscribe' || action.kind === 'ping') untyped.emit(action.kind, ...action.args)
      else if (action.kind === 'unknown') untyped.emit(action.name, ...action.args)
      else if (action.kind === 'binary') untyped.emit(action.event, ...action.args)
      else continue
      hostile.fuzzSent += 1
      await sleep(16)
    }
    if (dropped) hostile.fuzzDrops += 1
    socket.close()
  }
}

/** Raw connections sending protocol junk; a new one whenever the server closes one. */
async function junkSender(): Promise<void> {
  const junkPrng = new Prng(seed * 17 + 3)
  while (hostileRunning) {
    const raw = await RawClient.connect(serviceUrl, rawOptions).catch(() => undefined)
    if (!raw) {
      await sleep(200)
      continue
    }
    while (hostileRunning && !raw.isClosed) {
      raw.send(randomJunkFrame(junkPrng))
      hostile.junkFrames += 1
      await sleep(50)
    }
    if (raw.isClosed) hostile.junkClosed += 1
    raw.terminate()
  }
}

/** A message beyond maxHttpBufferSize every 2 s, each on a fresh connection. */
async function oversizer(): Promise<void> {
  while (hostileRunning) {
    const socket = newSocket()
    if (await connected(socket)) {
      const closed = new Promise<string>((r) => socket.once('disconnect', r))
      socket.emit('subscribe', ['x'.repeat(64 * 1024)] as never)
      hostile.oversized += 1
      const reason = await Promise.race([closed, sleep(3000).then(() => 'still open')])
      if (reason === 'transport close') hostile.oversizedClosed += 1
    }
    socket.close()
    await sleep(2000)
  }
}

/** 500 subscribe/unsubscribe at once every 3 s on a fresh connection: refused, then dropped. */
async function flooder(): Promise<void> {
  while (hostileRunning) {
    const socket = newSocket()
    if (await connected(socket)) {
      const dropped = new Promise<string>((r) => socket.once('disconnect', r))
      for (let i = 0; i < 500; i++) socket.emit(i % 2 ? 'unsubscribe' : 'subscribe', ['devices', 'alerts'])
      hostile.floods += 1
      const reason = await Promise.race([dropped, sleep(3000).then(() => 'still open')])
      if (reason === 'io server disconnect') hostile.floodDrops += 1
    }
    socket.close()
    await sleep(3000)
  }
}

/** Once: 1,100 connections at once from this address (the default cap is 1,000), then all closed. */
async function connectionFlood(): Promise<void> {
  const sockets = Array.from({ length: 1100 }, () => newSocket())
  const results = await Promise.all(sockets.map((s) => connected(s, 15_000)))
  hostile.connectionFlood.tried = sockets.length
  hostile.connectionFlood.refused = results.filter((ok) => !ok).length
  for (const s of sockets) s.close()
}

const stalled = await RawClient.connect(serviceUrl, rawOptions)
stalled.send('421["subscribe",["devices","alerts","system","scan"]]')
await stalled.waitFrame((f) => f.startsWith('431['))
stalled.stopReading()

for (let lane = 0; lane < 3; lane++) hostileLoops.push(fuzzer(lane))
hostileLoops.push(junkSender(), oversizer(), flooder())

// ---- faults --------------------------------------------------------------------------------

type FaultKind = 'kill' | 'kill+restart' | 'slow' | 'garbage' | 'truncated' | '401' | '500' | '503' | 'huge'
const KINDS: FaultKind[] = ['kill', 'kill+restart', 'slow', 'garbage', 'truncated', '401', '500', '503', 'huge']

async function inject(kind: FaultKind): Promise<() => Promise<void>> {
  switch (kind) {
    case 'kill':
      await sim.goDown()
      return () => sim.comeUp()
    case 'kill+restart': {
      // Alerts still only in Kismet's backlog would die with it: let the service read them first.
      alertsAllowed = false
      await cyclesPass(2)
      await sim.goDown()
      return async () => {
        const before = sim.devices()
        sim.restart({ keepDevices: false })
        // The restarted Kismet hears most of the same devices again (same MACs, same keys).
        for (const device of before) {
          if (!prng.chance(0.8)) continue
          const { firstTime: _f, lastTime: _l, modTime: _m, packets: _p, dataBytes: _d, clients: _c, ...again } = device as SimDevice
          sim.addDevice(again)
        }
        await sim.comeUp()
        alertsAllowed = true
      }
    }
    case 'slow':
      sim.setLatency(attach === undefined ? OWN.timeoutMs * 2 : 15_000)
      return async () => sim.setLatency(0)
    case 'garbage':
      sim.setFault({ kind: 'garbage' }, { paths: prng.pick([/^\/devices\//, /^\/system\//, /^\/alerts\//, /^\/datasource\//]) })
      return async () => sim.setFault(null)
    case 'truncated':
      sim.setFault({ kind: 'truncated' }, { paths: prng.pick([/^\/devices\//, /^\/alerts\//]) })
      return async () => sim.setFault(null)
    case '401':
      sim.setFault({ kind: 'unauthorized' })
      return async () => sim.setFault(null)
    case '500':
    case '503':
      sim.setFault({ kind: 'status', status: Number(kind) })
      return async () => sim.setFault(null)
    case 'huge':
      sim.setFault({ kind: 'huge', bytes: 72 * 1024 * 1024 }, { paths: /^\/system\//, times: 2 })
      return async () => sim.setFault(null)
  }
}

const order: FaultKind[] = []
while (order.length < rounds) {
  const shuffled = [...KINDS]
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = prng.int(0, i)
    ;[shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!]
  }
  order.push(...shuffled)
}
order.length = rounds

const recoveries: Array<{ kind: FaultKind; statesDuring: string; recoveredMs: number | null }> = []
log(`service ${serviceUrl}${child ? ` (pid ${child.pid}, started here)` : ' (attached)'}; simulated Kismet ${simUrl}; seed ${seed}; ${rounds} rounds of ${faultMs / 1000} s`)
await cyclesPass(2)
let floodDone: Promise<void> | undefined
for (const [index, kind] of order.entries()) {
  if (index === Math.floor(rounds / 2)) floodDone = connectionFlood()
  const statesBefore = table.states.length
  currentFault = kind
  const clear = await inject(kind)
  await sleep(faultMs)
  // system:status is throttled (2 s): what the REST API says at the end of the fault counts too.
  const during = [...new Set([...table.states.slice(statesBefore), (await restStatus()).state])].join('/')
  await clear()
  const clearedAt = Date.now()
  let recoveredMs: number | null = null
  while (Date.now() - clearedAt < 30_000) {
    if ((await restStatus()).state === 'connected' && table.lastState === 'connected') {
      recoveredMs = Date.now() - clearedAt
      break
    }
    await sleep(100)
  }
  currentFault = `after ${kind}`
  recoveries.push({ kind, statesDuring: during, recoveredMs })
  log(`round ${index + 1}/${rounds}: ${kind.padEnd(12)} states seen during: ${during.padEnd(22)} connected again ${recoveredMs === null ? 'NOT within 30 s' : `after ${recoveredMs} ms`}`)
  await sleep(500)
}
await floodDone

// ---- the end: quiet, converge, verdict -------------------------------------------------------

hostileRunning = false
await Promise.race([Promise.all(hostileLoops), sleep(10_000)])
churning = false
alertsAllowed = false
// Devices Kismet forgot are dropped by the service DEVICE_TTL_S after they were last heard (or
// at once by a full read: with --attach and no --ttl, a refresh is asked for).
if (ttlS !== undefined) {
  log(`quiet: waiting ${ttlS} s (DEVICE_TTL_S) for devices Kismet forgot to expire`)
  await sleep(ttlS * 1000 + 2 * pollMs)
} else {
  await fetch(`${serviceUrl}/api/kismet/ws/refresh`, { method: 'POST', headers: restHeaders })
}
await cyclesPass(2)
touching = false
clearInterval(churnTimer)
let differences: string[] = []
let truthSize = 0
const truthClient = new KismetClient({ baseUrl: simUrl, apiKey, timeoutMs: 10_000 })
for (let attempt = 0; attempt < 6; attempt++) {
  await cyclesPass(2)
  await sleep(1200) // the throttle's windows
  const truth: WifiDevice[] = (await truthClient.devicesSeenWithin(ttlS ?? 300, Math.floor(Date.now() / 1000))).devices
  truthSize = truth.length
  differences = tableDifferences(table.table(), truth)
  if (differences.length === 0) break
}
truthClient.close()
clearInterval(pingTimer)
// Reading again shows whether the server cut it off meanwhile.
stalled.resumeReading()
hostile.stalledDropped = await Promise.race([stalled.closed.then(() => true), sleep(2000).then(() => false)])
stalled.terminate()

const received = table.alerts.map((a) => a.id)
const missing = [...raised].filter((id) => !table.hasAlert(id))
const unexpected = received.filter((id) => !raised.has(id))
const stats = await restStats()
const finalStatus = await restStatus()
const droppedBeforeEnd = normalDropped

let exit: { code: number | null; signal: string | null; ms: number } | undefined
if (child) {
  normal.close()
  const stopAt = Date.now()
  child.kill('SIGTERM')
  const ended = await Promise.race([
    new Promise<{ code: number | null; signal: string | null }>((r) => child!.once('exit', (code, signal) => r({ code, signal }))),
    sleep(15_000).then(() => ({ code: null, signal: 'timeout' })),
  ])
  if (ended.signal === 'timeout') child.kill('SIGKILL')
  exit = { ...ended, ms: Date.now() - stopAt }
} else {
  normal.close()
}
await sim.close()

// ---- report --------------------------------------------------------------------------------

const sorted = [...rtts].sort((a, b) => a - b)
const q = (p: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!)
const recovered = recoveries.filter((r) => r.recoveredMs !== null).map((r) => r.recoveredMs!)
const byKind = new Map<string, number[]>()
for (const r of recoveries) if (r.recoveredMs !== null) byKind.set(r.kind, [...(byKind.get(r.kind) ?? []), r.recoveredMs])

const out = (line: string) => process.stdout.write(`${line}\n`)
out('')
out(`inject-faults: ${rounds} rounds of ${faultMs / 1000} s, seed ${seed}, ${Math.round((Date.now() - startedAt) / 1000)} s in all`)
out(`faults: ${[...byKind].map(([kind, ms]) => `${kind} x${ms.length} (back in ${Math.max(...ms)} ms max)`).join(', ')}`)
out(`kismet churn: ${changes.added} arrivals, ${changes.removed} departures, ${changes.updated} renames; ${raised.size} alerts raised`)
out(`states the normal client saw: ${[...new Set(table.states)].join(', ')}`)
out(`hostile: ${hostile.fuzzSent} fuzz messages (fuzzers dropped ${hostile.fuzzDrops} times), ${hostile.junkFrames} junk frames (${hostile.junkClosed} connections closed by the server), ` +
    `${hostile.oversized} oversized (${hostile.oversizedClosed} closed), ${hostile.floods} subscription floods (${hostile.floodDrops} dropped), ` +
    `connection flood ${hostile.connectionFlood.tried} (${hostile.connectionFlood.refused} refused), stalled reader ${hostile.stalledDropped ? 'dropped' : 'still connected (not enough traffic to exceed the backlog bound)'}`)
out(`normal client: ${table.counts.envelopes} events (${table.counts.new} new, ${table.counts.update} update, ${table.counts.remove} remove, ${table.counts.signal} signal, ${table.counts.alerts} alerts), ping p50 ${q(0.5).toFixed(1)} ms p99 ${q(0.99).toFixed(1)} ms (${rtts.length} pings)`)
out(`service: state ${finalStatus.state}; ${JSON.stringify(stats.raw['kismet'])}; clients ${JSON.stringify(stats.raw['clients'])}`)
if (child) out(`service log: ${serviceLog.warn} warnings, ${serviceLog.error} errors${serviceLog.errors.size ? ` (${[...serviceLog.errors].map(([m, n]) => `${n}x "${m}"`).join('; ')})` : ''}`)

const checks: Array<[string, boolean, string]> = [
  ['recovered after every fault', recovered.length === recoveries.length, `${recovered.length}/${recoveries.length}, slowest ${Math.max(0, ...recovered)} ms`],
  ['the normal client was never dropped', droppedBeforeEnd === undefined, droppedBeforeEnd ?? 'connected throughout'],
  ['its stream had no anomaly (ids increasing, no update before new, changes add up)', table.anomalies.length === 0, table.anomalies.slice(0, 4).join('; ') || `${table.counts.envelopes} events`],
  ['its table equals a fresh read of Kismet', differences.length === 0, differences.slice(0, 4).join('; ') || `${truthSize} devices`],
  [
    'every alert raised arrived exactly once',
    missing.length === 0 && unexpected.length === 0,
    `${raised.size} raised, ${received.length} received, ${missing.length} missing${missing.length ? ` (${missing.map((id) => `${id} raised at ${raisedWhen.get(id)}`).join('; ')})` : ''}, ${unexpected.length} unexpected`,
  ],
]
if (exit) checks.push(['SIGTERM: exit 0 within 10 s', exit.code === 0 && exit.ms < 10_000, `code ${exit.code}, ${exit.ms} ms`])
for (const [name, ok, detail] of checks) out(`check: ${ok ? 'ok  ' : 'FAIL'} ${name} (${detail})`)
const lost = checks.some(([, ok]) => !ok)
out(`verdict: ${lost ? 'SOMETHING WAS LOST OR BROKEN' : 'nothing lost'}`)
process.exit(lost ? 1 : 0)
