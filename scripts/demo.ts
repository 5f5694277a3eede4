// npm run demo: kismet-ws against a simulated Kismet, no Wi-Fi hardware needed.
//
// Starts the Kismet simulator (sim/) on a free loopback port with a random API key,
// gives it a life (signals drift every second, a device appears or leaves every few
// seconds, an alert now and then), builds the dashboard, starts the service wired to it as a
// child process (`node --import tsx server.ts`, as `npm run dev` would), shows the service's log
// readably and prints the URLs to open. Ctrl-C (or SIGTERM) stops both.
//
// Settings (environment):
//   PORT           service port (default 8001; 0 = any free port)
//   HOST           service bind address (default 127.0.0.1 here: the demo is for this machine)
//   API_TOKEN      passed to the service; the example client then needs it too
//   LOG_LEVEL      service log level (default info)
//   DEMO_DEVICES   simulated devices at start (default 60)
//   DEMO_TICK_MS   simulator step (default 1000)
//   DEMO_SEED      simulator seed (default random; printed, so a run can be replayed)
//   DEMO_STATUS_MS how often the demo prints what is happening: devices, events, clients (default 5000)
//
// `npm run demo -- --sensors 3` starts three simulated Kismet servers (each its own devices,
// server UUID, name and API key) and one service reading them all (KISMET_SENSORS).
import { spawn } from 'node:child_process'
import { parseArgs } from 'node:util'
import { randomBytes, randomInt } from 'node:crypto'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { KismetSimulator } from '../sim/simulator.js'
import { buildDashboard } from './build-dashboard.mjs'
import { onLines } from './lib/log-lines.js'

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const STOP_LIMIT_MS = 12_000

function setting(name: string, fallback: number, min = 0): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min) {
    process.stderr.write(`demo: ${name} must be a whole number >= ${min} (got "${raw}")\n`)
    process.exit(2)
  }
  return value
}

const port = setting('PORT', 8001)
const host = process.env['HOST'] || '127.0.0.1'
const deviceCount = setting('DEMO_DEVICES', 60)
const tickMs = setting('DEMO_TICK_MS', 1000, 10)
const seed = setting('DEMO_SEED', randomInt(1, 1_000_000))
const statusMs = setting('DEMO_STATUS_MS', 5000, 100)
const logLevel = process.env['LOG_LEVEL'] || 'info'
const apiToken = process.env['API_TOKEN']
const { values: args } = parseArgs({ options: { sensors: { type: 'string' } }, strict: true })
const sensorCount = args.sensors === undefined ? 1 : Number(args.sensors)
if (!Number.isInteger(sensorCount) || sensorCount < 1 || sensorCount > 8) {
  process.stderr.write(`demo: --sensors takes a whole number from 1 to 8 (got "${args.sensors}")\n`)
  process.exit(2)
}
/** Names of the simulated sensors, as a site with several boxes might call them. */
const SENSOR_NAMES = ['north', 'south', 'east', 'west', 'lobby', 'roof', 'yard', 'gate']

// ---- output ----------------------------------------------------------------------------

function out(line: string): void {
  process.stdout.write(`${line}\n`)
}

