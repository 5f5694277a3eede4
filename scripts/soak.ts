// npm run soak -- --minutes N [--devices 100000] [--ttl 5] [--poll-ms 500] [--lifetime-s 3]
//                  [--sample-s 5] [--seed 1] [--strict]
//
// A long run of device churn: the Kismet simulator (in this process) adds devices quickly and
// forgets each a few seconds later, until `--devices` distinct devices have come and gone;
// the service (a child process, `node --import tsx server.ts`, as an operator runs it)
// polls it with a short DEVICE_TTL_S, and one Socket.IO client subscribed to everything
// rebuilds the table from what it receives.
//
// Every `--sample-s` it prints the service's RSS, V8 heap used, active handles and active
// resources by type (process.getActiveResourcesInfo(), read through the service's own
// /metrics), how many devices it tracks and how many events the client got. At the end:
//   - event ids strictly increasing at the client, and no stream anomaly (an update before
//     its new, a second new, a remove of an unknown device, changes that do not add up);
//   - no error logged by the service, and a clean exit 0 on SIGTERM;
//   - the client's table equal to a fresh read of the simulator once the churn stops;
//   - a verdict on memory: flat after warm-up, or growing.
// Exit status 0 when the checks hold (with --strict, also only when memory is flat).
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { io as connect } from 'socket.io-client'
import { KismetClient } from '../src/kismet/client.js'
import { KismetSimulator } from '../sim/simulator.js'
import { Prng } from '../sim/prng.js'
import type { SubscriptionAck, WifiDevice } from '../src/events.js'
import { ClientTable, tableDifferences } from '../test/faults/client-table.js'
import { listeningUrl, onLogEntries } from './lib/log-lines.js'

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..')

// ---- settings ----------------------------------------------------------------------------

function fail(message: string): never {
  process.stderr.write(`soak: ${message}\n`)
  process.exit(2)
}

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' },
    devices: { type: 'string', default: '100000' },
    ttl: { type: 'string', default: '5' },
    'poll-ms': { type: 'string', default: '500' },
    'lifetime-s': { type: 'string', default: '3' },
    'sample-s': { type: 'string' },
    seed: { type: 'string', default: '1' },
    strict: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
  strict: true,
})
if (values.help) {
  process.stdout.write('Usage: npm run soak -- --minutes N [--devices 100000] [--ttl 5] [--poll-ms 500] [--lifetime-s 3] [--sample-s 5] [--seed 1] [--strict]\n')
  process.exit(0)
}

function number(name: keyof typeof values, min: number): number {
  const value = Number(values[name])
  if (!Number.isFinite(value) || value < min) fail(`--${name} expects a number >= ${min}, got "${String(values[name])}"`)
  return value
}

const minutes = number('minutes', 0.05)
const distinctTarget = Math.floor(number('devices', 1))
const ttlS = Math.floor(number('ttl', 1))
const pollMs = Math.floor(number('poll-ms', 100))
const lifetimeMs = number('lifetime-s', 0.1) * 1000
const seed = Math.floor(number('seed', 0))
const durationMs = minutes * 60_000
const sampleMs = values['sample-s'] !== undefined ? number('sample-s', 0.2) * 1000 : Math.min(5000, Math.max(500, durationMs / 24))
const TICK_MS = 100
const MAX_RATE = 4000
// A little ahead of the average, so the last device comes before the time is up.
const rate = Math.min(MAX_RATE, distinctTarget / ((durationMs * 0.95) / 1000))
if (rate === MAX_RATE) process.stdout.write(`soak: capping the churn at ${MAX_RATE} devices/s (use more --minutes for ${distinctTarget} devices)\n`)

// ---- output ------------------------------------------------------------------------------

const out = (line: string) => process.stdout.write(`${line}\n`)
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1)
const elapsed = () => Math.round((Date.now() - startedAt) / 1000)

// ---- the simulated Kismet and its churn ---------------------------------------------------

