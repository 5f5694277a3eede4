// Scenarios 1 and 2.
//
// 1. Cost on Kismet per cycle. The simulator runs in its own process with a manual clock;
//    each cycle `changes` random devices are heard at random moments of the interval, then
//    the real incremental path (Poller + KismetClient + tracker + throttle, as the service
//    wires them) and the baseline poller (bench/baseline-poller.ts: every device seen in
//    the last 5 minutes, diffed locally) each run one cycle against the same state, in
//    alternating order. Per cycle: bytes received, requests, wall time, the simulator
//    process's CPU time (process.cpuUsage() over IPC) and the poller process's CPU time.
//
// 2. Service CPU for the incremental batch. The device responses the incremental poller
//    received are captured (same request, same simulator state), then replayed in process:
//    the service path (decode + JSON.parse + toWifiDevice + de-duplication by key, exactly
//    what KismetClient.devicesSince does, then DeviceTracker.ingest/expire and
//    EventThrottle.device per event) against JSON.parse of the same bytes, alternating,
//    many rounds; the figure is the median per-round ratio.
import { performance } from 'node:perf_hooks'
import { AlertDeduper } from '../src/alerts.js'
import { ManualClock } from '../src/clock.js'
import { EnvelopeFactory } from '../src/envelope.js'
import type { WifiDevice } from '../src/events.js'
import { devicesOf, KismetClient, type KismetClientOptions } from '../src/kismet/client.js'
import { DEVICE_FIELDS } from '../src/kismet/wire.js'
import { createPipeline } from '../src/pipeline.js'
import { DEVICE_QUERY_OVERLAP_S, type PollerLog } from '../src/poller.js'
import { ServiceStats } from '../src/stats.js'
import { EventThrottle } from '../src/throttle.js'
import { DeviceTracker } from '../src/tracker.js'
import { BaselinePoller, BASELINE_WINDOW_S } from './baseline-poller.js'
import { cpuMs, startWorker, type Worker } from './lib/ipc.js'
import type { Row, ScenarioResult } from './lib/report.js'
import { fmt, fmtSpread, median, summary, type Summary } from './lib/stats.js'

export const API_KEY = 'BENCH0123456789ABCDEF0123456789AB'
const HOUR = 3_600_000
const TTL_S = 300

export interface UpstreamOptions {
  devices: number
  changeShare: number
  intervalMs: number
  cycles: number
  parseRounds: number
  seed: number
}

const silentLog: PollerLog = { debug() {}, info() {}, warn() {}, error() {} }

interface Counter {
  bytes: number
  deviceBytes: number
  requests: number
}

function countingClientOptions(url: string, counter: Counter): KismetClientOptions {
  return {
    baseUrl: url,
    apiKey: API_KEY,
    timeoutMs: 60_000,
    onResponse: ({ path, bytes }) => {
      counter.bytes += bytes
      counter.requests += 1
      if (path.startsWith('/devices/')) counter.deviceBytes += bytes
    },
  }
}

function countingClient(url: string, counter: Counter): KismetClient {
  return new KismetClient(countingClientOptions(url, counter))
}

interface Snapshot {
  cpuMs: number
  requests: number
  bytesSent: number
  busyMs: number
}

interface CycleSample {
  bytes: number
  deviceBytes: number
  requests: number
  wallMs: number
  serviceCpuMs: number
  simCpuMs: number
  simBusyMs: number
  devices: number
}

async function measured(sim: Worker, counter: Counter, run: () => Promise<number>): Promise<CycleSample> {
  const s0 = await sim.call<Snapshot>('snapshot')
  const b0 = { ...counter }
  const c0 = cpuMs()
  const t0 = performance.now()
  const devices = await run()
  const t1 = performance.now()
  const c1 = cpuMs()
  const s1 = await sim.call<Snapshot>('snapshot')
  return {
    bytes: counter.bytes - b0.bytes,
    deviceBytes: counter.deviceBytes - b0.deviceBytes,
    requests: counter.requests - b0.requests,
    wallMs: t1 - t0,
    serviceCpuMs: c1 - c0,
    simCpuMs: s1.cpuMs - s0.cpuMs,
    simBusyMs: s1.busyMs - s0.busyMs,
    devices,
  }
}

