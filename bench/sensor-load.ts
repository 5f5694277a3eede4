// Scenario 9: the load on the sensor. Bytes requested from Kismet per minute with 5,000
// devices that all keep transmitting (each heard every second), today's defaults
// (KISMET_EVENTBUS=off, POLL_INTERVAL_MS) against the eventbus settings (the eventbus healthy,
// the poll at POLL_INTERVAL_EVENTBUS_MS), in the same run against the same simulator.
//
// The simulator runs in its own process on a manual clock (its eventbus ticks on it); the
// service's own pipeline (src/pipeline.ts, as the app wires it) runs here on a ManualClock,
// with its real poll timers and its real eventbus websocket. Time moves a second at a time:
// the simulator hears every device at random moments of that second and sends its TIMESTAMP,
// the service's clock follows, its due polls run to the end. Counted over the measured
// minute: response bytes of every REST request, plus every eventbus frame (what Kismet
// serialises and sends), and the simulator process's CPU time.
import { ManualClock } from '../src/clock.js'
import { ConfigSchema } from '../src/config.js'
import { EnvelopeFactory } from '../src/envelope.js'
import { createPipeline, type Pipeline } from '../src/pipeline.js'
import type { PollerLog } from '../src/poller.js'
import { ServiceStats } from '../src/stats.js'
import { API_KEY } from './upstream.js'
import { sleep, startWorker, type Worker } from './lib/ipc.js'
import type { Row, ScenarioResult } from './lib/report.js'
import { fmt } from './lib/stats.js'

export interface SensorLoadOptions {
  devices: number
  /** Seconds measured per configuration (the figure is scaled to a minute). */
  seconds: number
  /** Seconds before measuring (the initial load, the eventbus connecting). */
  warmupSeconds: number
}

const DEFAULT_POLL_MS = ConfigSchema.properties.POLL_INTERVAL_MS.default
const DEFAULT_EVENTBUS_POLL_MS = ConfigSchema.properties.POLL_INTERVAL_EVENTBUS_MS.default
const HOUR = 3_600_000
const silentLog: PollerLog = { debug() {}, info() {}, warn() {}, error() {} }

interface SimSnapshot {
  cpuMs: number
  requests: number
  bytesSent: number
  eventbusBytes: number
}

interface Load {
  label: string
  bytesPerMinute: number
  restBytesPerMinute: number
  eventbusBytesPerMinute: number
  requestsPerMinute: number
  pollsPerMinute: number
  simCpuMsPerMinute: number
  eventbusState: string
}

async function measure(o: SensorLoadOptions, sim: Worker, url: string, startMs: number, eventbus: boolean): Promise<Load> {
  const label = eventbus ? `eventbus, POLL_INTERVAL_EVENTBUS_MS=${DEFAULT_EVENTBUS_POLL_MS}` : `today's defaults: no eventbus, POLL_INTERVAL_MS=${DEFAULT_POLL_MS}`
  const clock = new ManualClock(startMs)
  const stats = new ServiceStats()
  const pipeline: Pipeline = createPipeline({
    name: 'bench',
    settings: {
      kismet: { baseUrl: url, apiKey: API_KEY, timeoutMs: 60_000 },
      poll: { enabled: true, pollIntervalMs: DEFAULT_POLL_MS, heartbeatIntervalMs: HOUR, retryDelayMs: 1000, maxRetries: 5, deviceTtlS: 300, gpsIntervalMs: 0 },
      throttle: {},
      eventbus: { mode: eventbus ? 'on' : 'off', pollIntervalMs: DEFAULT_EVENTBUS_POLL_MS },
    },
    clock,
    log: silentLog,
    serviceStats: stats,
    factory: new EnvelopeFactory({ clock, stats }),
    publish: () => {},
    clients: () => 0,
  })
  let simNow = startMs
  const second = async (): Promise<void> => {
    const timestamps = pipeline.eventbusStats.frames.TIMESTAMP
    const open = eventbus && pipeline.eventbus.state !== 'reconnecting' && pipeline.eventbus.state !== 'refused'
    await sim.call('step', { fromMs: simNow, intervalMs: 1000, changes: o.devices })
    simNow += 1000
    // The service's clock follows only once the TIMESTAMP of that second has arrived (its 3 s watchdog is on this clock).
    const deadline = Date.now() + 5000
    while (open && pipeline.eventbusStats.frames.TIMESTAMP === timestamps && Date.now() < deadline) await sleep(1)
    clock.advance(1000)
    await pipeline.poller.idle()
  }
  try {
    pipeline.start()
    for (let s = 0; s < o.warmupSeconds; s++) await second()
    if (eventbus && pipeline.eventbus.state !== 'connected') throw new Error(`the eventbus is ${pipeline.eventbus.state} after the warm-up`)
    const s0 = await sim.call<SimSnapshot>('snapshot')
    const rest0 = { bytes: pipeline.stats.bytesReceived, requests: pipeline.stats.kismetRequests, polls: pipeline.stats.polls }
    const bus0 = pipeline.eventbusStats.bytesReceived
    for (let s = 0; s < o.seconds; s++) await second()
    const s1 = await sim.call<SimSnapshot>('snapshot')
    const perMinute = (value: number) => (value * 60) / o.seconds
    const restBytes = pipeline.stats.bytesReceived - rest0.bytes
    const busBytes = pipeline.eventbusStats.bytesReceived - bus0
    return {
      label,
      bytesPerMinute: perMinute(restBytes + busBytes),
      restBytesPerMinute: perMinute(restBytes),
      eventbusBytesPerMinute: perMinute(busBytes),
      requestsPerMinute: perMinute(pipeline.stats.kismetRequests - rest0.requests),
      pollsPerMinute: perMinute(pipeline.stats.polls - rest0.polls),
      simCpuMsPerMinute: perMinute(s1.cpuMs - s0.cpuMs),
      eventbusState: pipeline.eventbus.state,
    }
  } finally {
    await pipeline.stop()
  }
}