function clockTime(epochMs?: unknown): string {
  const date = typeof epochMs === 'number' ? new Date(epochMs) : new Date()
  return date.toTimeString().slice(0, 8)
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' }
const requests = new Map<unknown, string>()

/** One pino JSON line of the service, as a person reads it; other lines as they are. */
function renderServiceLine(line: string): string | undefined {
  if (line.trim() === '') return undefined
  let entry: Record<string, unknown>
  try {
    const parsed: unknown = JSON.parse(line)
    if (typeof parsed !== 'object' || parsed === null) return `         kismet-ws  ${line}`
    entry = parsed as Record<string, unknown>
  } catch {
    return `         kismet-ws  ${line}`
  }
  const message = String(entry['msg'] ?? '')
  // Fastify logs two lines per request; show one: "GET /health -> 200 (1 ms)".
  if (message === 'incoming request') {
    const req = entry['req'] as { method?: string; url?: string } | undefined
    requests.set(entry['reqId'], `${req?.method ?? '?'} ${req?.url ?? '?'}`)
    return undefined
  }
  let text = message
  if (message === 'request completed') {
    const status = (entry['res'] as { statusCode?: number } | undefined)?.statusCode
    const ms = typeof entry['responseTime'] === 'number' ? Math.round(entry['responseTime']) : undefined
    text = `${requests.get(entry['reqId']) ?? 'request'} -> ${status ?? '?'}${ms === undefined ? '' : ` (${ms} ms)`}`
    requests.delete(entry['reqId'])
  }
  const err = entry['err'] as { message?: string } | undefined
  if (err?.message && !text.includes(err.message)) text += `: ${err.message}`
  const level = LEVELS[Number(entry['level'])] ?? 'INFO'
  return `${clockTime(entry['time'])} ${level.padEnd(5)} kismet-ws  ${text}`
}


function banner(serviceUrl: string): void {
  const shown = serviceUrl.replace('://0.0.0.0:', '://localhost:').replace('://[::]:', '://localhost:')
  const clientCommand = `${apiToken ? 'API_TOKEN=<your API_TOKEN> ' : ''}npm run example:ws-client -- ${shown}`
  out('')
  out('================================================================================')
  out(` kismet-ws demo: the service is streaming ${sims.length === 1 ? 'a simulated Kismet' : `${sims.length} simulated Kismet sensors`} (${deviceCount} devices${sims.length === 1 ? '' : ' each'})`)
  out('')
  out(`   Socket.IO         ${shown}   (path /socket.io; topics devices, alerts, system, scan)`)
  out(`   Dashboard         ${shown}/   (open it in a browser)`)
  out(`   API docs          ${shown}/docs`)
  out(`   Status            ${shown}/api/kismet/ws/status`)
  out(`   Health            ${shown}/health`)
  for (const [index, sim] of sims.entries()) {
    const label = sims.length === 1 ? 'Simulated Kismet' : `Sensor ${SENSOR_NAMES[index]}`.padEnd(16)
    out(`   ${label}  ${sim.url}   (API key ${apiKeys[index]}, seed ${seed + index})`)
  }
  out('')
  out(' See the live events in another terminal:')
  out(`   ${clientCommand}`)
  if (apiToken) out(' (API_TOKEN is set: REST calls need "Authorization: Bearer <token>", /health excepted)')
  out('')
  out(' A device appears or leaves every few seconds, signals drift, an alert comes now')
  out(` and then (devices are reported gone ${DEVICE_TTL_S} s after they were last heard).`)
  out(` Every ${statusMs / 1000} s a line says how many devices are tracked, the events sent and the clients.`)
  out(' Ctrl-C stops the demo.')
  out('================================================================================')
  out('')
}

// ---- the simulated Kismet and its life ---------------------------------------------------

/** Devices unseen this long are reported gone: short, so a departure shows within the demo. */
const DEVICE_TTL_S = 30

const apiKeys = Array.from({ length: sensorCount }, () => randomBytes(16).toString('hex').toUpperCase())
const sims = apiKeys.map(
  (apiKey, index) => new KismetSimulator({ apiKey, devices: deviceCount, seed: seed + index, ...(sensorCount > 1 && { serverName: SENSOR_NAMES[index] }) }),
)
for (const sim of sims) await sim.listen(0, '127.0.0.1')

let ticks = 0
/** One step: signals drift (tick), and on a fixed rhythm one device arrives, one leaves, an alert. */
function live(): void {
  ticks += 1
  for (const [index, sim] of sims.entries()) {
    // Each sensor on its own rhythm, so their events interleave.
    const beat = ticks + index
    try {
      sim.tick({ join: 0, leave: 0, alert: 0 })
      if (beat % 5 === 1) sim.addDevice()
      if (beat % 5 === 3) {
        const clients = sim.devices().filter((device) => device.ssid === null)
        const leaving = clients[randomInt(0, Math.max(1, clients.length))]
        if (leaving) sim.removeDevice(leaving.key)
      }
      if (beat % 30 === 10) sim.raiseAlert()
    } catch (error) {
      out(`${clockTime()} WARN  demo       simulator step failed: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
}
const ticker = setInterval(live, tickMs)

const simulated = sims.map((sim, index) => (sims.length === 1 ? '' : `${SENSOR_NAMES[index]} `) + sim.url).join(', ')
out(`${clockTime()} INFO  demo       simulated Kismet with ${sims[0]!.devices().length} devices${sims.length === 1 ? '' : ' each'} at ${simulated}; starting kismet-ws`)

// The service runs from sources here; the dashboard it serves at / is built (a second or so).
try {
  const { outdir } = await buildDashboard()
  out(`${clockTime()} INFO  demo       dashboard built into ${outdir}`)
} catch (error) {
  out(`${clockTime()} WARN  demo       the dashboard could not be built (${error instanceof Error ? error.message : String(error)}); / will say so`)
}

// ---- the service -------------------------------------------------------------------------

const childEnv: NodeJS.ProcessEnv = {
  ...process.env,
  PORT: String(port),
  HOST: host,
  KISMET_ENABLED: 'true',
  ...(sims.length === 1
    ? { KISMET_API_URL: sims[0]!.url, KISMET_API_KEY: apiKeys[0]! }
    : { KISMET_SENSORS: JSON.stringify(sims.map((sim, index) => ({ name: SENSOR_NAMES[index], url: sim.url, apiKey: apiKeys[index] }))) }),
  POLL_INTERVAL_MS: '1000',
  DEVICE_TTL_S: String(DEVICE_TTL_S),
  LOG_LEVEL: logLevel,
}
// The simulator takes the API key; a login or sensors from the caller's environment would not match.
delete childEnv['KISMET_USER']
delete childEnv['KISMET_PASSWORD']
if (sims.length > 1) {
  delete childEnv['KISMET_API_URL']
  delete childEnv['KISMET_API_KEY']
} else delete childEnv['KISMET_SENSORS']

// Its own process group: Ctrl-C reaches the demo only, which then stops the service with
// one SIGTERM (a second signal would make the service exit at once, with status 1).
const child = spawn(process.execPath, ['--import', 'tsx', '--import', './scripts/lib/exit-with-parent.mjs', 'server.ts'], {
  cwd: REPO,
  env: childEnv,
  stdio: ['ignore', 'pipe', 'pipe'],
  detached: true,
})

// ---- what is happening, every few seconds ------------------------------------------------

interface StatsAnswer {
  data: { websocket: { clients: number }; kismet: { devicesTracked: number; state: string }; events: { totalEmitted: number } }
}

let statusTimer: NodeJS.Timeout | undefined
let eventsBefore: number | undefined

/** One line from the service's own /stats: devices tracked, events since the last line, clients. */
async function printStatus(serviceUrl: string): Promise<void> {
  const headers: Record<string, string> = apiToken ? { authorization: `Bearer ${apiToken}` } : {}
  const answer = await fetch(`${serviceUrl}/api/kismet/ws/stats`, { headers, signal: AbortSignal.timeout(2000) }).then(
    async (res) => (res.ok ? ((await res.json()) as StatsAnswer) : undefined),
    () => undefined,
  )
  if (answer === undefined || stopping) return
  const { websocket, kismet, events } = answer.data
  const plural = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`
  const sent =
    eventsBefore === undefined
      ? `${plural(events.totalEmitted, 'event')} so far`
      : `${plural(events.totalEmitted - eventsBefore, 'event')} in the last ${statusMs / 1000} s (${events.totalEmitted.toLocaleString('en-US')} in all)`
  eventsBefore = events.totalEmitted
  out(`${clockTime()} INFO  demo       ${plural(kismet.devicesTracked, 'device')} · ${sent} · ${plural(websocket.clients, 'client')} connected · Kismet ${kismet.state}`)
}

let listening = false
onLines(child.stdout, (line) => {
  const rendered = renderServiceLine(line)
  if (rendered !== undefined) out(rendered)
  const match = /Server listening at (http:\/\/[^\s"]+)/.exec(line)
  if (match && !listening) {
    listening = true
    banner(match[1]!)
    const serviceUrl = match[1]!.replace('://0.0.0.0:', '://127.0.0.1:').replace('://[::]:', '://[::1]:')
    statusTimer = setInterval(() => void printStatus(serviceUrl), statusMs)
  }
})
onLines(child.stderr, (line) => {
  if (line.trim() !== '') process.stderr.write(`         kismet-ws  ${line}\n`)
})

let stopping = false
const childExit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) =>
  child.once('exit', (code, signal) => resolveExit({ code, signal })),
)

async function finish(exitCode: number): Promise<never> {
  clearInterval(ticker)
  clearInterval(statusTimer)
  await Promise.all(sims.map((sim) => sim.close().catch(() => undefined)))
  if (exitCode === 0) out(`${clockTime()} INFO  demo       stopped`)
  process.exit(exitCode)
}

void childExit.then(async ({ code, signal }) => {
  if (stopping) return
  // The service ended by itself: nothing left to show.
  out(`${clockTime()} ERROR demo       kismet-ws exited (${signal ?? `status ${code}`}) ${listening ? '' : 'before listening'}`.trimEnd())
  if (!listening && port !== 0) out(`                 if port ${port} is taken, run: PORT=${port + 1} npm run demo`)
  await finish(1)
})

async function stop(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return
  stopping = true
  out(`${clockTime()} INFO  demo       ${signal}: stopping kismet-ws and the simulated Kismet`)
  clearInterval(ticker)
  clearInterval(statusTimer)
  let exitCode = 0
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM')
    const timer = setTimeout(() => {
      out(`${clockTime()} WARN  demo       kismet-ws did not stop within ${STOP_LIMIT_MS / 1000} s; killing it`)
      child.kill('SIGKILL')
    }, STOP_LIMIT_MS)
    const { code, signal: childSignal } = await childExit
    clearTimeout(timer)
    if (code !== 0) {
      out(`${clockTime()} WARN  demo       kismet-ws exited with ${childSignal ?? `status ${code}`}`)
      exitCode = 1
    }
  }
  await finish(exitCode)
}

// `on`, not `once`: under `npm run demo` a Ctrl-C arrives twice (from the terminal and
// forwarded by npm); the second must not kill the demo with the service still running.
process.on('SIGINT', () => void stop('SIGINT'))
process.on('SIGTERM', () => void stop('SIGTERM'))
// If the demo itself dies unexpectedly, do not leave the service running in its own group.
process.once('exit', () => {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
})