/** The device request of an incremental cycle, fetched again byte for byte (same state, same clock). */
async function fetchDevicesSince(url: string, sinceSec: number): Promise<Buffer> {
  const response = await fetch(`${url}/devices/last-time/${sinceSec}/devices.json`, {
    method: 'POST',
    headers: { cookie: `KISMET=${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ fields: DEVICE_FIELDS }),
  })
  if (!response.ok) throw new Error(`capture failed: HTTP ${response.status}`)
  return Buffer.from(await response.arrayBuffer())
}

export async function runUpstream(o: UpstreamOptions, log: (line: string) => void): Promise<{ s1: ScenarioResult; s2: ScenarioResult }> {
  const startMs = Math.floor(Date.now() / 1000) * 1000
  const sim = startWorker('sim-worker.ts', { name: 'sim-worker' })
  try {
    const seedT0 = performance.now()
    const started = await sim.call<{ url: string; devices: number }>('start', {
      devices: o.devices,
      seed: o.seed,
      apiKey: API_KEY,
      manualClock: true,
      startMs,
    })
    log(`  simulator: ${started.devices} devices at ${started.url} (seeded in ${Math.round(performance.now() - seedT0)} ms)`)
    const url = started.url

    // The service's incremental path: the service's own pipeline (src/pipeline.ts).
    const clock = new ManualClock(startMs)
    const incCounter: Counter = { bytes: 0, deviceBytes: 0, requests: 0 }
    const stats = new ServiceStats()
    let published = 0
    const pipeline = createPipeline({
      name: 'bench',
      settings: {
        kismet: { ...countingClientOptions(url, incCounter) },
        poll: { enabled: true, pollIntervalMs: HOUR, heartbeatIntervalMs: HOUR, retryDelayMs: HOUR, maxRetries: 5, deviceTtlS: TTL_S, gpsIntervalMs: 0 },
        throttle: {},
      },
      clock,
      log: silentLog,
      serviceStats: stats,
      factory: new EnvelopeFactory({ clock, stats }),
      publish: () => (published += 1),
      clients: () => 0,
    })
    const { poller, tracker } = pipeline

    const baseCounter: Counter = { bytes: 0, deviceBytes: 0, requests: 0 }
    const baseClient = countingClient(url, baseCounter)
    const baseline = new BaselinePoller({ client: baseClient, tracker: new DeviceTracker({ ttlMs: TTL_S * 1000 }), alerts: new AlertDeduper() })

    const runIncremental = async (): Promise<number> => {
      await poller.runCycle()
      if (poller.state !== 'connected') throw new Error(`incremental poller is ${poller.state}`)
      return tracker.size
    }
    const runBaseline = async (): Promise<number> => (await baseline.cycle()).devices

    // Warm-up: the initial load (a resync) and the baseline's first full read; not measured.
    await runIncremental()
    await runBaseline()
    await runIncremental()
    await runBaseline()
    const initialDevices: WifiDevice[] = tracker.all()
    log(`  initial load: ${tracker.size} devices tracked`)

    const changes = Math.max(1, Math.round(o.devices * o.changeShare))
    const inc: CycleSample[] = []
    const base: CycleSample[] = []
    const captured: Buffer[] = []
    let simNow = startMs
    for (let cycle = 1; cycle <= o.cycles; cycle++) {
      const previousSec = Math.floor(simNow / 1000)
      await sim.call('step', { fromMs: simNow, intervalMs: o.intervalMs, changes })
      simNow += o.intervalMs
      clock.advance(o.intervalMs)
      const order = cycle % 2 === 1 ? (['inc', 'base'] as const) : (['base', 'inc'] as const)
      for (const which of order) {
        if (which === 'inc') inc.push(await measured(sim, incCounter, runIncremental))
        else base.push(await measured(sim, baseCounter, runBaseline))
      }
      const body = await fetchDevicesSince(url, previousSec - DEVICE_QUERY_OVERLAP_S)
      const got = inc.at(-1)!
      // The capture is the very answer the poller had (same query, same simulator clock).
      if (body.length !== got.deviceBytes) throw new Error(`capture mismatch: ${body.length} vs ${got.deviceBytes} bytes`)
      captured.push(body)
    }
    await pipeline.stop()
    baseClient.close()

    const pick = (samples: CycleSample[], k: keyof CycleSample) => samples.map((s) => s[k])
    const S = (samples: CycleSample[], k: keyof CycleSample): Summary => summary(pick(samples, k))
    const incBytes = S(inc, 'bytes')
    const baseBytes = S(base, 'bytes')
    const incSim = S(inc, 'simCpuMs')
    const baseSim = S(base, 'simCpuMs')
    const incBusy = S(inc, 'simBusyMs')
    const baseBusy = S(base, 'simBusyMs')
    const incWall = S(inc, 'wallMs')
    const baseWall = S(base, 'wallMs')
    const incCpu = S(inc, 'serviceCpuMs')
    const baseCpu = S(base, 'serviceCpuMs')
    const incDeviceBytes = S(inc, 'deviceBytes')
    const perCycleByteRatios = inc.map((s, i) => base[i]!.bytes / s.bytes)
    const perCycleSimRatios = inc.map((s, i) => base[i]!.simCpuMs / Math.max(s.simCpuMs, 0.001))
    const devicesPerIncResponse = captured.map((b) => (JSON.parse(b.toString('utf8')) as unknown[]).length)

    const label = `${o.devices.toLocaleString('en-US')} devices, ${changes} changing/cycle, ${o.cycles} cycles`
    const rows: Row[] = [
      {
        scenario: '1 upstream',
        metric: `bytes from Kismet per cycle (${label})`,
        value: incBytes.median,
        unit: 'B',
        spread: fmtSpread(incBytes),
        baselineLabel: `full ${BASELINE_WINDOW_S} s list each cycle`,
        baseline: baseBytes.median,
        baselineSpread: fmtSpread(baseBytes),
        ratio: median(perCycleByteRatios),
        ratioLabel: 'baseline / incremental (x fewer)',
        goal: '>= 50x fewer',
        met: median(perCycleByteRatios) >= 50,
      },
      {
        scenario: '1 upstream',
        metric: 'simulator process CPU per cycle (cpuUsage)',
        value: incSim.median,
        unit: 'ms',
        spread: fmtSpread(incSim),
        baselineLabel: 'full list each cycle',
        baseline: baseSim.median,
        baselineSpread: fmtSpread(baseSim),
        ratio: median(perCycleSimRatios),
        ratioLabel: 'baseline / incremental (x less)',
        goal: '< baseline',
        met: incSim.median < baseSim.median,
      },
      {
        scenario: '1 upstream',
        metric: 'simulator busy time per cycle (its own request timer)',
        value: incBusy.median,
        unit: 'ms',
        spread: fmtSpread(incBusy),
        baselineLabel: 'full list each cycle',
        baseline: baseBusy.median,
        baselineSpread: fmtSpread(baseBusy),
        ratio: baseBusy.median / incBusy.median,
        ratioLabel: 'baseline / incremental',
        goal: 'info',
        met: null,
      },
      {
        scenario: '1 upstream',
        metric: 'cycle wall time (4 requests + processing)',
        value: incWall.median,
        unit: 'ms',
        spread: fmtSpread(incWall),
        baselineLabel: 'full list each cycle',
        baseline: baseWall.median,
        baselineSpread: fmtSpread(baseWall),
        ratio: baseWall.median / incWall.median,
        ratioLabel: 'baseline / incremental',
        goal: 'info',
        met: null,
      },
      {
        scenario: '1 upstream',
        metric: 'poller process CPU per cycle (HTTP client + parse + pipeline)',
        value: incCpu.median,
        unit: 'ms',
        spread: fmtSpread(incCpu),
        baselineLabel: 'full list each cycle',
        baseline: baseCpu.median,
        baselineSpread: fmtSpread(baseCpu),
        ratio: baseCpu.median / incCpu.median,
        ratioLabel: 'baseline / incremental',
        goal: 'info',
        met: null,
      },
    ]
    log(`  incremental: ${fmt(incBytes.median)} B/cycle (${fmt(median(devicesPerIncResponse))} devices per response), baseline ${fmt(baseBytes.median)} B/cycle`)

    // ---- Scenario 2 -------------------------------------------------------------------
    const s2 = serviceCpu(initialDevices, captured, startMs, o)
    const parseMs = s2.parse.median
    const fullCycleRatio = incCpu.median / parseMs
    s2.rows.push({
      scenario: '2 service CPU',
      metric: 'whole incremental cycle in the poller process (4 HTTP requests via node:http, parse, pipeline)',
      value: incCpu.median,
      unit: 'ms',
      spread: fmtSpread(incCpu),
      baselineLabel: 'JSON.parse of the device response',
      baseline: parseMs,
      ratio: fullCycleRatio,
      ratioLabel: 'cycle / parse',
      goal: 'info (HTTP client cost)',
      met: null,
    })

    return {
      s1: {
        rows,
        details: {
          options: o,
          changesPerCycle: changes,
          incremental: { bytes: incBytes, deviceBytes: incDeviceBytes, simCpuMs: incSim, simBusyMs: incBusy, wallMs: incWall, serviceCpuMs: incCpu, requests: S(inc, 'requests') },
          baseline: { bytes: baseBytes, deviceBytes: S(base, 'deviceBytes'), simCpuMs: baseSim, simBusyMs: baseBusy, wallMs: baseWall, serviceCpuMs: baseCpu, requests: S(base, 'requests') },
          devicesPerIncrementalResponse: summary(devicesPerIncResponse),
          perCycleByteRatio: summary(perCycleByteRatios),
          perCycleSimCpuRatio: summary(perCycleSimRatios),
          envelopesPublished: published,
        },
      },
      s2: { rows: s2.rows, details: s2.details },
    }
  } finally {
    await sim.stop()
  }
}

/** Scenario 2: replay the captured incremental answers through the service path vs JSON.parse alone. */
function serviceCpu(initial: WifiDevice[], bodies: Buffer[], startMs: number, o: UpstreamOptions) {
  const parseTotals: number[] = []
  const serviceTotals: number[] = []
  const ratios: number[] = []
  let events = 0
  let sink = 0
  for (let round = 0; round < o.parseRounds; round++) {
    const tracker = new DeviceTracker({ ttlMs: TTL_S * 1000 })
    tracker.resync(initial)
    const clock = new ManualClock(startMs)
    const throttle = new EventThrottle({ clock, factory: new EnvelopeFactory({ clock }), publish: () => (sink += 1) })
    let parseMs = 0
    let serviceMs = 0
    for (const [i, body] of bodies.entries()) {
      clock.advance(o.intervalMs)
      const parseFirst = (round + i) % 2 === 0
      for (const step of parseFirst ? ['parse', 'service'] : ['service', 'parse']) {
        if (step === 'parse') {
          const t0 = performance.now()
          const value = JSON.parse(body.toString('utf8')) as unknown[]
          parseMs += performance.now() - t0
          sink += value.length
        } else {
          const t0 = performance.now()
          // KismetClient.devicesSince: decode, parse, map each record, newest per key.
          const value = JSON.parse(body.toString('utf8')) as unknown
          if (!Array.isArray(value)) throw new Error('not an array')
          const { devices } = devicesOf(value)
          // Poller: tracker decisions, expiry, then the throttle for every event.
          const changes = tracker.ingest(devices)
          const expired = tracker.expire(clock.now())
          for (const event of changes) throttle.device(event)
          for (const event of expired) throttle.device(event)
          serviceMs += performance.now() - t0
          if (round === 0) events += changes.length + expired.length
        }
      }
    }
    throttle.close()
    parseTotals.push(parseMs / bodies.length)
    serviceTotals.push(serviceMs / bodies.length)
    ratios.push(serviceMs / parseMs)
  }
  const parse = summary(parseTotals)
  const service = summary(serviceTotals)
  const ratio = summary(ratios)
  const bytes = median(bodies.map((b) => b.length))
  const rows: Row[] = [
    {
      scenario: '2 service CPU',
      metric: `incremental batch: parse + map + tracker + throttle (${fmt(bytes)} B responses)`,
      value: service.median,
      unit: 'ms',
      spread: fmtSpread(service),
      baselineLabel: 'JSON.parse of the same bytes',
      baseline: parse.median,
      baselineSpread: fmtSpread(parse),
      ratio: ratio.median,
      ratioLabel: 'service / parse',
      goal: '<= 3x',
      met: ratio.median <= 3,
    },
  ]
  return {
    rows,
    parse,
    details: { rounds: o.parseRounds, batches: bodies.length, medianResponseBytes: bytes, eventsPerRound: events, parseMsPerBatch: parse, serviceMsPerBatch: service, ratio, sink: sink > 0 },
  }
}