const apiKey = randomBytes(16).toString('hex').toUpperCase()
const sim = new KismetSimulator({ apiKey, devices: 50, seed })
const simUrl = await sim.listen(0, '127.0.0.1')
const residents = sim.devices().map((d) => d.key)
const prng = new Prng(seed ^ 0x50a4)
const living: Array<{ key: string; until: number }> = []
const distinct = new Set<string>()
let churning = true
let debt = 0

function churnTick(): void {
  const now = Date.now()
  while (living.length > 0 && living[0]!.until <= now) sim.removeDevice(living.shift()!.key)
  if (churning && distinct.size < distinctTarget) {
    debt += (rate * TICK_MS) / 1000
    for (; debt >= 1 && distinct.size < distinctTarget; debt -= 1) {
      const device = sim.addDevice()
      distinct.add(device.key)
      living.push({ key: device.key, until: now + lifetimeMs })
    }
  }
  // Some of the living are heard again (signal updates); residents are always heard.
  for (const entry of living) if (prng.chance(0.1)) sim.touchDevice(entry.key)
  for (const key of residents) if (prng.chance(0.3)) sim.touchDevice(key)
  if (churning && prng.chance(0.02)) sim.raiseAlert()
}
const ticker = setInterval(churnTick, TICK_MS)

// ---- the service -------------------------------------------------------------------------

const errors: string[] = []
const childEnv: NodeJS.ProcessEnv = {
  ...process.env,
  PORT: '0',
  HOST: '127.0.0.1',
  KISMET_ENABLED: 'true',
  KISMET_API_URL: simUrl,
  KISMET_API_KEY: apiKey,
  POLL_INTERVAL_MS: String(pollMs),
  // Expiry follows the polls: with a TTL of seconds they must not slow down while the eventbus pushes.
  POLL_INTERVAL_EVENTBUS_MS: String(pollMs),
  DEVICE_TTL_S: String(ttlS),
  LOG_LEVEL: 'info',
}
// The simulator takes the API key; a login or token from the caller's environment would not fit.
for (const name of ['KISMET_USER', 'KISMET_PASSWORD', 'API_TOKEN']) delete childEnv[name]
const child = spawn(process.execPath, ['--import', 'tsx', '--import', './scripts/lib/exit-with-parent.mjs', 'server.ts'], { cwd: REPO, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
// Whatever ends the soak (an exception, Ctrl-C), the service goes too.
process.once('exit', () => {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
})
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130))
const childExit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) =>
  child.once('exit', (code, signal) => resolveExit({ code, signal })),
)
let stderr = ''
child.stderr.setEncoding('utf8')
child.stderr.on('data', (chunk: string) => (stderr += chunk))
const serviceUrl = await new Promise<string>((resolveUrl, reject) => {
  const timer = setTimeout(() => reject(new Error(`the service did not start within 30 s: ${stderr}`)), 30_000)
  onLogEntries(child.stdout, (entry) => {
    if (Number(entry['level']) >= 50) errors.push(String(entry['msg']))
    const url = listeningUrl(entry)
    if (url) {
      clearTimeout(timer)
      resolveUrl(url)
    }
  })
  void childExit.then(({ code }) => reject(new Error(`the service exited (${code}) before listening: ${stderr}`)))
}).catch((error: unknown) => {
  clearInterval(ticker)
  void sim.close()
  fail((error as Error).message)
})

// ---- the client --------------------------------------------------------------------------

const table = new ClientTable()
const client = connect(serviceUrl, { transports: ['websocket'], reconnection: false })
let disconnected: string | undefined
client.on('disconnect', (reason) => (disconnected = reason))
client.on('event', (envelope) => table.apply(envelope))
await new Promise<void>((resolveConnected) => client.once('connected', () => resolveConnected()))
await new Promise<SubscriptionAck>((resolveAck) => client.emit('subscribe', ['devices', 'alerts', 'system', 'scan'], resolveAck))

// ---- sampling ----------------------------------------------------------------------------

interface Sample {
  at: number
  rss: number
  heap: number
  handles: number
  resources: Map<string, number>
  tracked: number
}
const samples: Sample[] = []

