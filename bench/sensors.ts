// Scenario 7: several sensors against one of the same total size. The production entry
// (dist/server.bundle.mjs) reads three simulator processes of N devices each (KISMET_SENSORS),
// and one simulator of 3N devices (KISMET_API_URL), the same way, both at once: 1% of each simulator's
// devices heard again every second (real clock), POLL_INTERVAL_MS=2000 with the eventbus off
// (KISMET_EVENTBUS=off: what is measured is the poll cycle, which a healthy eventbus would
// space out to POLL_INTERVAL_EVENTBUS_MS; a window with fewer polls than intervals fails the
// run rather than report a cost per interval that skipped cycles). Measured for each:
// - service CPU per poll interval: process.cpuUsage() of each service over the same window
//   of steady-state polling (every sensor polled once per interval), divided by the intervals;
// - heap per tracked device after a full GC: (heapUsed(load) - heapUsed(0 devices, same
//   number of sensors)) / devices.
// Goal (issue 15): three sensors within 1.2x of one sensor of the same total, for both.
import { fork } from 'node:child_process'
import { API_KEY } from './upstream.js'
import { ensureBuilt, PRODUCTION_ENTRY } from './lib/build.js'
import { REPO_DIR, sleep, startWorker, Worker } from './lib/ipc.js'
import { freePort } from './startup.js'
import type { Row, ScenarioResult } from './lib/report.js'
import { fmt } from './lib/stats.js'

export interface SensorsOptions {
  /** Devices per sensor of the three-sensor run (the single sensor has three times as many). */
  devicesPerSensor: number
  /** Steady-state window over which CPU is measured. */
  windowMs: number
}

const POLL_INTERVAL_MS = 2000

/** Answers {cmd:'mem'} after two full GCs and {cmd:'cpu'} with process.cpuUsage() (ms); the bench going away stops the server. */
const PROBE =
  'data:text/javascript,' +
  encodeURIComponent(
    "process.on('disconnect',()=>process.kill(process.pid,'SIGTERM'));" +
      "process.on('message',(m)=>{if(!m)return;" +
      "if(m.cmd==='mem'){globalThis.gc();globalThis.gc();process.send({id:m.id,ok:true,value:{heapUsed:process.memoryUsage().heapUsed}})}" +
      "if(m.cmd==='cpu'){const u=process.cpuUsage();process.send({id:m.id,ok:true,value:{cpuMs:(u.user+u.system)/1000}})}})",
  )

interface Loaded {
  sensors: number
  devices: number
  heapUsed: number
  server: Worker
  base: string
  stop(): Promise<void>
}

interface RunResult {
  sensors: number
  devices: number
  heapUsed: number
  cpuPerIntervalMs: number
  polls: number
}

async function stats(base: string): Promise<{ tracked: number; polls: number; ready: boolean }> {
  try {
    const body = (await (await fetch(`${base}/api/kismet/ws/stats`)).json()) as { data?: { kismet?: { devicesTracked?: number; polls?: number } } }
    const ready = (await fetch(`${base}/ready`)).status === 200
    return { tracked: body.data?.kismet?.devicesTracked ?? 0, polls: body.data?.kismet?.polls ?? 0, ready }
  } catch {
    return { tracked: 0, polls: 0, ready: false }
  }
}

