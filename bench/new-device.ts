// Scenario 5: new-device latency. The simulator (own process, real clock, some background
// devices heard every second) adds devices one at a time at random moments (exponential
// gaps); the real app (own process, POLL_INTERVAL_MS as given) polls it; a Socket.IO
// client subscribed to `devices` notes when `device:update` action `new` arrives for each
// key. Latency = receipt (client's Date.now()) - creation (simulator's Date.now() at
// addDevice), one machine clock. Baseline: the poll interval itself: a device appears at
// a uniformly random moment of the interval, so the expectation is p50 = interval / 2,
// p99 = 0.99 x interval, before any processing.
import { io } from 'socket.io-client'
import type { AnyEnvelope } from '../src/events.js'
import { API_KEY } from './upstream.js'
import { sleep, startWorker } from './lib/ipc.js'
import type { Row, ScenarioResult } from './lib/report.js'
import { fmt, quantile, summary } from './lib/stats.js'

export interface NewDeviceOptions {
  devices: number
  meanGapMs: number
  pollIntervalMs: number
  backgroundDevices: number
}

export async function runNewDevice(o: NewDeviceOptions, log: (line: string) => void): Promise<ScenarioResult> {
  const sim = startWorker('sim-worker.ts', { name: 'sim-worker(new-device)' })
  const host = startWorker('server-host.ts', { name: 'server-host(new-device)', nodeArgs: ['--expose-gc'] })
  const created = new Map<string, number>()
  const received = new Map<string, number>()
  let done = false
  sim.onNotice((n) => {
    if (n.notice === 'added') {
      const { key, createdAt } = n.data as { key: string; createdAt: number }
      created.set(key, createdAt)
    }
    if (n.notice === 'addDone') done = true
  })
  try {
    const { url: simUrl } = await sim.call<{ url: string }>('start', { devices: o.backgroundDevices, seed: 9, apiKey: API_KEY, manualClock: false })
    await sim.call('tick', { everyMs: 1000, share: 0.01 })
    const { url } = await host.call<{ url: string }>('startService', {
      env: { KISMET_ENABLED: 'true', KISMET_API_URL: simUrl, KISMET_API_KEY: API_KEY, POLL_INTERVAL_MS: String(o.pollIntervalMs), DEVICE_TTL_S: '300' },
    })
    const t0 = Date.now()
    for (;;) {
      const { tracked, state } = await host.call<{ tracked: number; state: string }>('tracked')
      if (state === 'connected' && tracked >= o.backgroundDevices) break
      if (Date.now() - t0 > 60_000) throw new Error('initial load not done after 60 s')
      await sleep(100)
    }
    const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false })
    socket.on('event', (envelope: AnyEnvelope) => {
      if (envelope.type === 'device:update' && envelope.data.action === 'new' && !received.has(envelope.data.device.key)) {
        received.set(envelope.data.device.key, Date.now())
      }
    })
    await new Promise<void>((resolve, reject) => {
      socket.once('connect_error', reject)
      socket.once('connect', () => socket.emit('subscribe', ['devices'], () => resolve()))
    })
    await sleep(o.pollIntervalMs)
    await sim.call('addOverTime', { count: o.devices, meanGapMs: o.meanGapMs })
    const limit = Date.now() + o.devices * o.meanGapMs * 4 + 30_000
    while (!done && Date.now() < limit) await sleep(100)
    // The last device needs the next poll (plus a margin for the cycle itself).
    const settle = Date.now() + 2 * o.pollIntervalMs + 1000
    while (received.size < created.size && Date.now() < settle) await sleep(50)
    socket.disconnect()

    const latencies: number[] = []
    let missing = 0
    for (const [key, at] of created) {
      const got = received.get(key)
      if (got === undefined) missing++
      else latencies.push(got - at)
    }
    const s = summary(latencies)
    const p99 = quantile(latencies, 0.99)
    const interval = o.pollIntervalMs
    log(
      `  ${latencies.length} of ${created.size} new devices seen by the client (missing ${missing}); ` +
        `latency p50 ${fmt(s.median)} / p99 ${fmt(p99)} / max ${fmt(s.max)} ms at POLL_INTERVAL_MS=${interval}`,
    )
    const rows: Row[] = [
      {
        scenario: '5 new-device latency',
        metric: `creation -> device:update new at a client, p50 (${created.size} devices, POLL_INTERVAL_MS=${interval})`,
        value: s.median,
        unit: 'ms',
        baselineLabel: 'uniform 0..interval: interval / 2',
        baseline: interval / 2,
        ratio: s.median / (interval / 2),
        ratioLabel: 'measured / expected',
        goal: 'info',
        met: null,
      },
      {
        scenario: '5 new-device latency',
        metric: 'p99',
        value: p99,
        unit: 'ms',
        baselineLabel: 'uniform 0..interval: 0.99 x interval',
        baseline: 0.99 * interval,
        ratio: p99 / (0.99 * interval),
        ratioLabel: 'measured / expected',
        goal: `<= ${interval + 100} ms`,
        met: p99 <= interval + 100 && missing === 0,
      },
      {
        scenario: '5 new-device latency',
        metric: 'max',
        value: s.max,
        unit: 'ms',
        baselineLabel: 'interval',
        baseline: interval,
        ratio: s.max / interval,
        ratioLabel: 'measured / interval',
        goal: 'info',
        met: null,
      },
    ]
    return { rows, details: { options: o, latencyMs: s, p99, missing, created: created.size } }
  } finally {
    await host.stop()
    await sim.stop()
  }
}
