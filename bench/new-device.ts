// Scenario 5: new-device and alert latency, poll-only against the eventbus, in the same run
// at the default POLL_INTERVAL_MS. The simulator (own process, real clock, some background
// devices heard every second) creates devices and raises alerts one at a time at random
// moments (exponential gaps); the real app (own process) reads it, once with
// KISMET_EVENTBUS=off (the baseline: the poll alone) and once with the eventbus (its default
// settings); a Socket.IO client subscribed to `devices` and `alerts` notes when
// `device:update` `new` and `alert:new` arrive. Latency = receipt (client's Date.now()) -
// creation (simulator's Date.now()), one machine clock.
//
// With the eventbus it also measures the alternative this service did not take for
// NEW_DEVICE: fetching the device's fields first. The bench's own eventbus connection gets
// the same NEW_DEVICE frames, gathers the keys that arrive within FETCH_GATHER_MS and asks
// for them with one POST /devices/multikey/devices.json (split at Kismet's 100 000-byte
// request body limit); what that adds to each device's latency, how many requests it costs,
// and whether the fetched record says more than the frame did. Last, a burst of new devices
// at once (the start of a large scenario): latency, and the requests it costs either way.
import { io } from 'socket.io-client'
import WebSocket from 'ws'
import { ConfigSchema } from '../src/config.js'
import type { AnyEnvelope, WifiDevice } from '../src/events.js'
import { toWifiDevice } from '../src/kismet/mapping.js'
import { DEVICE_FIELDS, EVENTBUS_PATH } from '../src/kismet/wire.js'
import { sameValue } from '../src/tracker.js'
import { API_KEY } from './upstream.js'
import { sleep, startWorker, type Worker } from './lib/ipc.js'
import type { Row, ScenarioResult } from './lib/report.js'
import { fmt, quantile } from './lib/stats.js'

export interface NewDeviceOptions {
  /** Events created one at a time: half new devices, half alerts. */
  events: number
  meanGapMs: number
  backgroundDevices: number
  /** New devices created at once at the end of the eventbus run. */
  burst: number
}

/** How long the fetch-first alternative gathers keys before asking ("within a few milliseconds"). */
const FETCH_GATHER_MS = 5
/** Kismet reads request bodies of up to 100 000 bytes (KISMET-API.md 1). */
const KISMET_BODY_LIMIT = 100_000

const DEFAULT_POLL_MS = ConfigSchema.properties.POLL_INTERVAL_MS.default
const DEFAULT_EVENTBUS_POLL_MS = ConfigSchema.properties.POLL_INTERVAL_EVENTBUS_MS.default

interface Latencies {
  devices: number[]
  alerts: number[]
  missingDevices: number
  missingAlerts: number
  duplicates: number
}

interface Traffic {
  requests: number
  bytes: number
  polls: number
  eventbusBytes: number
  eventbusState: string
}

interface FetchFirst {
  /** Per device: the fetch's answer - the frame's arrival (what fetching first adds). */
  addedMs: Map<string, number>
  requests: number
  /** Devices whose fetched record differed from the frame's. */
  differed: number
  fetched: number
}