/** The production entry reading `sensors` simulators of `perSensor` devices each, loaded and in steady state (heap measured). */
async function start(sensors: number, perSensor: number, log: (line: string) => void): Promise<Loaded> {
  const sims = Array.from({ length: sensors }, (_, i) => startWorker('sim-worker.ts', { name: `sim-worker(${sensors}x${perSensor} #${i})` }))
  let server: Worker | undefined
  const stop = async () => {
    await server?.stop(12_000)
    for (const sim of sims) await sim.stop()
  }
  try {
    const urls: string[] = []
    for (const [i, sim] of sims.entries()) {
      const { url } = await sim.call<{ url: string }>('start', { devices: perSensor, seed: 21 + i, apiKey: API_KEY, manualClock: false }, 180_000)
      urls.push(url)
    }
    const kismet =
      sensors === 1
        ? { KISMET_API_URL: urls[0]!, KISMET_API_KEY: API_KEY }
        : { KISMET_SENSORS: JSON.stringify(urls.map((url, i) => ({ name: `sensor-${i + 1}`, url, apiKey: API_KEY }))) }
    const port = await freePort()
    const child = fork(PRODUCTION_ENTRY, [], {
      cwd: REPO_DIR,
      execArgv: ['--expose-gc', '--import', PROBE],
      env: {
        ...process.env,
        ...kismet,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        NODE_ENV: 'production',
        KISMET_ENABLED: 'true',
        POLL_INTERVAL_MS: String(POLL_INTERVAL_MS),
        DEVICE_TTL_S: '300',
        KISMET_TIMEOUT_MS: '60000',
        KISMET_EVENTBUS: 'off',
      },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    })
    server = new Worker(`${PRODUCTION_ENTRY}(${sensors}x${perSensor})`, child)
    const base = `http://127.0.0.1:${port}`
    const total = sensors * perSensor
    const t0 = Date.now()
    for (;;) {
      const s = await stats(base)
      if (s.ready && s.tracked >= total) break
      if (child.exitCode !== null) throw new Error(`server exited: ${server.stderr}`)
      if (Date.now() - t0 > 180_000) throw new Error(`initial load of ${total} devices not done after 180 s`)
      await sleep(100)
    }
    const loadedMs = Date.now() - t0
    // Life from now on: 1% heard again every second, on every simulator.
    for (const sim of sims) await sim.call('tick', { everyMs: 1000, share: 0.01 })
    await sleep(2 * POLL_INTERVAL_MS)
    const { heapUsed } = await server.call<{ heapUsed: number }>('mem')
    log(`  ${sensors} sensor(s) x ${perSensor.toLocaleString('en-US')} devices: loaded in ${loadedMs} ms; heap ${fmt(heapUsed / 1e6)} MB`)
    return { sensors, devices: total, heapUsed, server, base, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

/**
 * Service CPU per poll interval of each loaded service over one window, all of them running
 * at once: the same minutes of the same machine for each (a busy neighbour, a GC, the
 * simulators' ticks fall on all alike), which sequential windows of a shared machine do not give.
 */
async function measureTogether(services: Loaded[], windowMs: number, log: (line: string) => void): Promise<RunResult[]> {
  const before = await Promise.all(services.map(async (s) => ({ stats: await stats(s.base), cpu: (await s.server.call<{ cpuMs: number }>('cpu')).cpuMs })))
  const w0 = Date.now()
  await sleep(windowMs)
  const after = await Promise.all(services.map(async (s) => ({ cpu: (await s.server.call<{ cpuMs: number }>('cpu')).cpuMs, stats: await stats(s.base) })))
  const elapsed = Date.now() - w0
  const intervals = elapsed / POLL_INTERVAL_MS
  return services.map((s, i) => {
    const polls = after[i]!.stats.polls - before[i]!.stats.polls
    const expectedPolls = s.sensors * Math.floor(intervals)
    if (polls < expectedPolls - s.sensors) throw new Error(`${polls} polls in ${elapsed} ms, expected about ${expectedPolls}: the cost per interval would be wrong`)
    const result = { sensors: s.sensors, devices: s.devices, heapUsed: s.heapUsed, cpuPerIntervalMs: (after[i]!.cpu - before[i]!.cpu) / intervals, polls }
    log(`  ${s.sensors} sensor(s), ${s.devices.toLocaleString('en-US')} devices: CPU ${fmt(result.cpuPerIntervalMs)} ms per ${POLL_INTERVAL_MS} ms interval (${polls} polls in ${fmt(elapsed / 1000)} s)`)
    return result
  })
}

/** Heap of a service with no device (the baseline of the heap per device). */
async function emptyHeap(sensors: number, log: (line: string) => void): Promise<RunResult> {
  const loaded = await start(sensors, 0, log)
  await loaded.stop()
  return { sensors, devices: 0, heapUsed: loaded.heapUsed, cpuPerIntervalMs: 0, polls: 0 }
}

export async function runSensors(o: SensorsOptions, log: (line: string) => void): Promise<ScenarioResult> {
  ensureBuilt(log)
  // Baselines with no device, for the heap per device; the single sensor first, then the three.
  const one0 = await emptyHeap(1, log)
  const three0 = await emptyHeap(3, log)
  const loaded: Loaded[] = []
  let one: RunResult, three: RunResult
  try {
    loaded.push(await start(1, 3 * o.devicesPerSensor, log))
    loaded.push(await start(3, o.devicesPerSensor, log))
    ;[one, three] = (await measureTogether(loaded, o.windowMs, log)) as [RunResult, RunResult]
  } finally {
    for (const service of loaded) await service.stop()
  }
  const perDevice = (loaded: RunResult, empty: RunResult) => (loaded.heapUsed - empty.heapUsed) / loaded.devices
  const oneHeap = perDevice(one, one0)
  const threeHeap = perDevice(three, three0)
  const label = `3 sensors x ${o.devicesPerSensor.toLocaleString('en-US')} devices`
  const baseline = `1 sensor x ${(3 * o.devicesPerSensor).toLocaleString('en-US')} devices`
  const rows: Row[] = [
    {
      scenario: '7 several sensors',
      metric: `service CPU per poll interval (${POLL_INTERVAL_MS} ms, 1% of devices heard per second), ${label}`,
      value: three.cpuPerIntervalMs,
      unit: 'ms',
      baselineLabel: baseline,
      baseline: one.cpuPerIntervalMs,
      ratio: three.cpuPerIntervalMs / one.cpuPerIntervalMs,
      ratioLabel: '3 sensors / 1 sensor',
      goal: '<= 1.2x',
      met: three.cpuPerIntervalMs <= 1.2 * one.cpuPerIntervalMs,
    },
    {
      scenario: '7 several sensors',
      metric: `heap per tracked device after a GC, ${label} (dist/server.bundle.mjs)`,
      value: threeHeap,
      unit: 'B',
      baselineLabel: baseline,
      baseline: oneHeap,
      ratio: threeHeap / oneHeap,
      ratioLabel: '3 sensors / 1 sensor',
      goal: '<= 1.2x',
      met: threeHeap <= 1.2 * oneHeap,
    },
  ]
  return { rows, details: { pollIntervalMs: POLL_INTERVAL_MS, runs: { one0, three0, one, three } } }
}
