// Scenario 4: memory of the service process with N tracked devices, through the real
// pipeline: the service polling a simulator process seeded with N devices (static: the
// table holds exactly N), measured after a full GC once the initial load is in.
// Baseline: the same process polling a simulator with 0 devices.
// Per device = (heapUsed + arrayBuffers)(N) - (heapUsed + arrayBuffers)(0), over N: the
// signal history (on, at its defaults) keeps its slots in typed arrays, outside the V8 heap.
// Its slots are allocated whole at a device's first sample, so the figure right after the
// load is what a full five-minute history costs. Run once more with geolocated devices
// (positions are kept too).
//
// - The figures with goals come from the production entry, `node --expose-gc
//   dist/server.bundle.mjs`, with a tiny preloaded probe (a data: URL module) that answers
//   memory requests over IPC after a full GC; devices tracked are read from
//   GET /api/kismet/ws/stats.
// - The breakdown comes from the same app in bench/server-host.ts (tsx, so its RSS carries
//   tsx's loader and is not quoted), which can reach Socket.IO's connection-state recovery
//   buffer: every broadcast packet is kept for the recovery window (2 minutes), even with
//   no client connected, so right after a load the heap holds one envelope per device;
//   emptying it gives the steady state once the window has passed.
import { fork } from 'node:child_process'
import { API_KEY } from './upstream.js'
import { ensureBuilt, PRODUCTION_ENTRY } from './lib/build.js'
import { REPO_DIR, startWorker, sleep, Worker } from './lib/ipc.js'
import { freePort } from './startup.js'
import type { Row, ScenarioResult } from './lib/report.js'
import { fmt } from './lib/stats.js'

export interface MemoryOptions {
  sizes: number[]
  /** Also measure the recovery-buffer share (bench/server-host.ts at 0 and the largest size). */
  breakdown: boolean
}

interface Mem {
  rss: number
  heapUsed: number
  heapTotal: number
  external: number
  arrayBuffers: number
  tracked: number
  recoveryPackets: number
}

export interface MemoryPoint {
  devices: number
  loadMs: number
  asRuns: Mem
  withoutRecoveryBuffer: Mem
}

/** Answers {cmd:'mem'} with process.memoryUsage() after two full GCs; {cmd:'exit'} or the bench going away stops the server gracefully. */
const PROBE =
  'data:text/javascript,' +
  encodeURIComponent(
    "process.on('disconnect',()=>process.kill(process.pid,'SIGTERM'));" +
      "process.on('message',(m)=>{if(!m)return;if(m.cmd==='exit'){process.kill(process.pid,'SIGTERM');return}" +
      "if(m.cmd==='mem'){globalThis.gc();globalThis.gc();const u=process.memoryUsage();" +
      'process.send({id:m.id,ok:true,value:{rss:u.rss,heapUsed:u.heapUsed,heapTotal:u.heapTotal,external:u.external,arrayBuffers:u.arrayBuffers}})}})',
  )

export interface ProductionPoint {
  devices: number
  /** Devices seeded with GPS locations (80 % of them get one): the signal history keeps positions too. */
  located: boolean
  loadMs: number
  rss: number
  heapUsed: number
  heapTotal: number
  external: number
  arrayBuffers: number
}

async function trackedByRest(base: string): Promise<{ tracked: number; connected: boolean }> {
  try {
    const response = await fetch(`${base}/api/kismet/ws/stats`)
    const body = (await response.json()) as { data?: { kismet?: { devicesTracked?: number } } }
    const status = await fetch(`${base}/ready`)
    return { tracked: body.data?.kismet?.devicesTracked ?? 0, connected: status.status === 200 }
  } catch {
    return { tracked: 0, connected: false }
  }
}