/** The bench's own eventbus connection: NEW_DEVICE frames, and the fetch-first alternative measured on them. */
async function fetchFirstListener(simUrl: string): Promise<{ result: FetchFirst; close(): void; frames: () => number }> {
  const result: FetchFirst = { addedMs: new Map(), requests: 0, differed: 0, fetched: 0 }
  const ws = new WebSocket(`${simUrl.replace(/^http/, 'ws')}${EVENTBUS_PATH}`, { headers: { cookie: `KISMET=${API_KEY}` }, perMessageDeflate: false })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  ws.send(JSON.stringify({ SUBSCRIBE: 'NEW_DEVICE', fields: DEVICE_FIELDS }))
  let frames = 0
  let gathered: Array<{ key: string; at: number; device: WifiDevice }> = []
  let timer: ReturnType<typeof setTimeout> | undefined
  const fetchGathered = async (batch: typeof gathered): Promise<void> => {
    // One request per body of at most 100 000 bytes (a key and its quotes and comma: ~32 bytes).
    const fields = JSON.stringify(DEVICE_FIELDS)
    const perRequest = Math.floor((KISMET_BODY_LIMIT - fields.length - 40) / 34)
    for (let i = 0; i < batch.length; i += perRequest) {
      const part = batch.slice(i, i + perRequest)
      result.requests += 1
      const response = await fetch(`${simUrl}/devices/multikey/devices.json`, {
        method: 'POST',
        headers: { cookie: `KISMET=${API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ devices: part.map((p) => p.key), fields: DEVICE_FIELDS }),
      })
      const records = (await response.json()) as unknown[]
      const answeredAt = Date.now()
      const byKey = new Map(records.map((record) => toWifiDevice(record)).map((device) => [device.key, device]))
      for (const { key, at, device } of part) {
        result.addedMs.set(key, answeredAt - at)
        const fetched = byKey.get(key)
        if (!fetched) continue
        result.fetched += 1
        if (!sameValue(fetched, device)) result.differed += 1
      }
    }
  }
  ws.on('message', (data) => {
    const at = Date.now()
    const message = JSON.parse(data.toString()) as { NEW_DEVICE?: unknown }
    if (message.NEW_DEVICE === undefined) return
    frames += 1
    const device = toWifiDevice(message.NEW_DEVICE)
    gathered.push({ key: device.key, at, device })
    timer ??= setTimeout(() => {
      timer = undefined
      const batch = gathered
      gathered = []
      void fetchGathered(batch)
    }, FETCH_GATHER_MS)
  })
  return { result, close: () => ws.terminate(), frames: () => frames }
}

async function until(condition: () => boolean | Promise<boolean>, limitMs: number, what: string): Promise<void> {
  const deadline = Date.now() + limitMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not after ${limitMs} ms`)
    await sleep(50)
  }
}

interface RunResult {
  latencies: Latencies
  burst?: { latencies: number[]; missing: number; serviceRequests: number; fetchFirstRequests: number; fetchAddedMs: number[] }
  fetchFirst?: FetchFirst
  traffic: Traffic
}

/** One service (poll-only or with the eventbus) against a fresh simulator: events one at a time, then (with the eventbus) a burst. */
async function run(o: NewDeviceOptions, eventbus: boolean, log: (line: string) => void): Promise<RunResult> {
  const label = eventbus ? 'eventbus' : 'poll-only'
  const sim = startWorker('sim-worker.ts', { name: `sim-worker(new-device, ${label})` })
  const host = startWorker('server-host.ts', { name: `server-host(new-device, ${label})`, nodeArgs: ['--expose-gc'] })
  const created = new Map<string, number>()
  const raised = new Map<string, number>()
  const deviceAt = new Map<string, number>()
  const alertAt = new Map<string, number>()
  let duplicates = 0
  let done = false
  sim.onNotice((n) => {
    if (n.notice === 'added') {
      const { key, createdAt } = n.data as { key: string; createdAt: number }
      created.set(key, createdAt)
    }
    if (n.notice === 'alerted') {
      const { id, createdAt } = n.data as { id: string; createdAt: number }
      raised.set(id, createdAt)
    }
    if (n.notice === 'eventsDone') done = true
  })
  let listener: Awaited<ReturnType<typeof fetchFirstListener>> | undefined
  try {
    const { url: simUrl } = await sim.call<{ url: string }>('start', { devices: o.backgroundDevices, seed: 9, apiKey: API_KEY, manualClock: false })
    await sim.call('tick', { everyMs: 1000, share: 0.01 })
    const { url } = await host.call<{ url: string }>('startService', {
      env: { KISMET_ENABLED: 'true', KISMET_API_URL: simUrl, KISMET_API_KEY: API_KEY, DEVICE_TTL_S: '300', KISMET_EVENTBUS: eventbus ? 'on' : 'off' },
    })
    await until(
      async () => {
        const { tracked, state, eventbus: bus } = await host.call<{ tracked: number; state: string; eventbus: string }>('tracked')
        return state === 'connected' && tracked >= o.backgroundDevices && (!eventbus || bus === 'connected')
      },
      60_000,
      'initial load (and eventbus)',
    )
    if (eventbus) listener = await fetchFirstListener(simUrl)
    const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false })
    socket.on('event', (envelope: AnyEnvelope) => {
      const now = Date.now()
      if (envelope.type === 'device:update' && envelope.data.action === 'new') {
        if (deviceAt.has(envelope.data.device.key)) duplicates++
        else deviceAt.set(envelope.data.device.key, now)
      }
      if (envelope.type === 'alert:new') {
        if (alertAt.has(envelope.data.alert.id)) duplicates++
        else alertAt.set(envelope.data.alert.id, now)
      }
    })
    await new Promise<void>((resolve, reject) => {
      socket.once('connect_error', reject)
      socket.once('connect', () => socket.emit('subscribe', ['devices', 'alerts'], () => resolve()))
    })
    await sleep(DEFAULT_POLL_MS)
    const before = await host.call<Traffic>('sensorTraffic')
    await sim.call('eventsOverTime', { count: o.events, meanGapMs: o.meanGapMs })
    await until(() => done, o.events * o.meanGapMs * 4 + 30_000, 'the events')
    // The last ones need the next poll without the eventbus (plus a margin for the cycle itself).
    const settle = Date.now() + 2 * DEFAULT_POLL_MS + 1000
    while ((deviceAt.size < created.size || alertAt.size < raised.size) && Date.now() < settle) await sleep(50)
    const after = await host.call<Traffic>('sensorTraffic')

    const latencies: Latencies = { devices: [], alerts: [], missingDevices: 0, missingAlerts: 0, duplicates }
    for (const [key, at] of created) {
      const got = deviceAt.get(key)
      if (got === undefined) latencies.missingDevices++
      else latencies.devices.push(got - at)
    }
    for (const [id, at] of raised) {
      const got = alertAt.get(id)
      if (got === undefined) latencies.missingAlerts++
      else latencies.alerts.push(got - at)
    }
    const traffic: Traffic = {
      requests: after.requests - before.requests,
      bytes: after.bytes - before.bytes,
      polls: after.polls - before.polls,
      eventbusBytes: after.eventbusBytes - before.eventbusBytes,
      eventbusState: after.eventbusState,
    }
    log(
      `  ${label}: new device p50 ${fmt(quantile(latencies.devices, 0.5))} / p99 ${fmt(quantile(latencies.devices, 0.99))} ms, ` +
        `alert p50 ${fmt(quantile(latencies.alerts, 0.5))} / p99 ${fmt(quantile(latencies.alerts, 0.99))} ms ` +
        `(${latencies.devices.length} devices, ${latencies.alerts.length} alerts, missing ${latencies.missingDevices + latencies.missingAlerts}, twice ${duplicates}; ` +
        `${traffic.polls} polls, ${traffic.requests} requests to Kismet meanwhile)`,
    )
    const result: RunResult = { latencies, traffic }
    if (eventbus && listener) {
      result.fetchFirst = { ...listener.result, addedMs: new Map(listener.result.addedMs) }
      result.burst = await burst(o, sim, host, deviceAt, listener)
    }
    socket.disconnect()
    return result
  } finally {
    listener?.close()
    await host.stop()
    await sim.stop()
  }
}

async function burst(o: NewDeviceOptions, sim: Worker, host: Worker, deviceAt: Map<string, number>, listener: NonNullable<Awaited<ReturnType<typeof fetchFirstListener>>>): Promise<NonNullable<RunResult['burst']>> {
  const requestsBefore = listener.result.requests
  const before = await host.call<Traffic>('sensorTraffic')
  const { createdAt, keys } = await sim.call<{ createdAt: number; keys: string[] }>('burst', { count: o.burst })
  await until(() => keys.every((key) => deviceAt.has(key)) && keys.every((key) => listener.result.addedMs.has(key)), 30_000, 'the burst at the client and the fetch-first answers')
  const after = await host.call<Traffic>('sensorTraffic')
  return {
    latencies: keys.map((key) => deviceAt.get(key)! - createdAt),
    missing: keys.filter((key) => !deviceAt.has(key)).length,
    // The service's own requests while the burst arrived: its polls (POLL_INTERVAL_EVENTBUS_MS apart), none per device.
    serviceRequests: after.requests - before.requests,
    fetchFirstRequests: listener.result.requests - requestsBefore,
    fetchAddedMs: keys.map((key) => listener.result.addedMs.get(key)!),
  }
}

export async function runNewDevice(o: NewDeviceOptions, log: (line: string) => void): Promise<ScenarioResult> {
  log(`  at the default POLL_INTERVAL_MS=${DEFAULT_POLL_MS} (with the eventbus healthy the poll runs every POLL_INTERVAL_EVENTBUS_MS=${DEFAULT_EVENTBUS_POLL_MS})`)
  const pollOnly = await run(o, false, log)
  const pushed = await run(o, true, log)
  const q = (sample: number[], p: number) => quantile(sample, p)
  const devicesP99 = q(pushed.latencies.devices, 0.99)
  const alertsP99 = q(pushed.latencies.alerts, 0.99)
  const baseDevicesP99 = q(pollOnly.latencies.devices, 0.99)
  const baseAlertsP99 = q(pollOnly.latencies.alerts, 0.99)
  const complete = (r: RunResult) => r.latencies.missingDevices === 0 && r.latencies.missingAlerts === 0 && r.latencies.duplicates === 0
  const scenario = '5 new-device latency'
  const n = `${pushed.latencies.devices.length} devices, ${pushed.latencies.alerts.length} alerts`
  const rows: Row[] = [
    {
      scenario,
      metric: `creation -> device:update new at a client, p50 (${n}, POLL_INTERVAL_MS=${DEFAULT_POLL_MS})`,
      value: q(pushed.latencies.devices, 0.5),
      unit: 'ms',
      baselineLabel: 'poll-only, same run',
      baseline: q(pollOnly.latencies.devices, 0.5),
      ratio: q(pollOnly.latencies.devices, 0.5) / q(pushed.latencies.devices, 0.5),
      ratioLabel: 'poll-only / eventbus (x faster)',
      goal: 'info',
      met: null,
    },
    {
      scenario,
      metric: 'new device p99',
      value: devicesP99,
      unit: 'ms',
      baselineLabel: 'poll-only, same run',
      baseline: baseDevicesP99,
      ratio: baseDevicesP99 / devicesP99,
      ratioLabel: 'poll-only / eventbus (x faster)',
      goal: '<= 150 ms and >= 10x',
      met: devicesP99 <= 150 && baseDevicesP99 / devicesP99 >= 10 && complete(pushed) && complete(pollOnly),
    },
    {
      scenario,
      metric: 'creation -> alert:new at a client, p50',
      value: q(pushed.latencies.alerts, 0.5),
      unit: 'ms',
      baselineLabel: 'poll-only, same run',
      baseline: q(pollOnly.latencies.alerts, 0.5),
      ratio: q(pollOnly.latencies.alerts, 0.5) / q(pushed.latencies.alerts, 0.5),
      ratioLabel: 'poll-only / eventbus (x faster)',
      goal: 'info',
      met: null,
    },
    {
      scenario,
      metric: 'alert p99',
      value: alertsP99,
      unit: 'ms',
      baselineLabel: 'poll-only, same run',
      baseline: baseAlertsP99,
      ratio: baseAlertsP99 / alertsP99,
      ratioLabel: 'poll-only / eventbus (x faster)',
      goal: '<= 50 ms and >= 10x',
      met: alertsP99 <= 50 && baseAlertsP99 / alertsP99 >= 10 && complete(pushed) && complete(pollOnly),
    },
  ]
  const fetchFirst = pushed.fetchFirst
  if (fetchFirst) {
    const added = [...fetchFirst.addedMs.values()]
    log(
      `  fetch-first (not taken): adds p50 ${fmt(q(added, 0.5))} / p99 ${fmt(q(added, 0.99))} ms to each new device ` +
        `(gather ${FETCH_GATHER_MS} ms + one multikey round trip), ${fetchFirst.requests} requests for ${added.length} devices; ` +
        `the fetched record differed from the frame's for ${fetchFirst.differed} of ${fetchFirst.fetched}`,
    )
    rows.push({
      scenario,
      metric: `fetch-first alternative: latency it adds to a new device, p99 (gather ${FETCH_GATHER_MS} ms + multikey)`,
      value: q(added, 0.99),
      unit: 'ms',
      baselineLabel: 'announcing the frame: adds',
      baseline: 0,
      ratio: fetchFirst.differed,
      ratioLabel: `records the fetch changed, of ${fetchFirst.fetched}`,
      goal: 'info',
      met: null,
    })
  }
  const b = pushed.burst
  if (b) {
    log(
      `  burst of ${o.burst} new devices at once: at the client p50 ${fmt(q(b.latencies, 0.5))} / p99 ${fmt(q(b.latencies, 0.99))} ms (missing ${b.missing}); ` +
        `requests to Kismet meanwhile: ${b.serviceRequests} by the service (its polls), ${b.fetchFirstRequests} more would fetch-first cost ` +
        `(adding p99 ${fmt(q(b.fetchAddedMs, 0.99))} ms)`,
    )
    rows.push(
      {
        scenario,
        metric: `burst of ${o.burst} NEW_DEVICE at once: creation -> new at a client, p99`,
        value: q(b.latencies, 0.99),
        unit: 'ms',
        baselineLabel: 'poll-only p99, same run',
        baseline: baseDevicesP99,
        ratio: baseDevicesP99 / q(b.latencies, 0.99),
        ratioLabel: 'poll-only / eventbus',
        goal: 'info',
        met: null,
      },
      {
        scenario,
        metric: `burst of ${o.burst}: requests to Kismet while it arrived`,
        value: b.serviceRequests,
        unit: 'req',
        baselineLabel: 'fetch-first would add',
        baseline: b.fetchFirstRequests,
        ratio: o.burst / Math.max(1, b.serviceRequests + b.fetchFirstRequests),
        ratioLabel: 'devices per request, fetch-first',
        goal: 'not one per device',
        met: b.serviceRequests < o.burst / 100 && b.missing === 0,
      },
    )
  }
  return {
    rows,
    details: {
      options: o,
      defaults: { POLL_INTERVAL_MS: DEFAULT_POLL_MS, POLL_INTERVAL_EVENTBUS_MS: DEFAULT_EVENTBUS_POLL_MS },
      pollOnly: { ...pollOnly, fetchFirst: undefined },
      eventbus: { ...pushed, fetchFirst: fetchFirst && { ...fetchFirst, addedMs: [...fetchFirst.addedMs.values()] } },
    },
  }
}