export async function runSensorLoad(o: SensorLoadOptions, log: (line: string) => void): Promise<ScenarioResult> {
  const startMs = Math.floor(Date.now() / 1000) * 1000
  const sim = startWorker('sim-worker.ts', { name: 'sim-worker(sensor-load)' })
  try {
    const started = await sim.call<{ url: string; devices: number }>('start', { devices: o.devices, seed: 13, apiKey: API_KEY, manualClock: true, startMs })
    log(`  simulator: ${started.devices} devices, every one heard every second; ${o.seconds} s measured per configuration after ${o.warmupSeconds} s`)
    let at = startMs
    const loads: Load[] = []
    for (const eventbus of [false, true]) {
      const load = await measure(o, sim, started.url, at, eventbus)
      at += (o.warmupSeconds + o.seconds) * 1000
      loads.push(load)
      log(
        `  ${load.label}: ${fmt(load.bytesPerMinute / 1e6)} MB/min from Kismet (REST ${fmt(load.restBytesPerMinute / 1e6)} MB, eventbus ${fmt(load.eventbusBytesPerMinute / 1e3)} kB), ` +
          `${fmt(load.pollsPerMinute)} polls and ${fmt(load.requestsPerMinute)} requests a minute, simulator CPU ${fmt(load.simCpuMsPerMinute)} ms/min`,
      )
    }
    const [today, pushed] = loads as [Load, Load]
    const ratio = pushed.bytesPerMinute / today.bytesPerMinute
    const scenario = '11 sensor load'
    const rows: Row[] = [
      {
        scenario,
        metric: `bytes requested from Kismet per minute (${o.devices.toLocaleString('en-US')} devices all active; eventbus frames included)`,
        value: pushed.bytesPerMinute / 1e6,
        unit: 'MB',
        baselineLabel: `today's defaults (POLL_INTERVAL_MS=${DEFAULT_POLL_MS}, no eventbus)`,
        baseline: today.bytesPerMinute / 1e6,
        ratio,
        ratioLabel: 'eventbus / today',
        goal: '<= 1/5',
        met: ratio <= 0.2 && pushed.eventbusState === 'connected',
      },
      {
        scenario,
        metric: 'simulator process CPU per minute (cpuUsage)',
        value: pushed.simCpuMsPerMinute,
        unit: 'ms',
        baselineLabel: "today's defaults",
        baseline: today.simCpuMsPerMinute,
        ratio: pushed.simCpuMsPerMinute / today.simCpuMsPerMinute,
        ratioLabel: 'eventbus / today',
        goal: 'info',
        met: null,
      },
    ]
    return { rows, details: { options: o, defaults: { POLL_INTERVAL_MS: DEFAULT_POLL_MS, POLL_INTERVAL_EVENTBUS_MS: DEFAULT_EVENTBUS_POLL_MS }, today, eventbus: pushed } }
  } finally {
    await sim.stop()
  }
}