/** The production entry (dist/server.bundle.mjs) polling a simulator of `devices`. */
async function measureProduction(devices: number, log: (line: string) => void, located = false, env: Record<string, string> = {}): Promise<ProductionPoint> {
  const sim = startWorker('sim-worker.ts', { name: `sim-worker(prod ${devices})` })
  let server: Worker | undefined
  try {
    const where = located ? { location: { lat: 52.5163, lon: 13.3777 } } : {}
    const { url } = await sim.call<{ url: string }>('start', { devices, seed: 5, apiKey: API_KEY, manualClock: false, ...where }, 180_000)
    const port = await freePort()
    const t0 = Date.now()
    const child = fork(PRODUCTION_ENTRY, [], {
      cwd: REPO_DIR,
      execArgv: ['--expose-gc', '--import', PROBE],
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        NODE_ENV: 'production',
        KISMET_ENABLED: 'true',
        KISMET_API_URL: url,
        KISMET_API_KEY: API_KEY,
        POLL_INTERVAL_MS: '2000',
        DEVICE_TTL_S: '300',
        KISMET_TIMEOUT_MS: '60000',
        ...env,
      },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    })
    server = new Worker(`${PRODUCTION_ENTRY}(${devices})`, child)
    const base = `http://127.0.0.1:${port}`
    for (;;) {
      const { tracked, connected } = await trackedByRest(base)
      if (connected && tracked >= devices) break
      if (child.exitCode !== null) throw new Error(`server exited: ${server.stderr}`)
      if (Date.now() - t0 > 180_000) throw new Error(`initial load of ${devices} devices not done after 180 s`)
      await sleep(100)
    }
    const loadMs = Date.now() - t0
    await sleep(2500)
    const mem = await server.call<Omit<ProductionPoint, 'devices' | 'loadMs' | 'located'>>('mem')
    log(
      `  dist/server.bundle.mjs, ${String(devices).padStart(6)} devices${located ? ' (geolocated)' : ''}${env['HISTORY_WINDOW_S'] === '0' ? ' (no history)' : ''}: ready ${loadMs} ms after spawn; ` +
        `heap ${fmt(mem.heapUsed / 1e6)} MB, array buffers ${fmt(mem.arrayBuffers / 1e6)} MB, rss ${fmt(mem.rss / 1e6)} MB`,
    )
    return { devices, located, loadMs, ...mem }
  } finally {
    await server?.stop(12_000)
    await sim.stop()
  }
}

async function measureSize(devices: number, log: (line: string) => void): Promise<MemoryPoint> {
  const sim = startWorker('sim-worker.ts', { name: `sim-worker(${devices})` })
  const host = startWorker('server-host.ts', { name: `server-host(mem ${devices})`, nodeArgs: ['--expose-gc'] })
  try {
    const { url } = await sim.call<{ url: string }>('start', { devices, seed: 5, apiKey: API_KEY, manualClock: false }, 180_000)
    const t0 = Date.now()
    await host.call('startService', {
      env: { KISMET_ENABLED: 'true', KISMET_API_URL: url, KISMET_API_KEY: API_KEY, POLL_INTERVAL_MS: '2000', DEVICE_TTL_S: '300', KISMET_TIMEOUT_MS: '60000' },
    })
    for (;;) {
      const { tracked, state } = await host.call<{ tracked: number; state: string }>('tracked')
      if (state === 'connected' && tracked >= devices) break
      if (Date.now() - t0 > 180_000) throw new Error(`initial load of ${devices} devices not done after 180 s (${tracked}, ${state})`)
      await sleep(100)
    }
    const loadMs = Date.now() - t0
    // Let one more incremental cycle run, so the state is the one of a running service.
    await sleep(2500)
    const asRuns = await host.call<Mem>('mem')
    await host.call('dropRecoveryBuffer')
    const withoutRecoveryBuffer = await host.call<Mem>('mem')
    log(
      `  server-host (tsx), ${String(devices).padStart(6)} devices: load ${loadMs} ms; heap ${fmt(asRuns.heapUsed / 1e6)} MB, rss ${fmt(asRuns.rss / 1e6)} MB ` +
        `(recovery buffer ${asRuns.recoveryPackets} packets); without it heap ${fmt(withoutRecoveryBuffer.heapUsed / 1e6)} MB`,
    )
    return { devices, loadMs, asRuns, withoutRecoveryBuffer }
  } finally {
    await host.stop()
    await sim.stop()
  }
}

