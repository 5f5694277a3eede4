// Scenario 4: memory of the service process with N tracked devices, through the real
// pipeline: the real app (bench/server-host.ts, its own process, --expose-gc) polling a
// simulator process seeded with N devices (static: the table holds exactly N), measured
// after a full GC once the initial load is in. Baseline: the same process polling a
// simulator with 0 devices. Heap per device = (heapUsed(N) - heapUsed(0)) / N.
//
// Measured twice per size: as the service runs right after the load (Socket.IO's
// connection-state recovery keeps every broadcast packet for its window, 2 minutes here,
// even with no client connected), and with that buffer emptied (the steady state once
// the window has passed).
import { API_KEY } from './upstream.js'
import { startWorker, sleep } from './lib/ipc.js'
import type { Row, ScenarioResult } from './lib/report.js'
import { fmt } from './lib/stats.js'

export interface MemoryOptions {
  sizes: number[]
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
      `  ${String(devices).padStart(6)} devices: load ${loadMs} ms; heap ${fmt(asRuns.heapUsed / 1e6)} MB, rss ${fmt(asRuns.rss / 1e6)} MB ` +
        `(recovery buffer ${asRuns.recoveryPackets} packets); without it heap ${fmt(withoutRecoveryBuffer.heapUsed / 1e6)} MB`,
    )
    return { devices, loadMs, asRuns, withoutRecoveryBuffer }
  } finally {
    await host.stop()
    await sim.stop()
  }
}

export async function runMemory(o: MemoryOptions, log: (line: string) => void): Promise<ScenarioResult> {
  const zero = await measureSize(0, log)
  const points: MemoryPoint[] = []
  for (const size of o.sizes) points.push(await measureSize(size, log))
  const rows: Row[] = []
  for (const p of points) {
    const perDevice = (p.asRuns.heapUsed - zero.asRuns.heapUsed) / p.devices
    const perDeviceSteady = (p.withoutRecoveryBuffer.heapUsed - zero.withoutRecoveryBuffer.heapUsed) / p.devices
    rows.push(
      {
        scenario: '4 memory',
        metric: `heap per tracked device, ${p.devices.toLocaleString('en-US')} devices (right after the load)`,
        value: perDevice,
        unit: 'B',
        baselineLabel: 'same process, 0 devices (heapUsed)',
        baseline: zero.asRuns.heapUsed,
        ratio: perDevice / 2048,
        ratioLabel: 'per device / 2 KB goal',
        goal: '<= 2048 B',
        met: perDevice <= 2048,
      },
      {
        scenario: '4 memory',
        metric: `heap per tracked device, ${p.devices.toLocaleString('en-US')} devices (recovery buffer expired)`,
        value: perDeviceSteady,
        unit: 'B',
        baselineLabel: 'same process, 0 devices (heapUsed)',
        baseline: zero.withoutRecoveryBuffer.heapUsed,
        ratio: perDeviceSteady / 2048,
        ratioLabel: 'per device / 2 KB goal',
        goal: '<= 2048 B',
        met: perDeviceSteady <= 2048,
      },
      {
        scenario: '4 memory',
        metric: `RSS, ${p.devices.toLocaleString('en-US')} devices (right after the load)`,
        value: p.asRuns.rss / 1e6,
        unit: 'MB',
        baselineLabel: 'same process, 0 devices',
        baseline: zero.asRuns.rss / 1e6,
        ratio: p.asRuns.rss / zero.asRuns.rss,
        ratioLabel: 'N devices / 0 devices',
        goal: p.devices >= 50_000 ? '< 250 MB' : 'info',
        met: p.devices >= 50_000 ? p.asRuns.rss < 250e6 : null,
      },
    )
  }
  return { rows, details: { fedBy: 'real pipeline: the app polling a simulator process of that size', zero, points } }
}