async function sample(): Promise<Sample> {
  const text = await (await fetch(`${serviceUrl}/metrics`)).text()
  const value = (name: string) => Number(new RegExp(`^${name} ([0-9.e+-]+)`, 'm').exec(text)?.[1] ?? NaN)
  const resources = new Map<string, number>()
  for (const match of text.matchAll(/^kismet_ws_process_nodejs_active_resources\{type="([^"]+)"\} ([0-9.]+)/gm)) resources.set(match[1]!, Number(match[2]))
  return {
    at: Date.now(),
    rss: value('kismet_ws_process_process_resident_memory_bytes'),
    heap: value('kismet_ws_process_nodejs_heap_size_used_bytes'),
    handles: value('kismet_ws_process_nodejs_active_handles_total'),
    resources,
    tracked: value('kismet_ws_devices_tracked'),
  }
}

const startedAt = Date.now()
out(`soak: ${minutes} min, ${distinctTarget} distinct devices (${Math.round(rate)}/s, each known to Kismet for ${lifetimeMs / 1000} s), DEVICE_TTL_S=${ttlS}, POLL_INTERVAL_MS=${pollMs}, seed ${seed}`)
out(`  service ${serviceUrl} (pid ${child.pid}), simulated Kismet ${simUrl}`)
out('  time  devices  tracked   rss MB  heap MB  handles  events  active resources (process.getActiveResourcesInfo())')
while (Date.now() - startedAt < durationMs && child.exitCode === null && disconnected === undefined) {
  await new Promise((resolveWait) => setTimeout(resolveWait, Math.min(sampleMs, durationMs - (Date.now() - startedAt))))
  const s = await sample()
  samples.push(s)
  const resources = [...s.resources].sort((a, b) => b[1] - a[1]).map(([type, n]) => `${type} ${n}`).join(', ')
  out(`${String(elapsed()).padStart(5)}s ${String(distinct.size).padStart(8)} ${String(s.tracked).padStart(8)} ${mb(s.rss).padStart(8)} ${mb(s.heap).padStart(8)} ${String(s.handles).padStart(8)} ${String(table.counts.envelopes).padStart(7)}  ${resources}`)
}

// ---- the end: quiet, converge, checks ------------------------------------------------------

churning = false
const distinctSeen = distinct.size
// Kismet forgets each churned device within its lifetime, and the service drops it DEVICE_TTL_S
// after it was last heard (Kismet never says it forgot a device). The residents go on being
// heard meanwhile; then they fall silent and the client's table must equal a fresh read.
await new Promise((r) => setTimeout(r, lifetimeMs + ttlS * 1000 + 2 * pollMs + 1000))
clearInterval(ticker)
let differences: string[] = ['not compared']
const truthClient = new KismetClient({ baseUrl: simUrl, apiKey, timeoutMs: 10_000 })
for (let attempt = 0; attempt < 4; attempt++) {
  // A poll cycle and the throttle windows pass over the quiet simulator.
  await new Promise((r) => setTimeout(r, 2 * pollMs + 600))
  const truth: WifiDevice[] = (await truthClient.devicesSeenWithin(ttlS, Math.floor(Date.now() / 1000))).devices
  differences = tableDifferences(table.table(), truth)
  if (process.env['SOAK_DEBUG']) out(`converge: ${truth.length} in Kismet, ${table.devices.size} at the client: ${differences.slice(0, 4).join('; ')}`)
  if (differences.length === 0) break
}
truthClient.close()
const stats = (await (await fetch(`${serviceUrl}/api/kismet/ws/stats`)).json()) as { data: { kismet: Record<string, unknown>; events: { totalEmitted: number; coalesced: number } } }

const clientDisconnected = disconnected
client.close()
const stopStarted = Date.now()
child.kill('SIGTERM')
const exit = await Promise.race([childExit, new Promise<{ code: null; signal: 'timeout' }>((r) => setTimeout(() => r({ code: null, signal: 'timeout' }), 15_000))])
if (exit.signal === 'timeout') child.kill('SIGKILL')
const stopMs = Date.now() - stopStarted
await sim.close()

// ---- verdict -----------------------------------------------------------------------------

interface Verdict {
  judged: boolean
  flat: boolean
  text: string
}

/** Warm-up: the first quarter of the run, and at least two TTLs plus the lifetime (the table fills). */
function memoryVerdict(all: Sample[]): Verdict {
  const warmUpMs = Math.max(durationMs / 4, 2 * ttlS * 1000 + lifetimeMs)
  const after = all.filter((s) => s.at - startedAt >= warmUpMs)
  if (after.length < 8) return { judged: false, flat: true, text: `too short to judge (${after.length} samples after a ${Math.round(warmUpMs / 1000)} s warm-up; run for more --minutes)` }
  const half = Math.floor(after.length / 2)
  const [first, second] = [after.slice(0, half), after.slice(half)]
  const min = (xs: number[]) => Math.min(...xs)
  const max = (xs: number[]) => Math.max(...xs)
  // The heap is a saw-tooth: its low points (after a collection) tell a leak from garbage.
  const heapA = min(first.map((s) => s.heap))
  const heapB = min(second.map((s) => s.heap))
  const rssA = max(first.map((s) => s.rss))
  const rssB = max(second.map((s) => s.rss))
  const handlesA = max(first.map((s) => s.handles))
  const handlesB = max(second.map((s) => s.handles))
  const heapFlat = heapB <= heapA * 1.1 + 4 * 1024 * 1024
  const rssFlat = rssB <= rssA * 1.1 + 16 * 1024 * 1024
  const handlesFlat = handlesB <= handlesA + 3
  const text =
    `heap low point ${mb(heapA)} -> ${mb(heapB)} MB, RSS peak ${mb(rssA)} -> ${mb(rssB)} MB, handles ${handlesA} -> ${handlesB} ` +
    `(first vs second half of the ${after.length} samples after a ${Math.round(warmUpMs / 1000)} s warm-up)`
  return { judged: true, flat: heapFlat && rssFlat && handlesFlat, text }
}

const verdict = memoryVerdict(samples)
const checks: Array<[string, boolean, string]> = [
  ['the service ran to the end', samples.length > 0 && clientDisconnected === undefined, clientDisconnected ? `client disconnected: ${clientDisconnected}` : `${samples.length} samples`],
  ['event ids strictly increasing at the client, no stream anomaly', table.anomalies.length === 0, table.anomalies.length === 0 ? `${table.counts.envelopes} events` : table.anomalies.slice(0, 5).join('; ')],
  ['no error logged', errors.length === 0, errors.length === 0 ? '0 errors' : errors.slice(0, 5).join('; ')],
  ['the client table equals Kismet once the churn stops', differences.length === 0, differences.length === 0 ? `${table.devices.size} devices` : differences.slice(0, 5).join('; ')],
  ['SIGTERM: exit 0 within 10 s', exit.code === 0 && stopMs < 10_000, `code ${exit.code}, signal ${exit.signal}, ${stopMs} ms`],
]
out('')
out(`devices: ${distinctSeen} distinct came and went; the client saw ${table.counts.new} new, ${table.counts.remove} remove, ${table.counts.update} update, ${table.counts.signal} signal, ${table.counts.alerts} alerts`)
out(`service: ${JSON.stringify(stats.data.kismet)}; events emitted ${stats.data.events.totalEmitted}, coalesced ${stats.data.events.coalesced}`)
for (const [name, ok, detail] of checks) out(`check: ${ok ? 'ok  ' : 'FAIL'} ${name} (${detail})`)
out(`verdict: ${!verdict.judged ? verdict.text : verdict.flat ? `flat after warm-up: ${verdict.text}` : `NOT flat after warm-up: ${verdict.text}`}`)
const failed = checks.some(([, ok]) => !ok) || (values.strict && verdict.judged && !verdict.flat)
process.exit(failed ? 1 : 0)