export async function runMemory(o: MemoryOptions, log: (line: string) => void): Promise<ScenarioResult> {
  ensureBuilt(log)
  const sizes = [0, ...o.sizes]
  const production: ProductionPoint[] = []
  for (const size of sizes) production.push(await measureProduction(size, log))
  // The signal history's worst case: every device with positions too; and its share, against
  // the same load with the history turned off.
  const smallest = Math.min(...o.sizes)
  production.push(await measureProduction(smallest, log, true))
  const noHistory = await measureProduction(smallest, log, false, { HISTORY_WINDOW_S: '0' })
  // The recovery-buffer breakdown at the largest size (and its 0-device baseline).
  const largest = Math.max(...o.sizes)
  const hostZero = o.breakdown ? await measureSize(0, log) : undefined
  const hostLargest = o.breakdown ? await measureSize(largest, log) : undefined

  const zero = production[0]!
  const rows: Row[] = []
  // The signal history keeps its slots in typed arrays, outside the V8 heap: they count too.
  const held = (p: ProductionPoint) => p.heapUsed + p.arrayBuffers
  for (const p of production.slice(1)) {
    const perDevice = (held(p) - held(zero)) / p.devices
    rows.push(
      {
        scenario: '4 memory',
        metric: `heap + array buffers per tracked device, ${p.devices.toLocaleString('en-US')} devices${p.located ? ' with GPS positions' : ''}, signal history on (dist/server.bundle.mjs, after a GC, right after the load)`,
        value: perDevice,
        unit: 'B',
        baselineLabel: 'same process, 0 devices (heapUsed + arrayBuffers)',
        baseline: held(zero),
        ratio: perDevice / 2048,
        ratioLabel: 'per device / 2 KB goal',
        goal: '<= 2048 B',
        met: perDevice <= 2048,
      },
      {
        scenario: '4 memory',
        metric: `RSS, ${p.devices.toLocaleString('en-US')} devices${p.located ? ' with GPS positions' : ''} (dist/server.bundle.mjs)`,
        value: p.rss / 1e6,
        unit: 'MB',
        baselineLabel: 'same process, 0 devices',
        baseline: zero.rss / 1e6,
        ratio: p.rss / zero.rss,
        ratioLabel: 'N devices / 0 devices',
        goal: p.devices >= 50_000 ? '< 250 MB' : 'info',
        met: p.devices >= 50_000 ? p.rss < 250e6 : null,
      },
    )
  }
  const withHistory = production.find((p) => p.devices === smallest && !p.located)!
  const share = (held(withHistory) - held(noHistory)) / smallest
  const without = (held(noHistory) - held(zero)) / smallest
  rows.push({
    scenario: '4 memory',
    metric: `of which the signal history (${smallest.toLocaleString('en-US')} devices: history on - HISTORY_WINDOW_S=0, same load)`,
    value: share,
    unit: 'B',
    baselineLabel: 'per device with the history off',
    baseline: without,
    ratio: share / without,
    ratioLabel: 'history / the rest',
    goal: 'info',
    met: null,
  })
  if (hostZero && hostLargest) {
    const withBuffer = (hostLargest.asRuns.heapUsed - hostZero.asRuns.heapUsed) / largest
    const steady = (hostLargest.withoutRecoveryBuffer.heapUsed - hostZero.withoutRecoveryBuffer.heapUsed) / largest
    rows.push({
      scenario: '4 memory',
      metric: `heap per device at ${largest.toLocaleString('en-US')} once the recovery buffer (${hostLargest.asRuns.recoveryPackets} packets) has expired`,
      value: steady,
      unit: 'B',
      baselineLabel: 'right after the load (buffer full)',
      baseline: withBuffer,
      ratio: steady / withBuffer,
      ratioLabel: 'steady / after load',
      goal: 'info',
      met: null,
    })
  }
  return {
    rows,
    details: {
      fedBy: 'real pipeline: the service polling a simulator process of that size (static devices)',
      production,
      noHistory,
      breakdown: { host: 'bench/server-host.ts under tsx (RSS not comparable)', zero: hostZero, largest: hostLargest },
    },
  }
}
