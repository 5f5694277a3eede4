// Push: the service holds the simulator's eventbus websocket (real HTTP upgrade, real frames)
// beside its polls, time under the test's control (ManualClock: the simulator's one-second
// tick, the service's 3 s watchdog, its reconnection delays and poll timers). Frames become
// events without waiting for a poll; a refused, dropped, stalled or garbled eventbus leaves
// the sensor to polling alone, losing nothing, and push comes back with the eventbus.
import t, { type Test } from 'tap'
import type { AnyEnvelope, SubscriptionAck, Topic } from '../../src/events.js'
import { EVENTBUS_REFUSED_RETRY_MS } from '../../src/kismet/eventbus.js'
import { ClientTable, tableDifferences } from '../faults/client-table.js'
import type { SimulatorOptions } from '../../sim/simulator.js'
import { startPipeline, type Pipeline } from '../support/pipeline.js'
import { envelopeErrors } from '../support/schemas.js'
import { createClient, EnvelopeRecorder, waitFor, type ClientSocket } from '../support/socket.js'

const HOUR = 3_600_000

interface Watcher {
  client: ClientSocket
  recorder: EnvelopeRecorder
  table: ClientTable
}

async function watch(t: Test, p: Pipeline, topics: Topic[] = ['devices', 'alerts', 'scan', 'system']): Promise<Watcher> {
  const client = createClient(t, p.url)
  const recorder = new EnvelopeRecorder(client)
  const table = new ClientTable()
  client.on('event', (envelope) => table.apply(envelope))
  await waitFor(client, 'connected')
  await new Promise<SubscriptionAck>((resolve) => client.emit('subscribe', topics, resolve))
  return { client, recorder, table }
}

/** A service with the eventbus connected, its first poll done, and a client watching. */
async function pushing(t: Test, options: { devices?: number; env?: Record<string, string>; sim?: SimulatorOptions } = {}): Promise<{ p: Pipeline; w: Watcher }> {
  const p = await startPipeline(t, { eventbus: true, sim: { devices: options.devices ?? 4, ...options.sim }, ...(options.env && { env: options.env }) })
  await p.cycle()
  await p.eventbusConnected()
  const w = await watch(t, p)
  p.take()
  return { p, w }
}

/** Device and alert requests the simulator answered (what a poll costs) since `from`. */
function pollRequests(p: Pipeline, from: number): string[] {
  return p.sim.requestLog.slice(from).map((entry) => entry.path).filter((path) => /^\/(devices|alerts)\//.test(path))
}

function alertsOf(envelopes: AnyEnvelope[]): string[] {
  return envelopes.flatMap((e) => (e.type === 'alert:new' ? [e.data.alert.id] : []))
}

function newKeys(envelopes: AnyEnvelope[]): string[] {
  return envelopes.flatMap((e) => (e.type === 'device:update' && e.data.action === 'new' ? [e.data.device.key] : []))
}

/**
 * A last poll that hears the access points first: they beacon all the time, so Kismet hears
 * them again, and the poll reads the client counts the new clients changed.
 */
async function finalPoll(p: Pipeline): Promise<void> {
  for (const device of p.sim.devices()) if (device.type === 'Wi-Fi AP') p.sim.touchDevice(device.key)
  await p.cycle()
}

async function converged(t: Test, p: Pipeline, w: Watcher): Promise<void> {
  const last = p.envelopes.at(-1)
  if (last) await w.recorder.until((got) => got.some((e) => e.id === last.id))
  t.same(tableDifferences(w.table.table(), await p.truth()), [], "the client's table equals Kismet's")
  t.same(w.table.anomalies, [], 'no anomaly in the stream (no second new, no alert twice)')
  const invalid = p.envelopes.flatMap((e) => envelopeErrors(e).map((err) => `${e.type}: ${err}`))
  t.same(invalid, [], 'every envelope matches its schema')
}

t.test('frames become events at once: a new device, an alert, a source change, the GPS position; no poll runs', async (t) => {
  const { p, w } = await pushing(t)
  t.equal(p.pipeline.poller.pollIntervalMs, 2 * HOUR, 'the eventbus is healthy: the poll runs at POLL_INTERVAL_EVENTBUS_MS')
  const from = p.sim.requestLog.length
  const polls = p.pipeline.stats.polls

  const device = p.sim.addDevice({ type: 'Wi-Fi AP', ssid: 'Cafe-Guest', name: 'Cafe-Guest', commonname: 'Cafe-Guest' })
  const fresh = await w.recorder.until((got) => newKeys(got).includes(device.key))
  const announced = fresh.find((e) => e.type === 'device:update' && e.data.device.key === device.key)
  t.equal(announced?.type === 'device:update' && announced.data.device.ssid, 'Cafe-Guest', 'the record the frame carried')

  const alert = p.sim.raiseAlert({ header: 'DEAUTHFLOOD' })
  await w.recorder.until((got) => alertsOf(got).includes(String(alert.hash)))

  const source = p.sim.datasources()[0]!
  p.sim.updateDatasource(source.uuid, { paused: true })
  await w.recorder.until((got) => got.some((e) => e.type === 'scan:status' && !e.data.scanning))
  t.ok(p.sim.requestLog.slice(from).some((entry) => entry.path === `/datasource/by-uuid/${source.uuid}/source.json`), 'that source was read again')

  p.sim.setGps({ lat: 38.8895, lon: -77.0353, alt: 20, fix: 3 })
  await p.second()
  t.same(p.pipeline.poller.position, { lat: 38.8895, lon: -77.0353, alt: 20, fix: 3 }, "the sensor's own position, from GPS_LOCATION")
  p.sim.setGps(null)
  await p.second()
  t.equal(p.pipeline.poller.position, null, 'no fix: no position')

  t.same(pollRequests(p, from), [], 'no device or alert request was made')
  t.equal(p.pipeline.stats.polls, polls, 'no poll cycle ran')
  await p.cycle()
  t.same(alertsOf(p.take()), [String(alert.hash)], 'the next poll reads the alert again: delivered once')
  await converged(t, p, w)
})

t.test('the eventbus refused (401, then 404): polling alone, nothing lost, and push again when it is back', async (t) => {
  const p = await startPipeline(t, { eventbus: true, sim: { devices: 3 } })
  p.sim.setEventbusFault({ kind: 'refuse', status: 401 })
  await p.cycle()
  const w = await watch(t, p)
  await p.until(() => p.pipeline.eventbus.state === 'refused', 'the refusal')
  t.equal(p.pipeline.poller.pollIntervalMs, HOUR, 'polling alone at POLL_INTERVAL_MS')
  p.take()

  const alert = p.sim.raiseAlert()
  const device = p.sim.addDevice()
  await p.second({ timestamp: false })
  t.same(p.take(), [], 'nothing without a poll')
  await p.cycle()
  const polled = p.take()
  t.same(alertsOf(polled), [String(alert.hash)], 'the poll delivers the alert')
  t.same(newKeys(polled), [device.key], 'and the device')

  // KISMET_EVENTBUS=on retries a refusal with the reconnection backoff: 404 next.
  p.sim.setEventbusFault({ kind: 'refuse', status: 404 })
  const refusals = p.pipeline.eventbusStats.refusals
  p.advance(2000)
  await p.until(() => p.pipeline.eventbusStats.refusals > refusals, 'a second refusal')
  t.equal(p.pipeline.eventbus.state, 'refused')

  p.sim.setEventbusFault(null)
  p.advance(4000)
  await p.eventbusConnected()
  t.equal(p.pipeline.poller.pollIntervalMs, 2 * HOUR, 'back to push: the slower poll')
  const later = p.sim.raiseAlert()
  await w.recorder.until((got) => alertsOf(got).includes(String(later.hash)))
  await finalPoll(p)
  await converged(t, p, w)
  t.equal(w.table.alerts.length, 2, 'every alert once')
})

t.test('auto mode: a refusal is retried slowly (every 5 minutes)', async (t) => {
  const p = await startPipeline(t, { eventbus: true, sim: { devices: 1 }, env: { KISMET_EVENTBUS: 'auto' } })
  p.sim.setEventbusFault({ kind: 'refuse', status: 404 })
  await p.cycle()
  await p.until(() => p.pipeline.eventbus.state === 'refused', 'the refusal')
  p.sim.setEventbusFault(null)
  for (let i = 0; i < 10; i++) await p.second({ timestamp: false })
  t.equal(p.pipeline.eventbus.state, 'refused', 'not retried within seconds')
  t.equal(p.pipeline.eventbusStats.refusals, 1)
  p.advance(EVENTBUS_REFUSED_RETRY_MS)
  await p.eventbusConnected()
  t.equal(p.pipeline.eventbusStats.fallbacks, 1, 'one fallback: the first refusal')
})

/** Waits for the poll the service runs at once when pushes stop (requestCycle: a timer due now). */
async function immediatePoll(p: Pipeline, pollsBefore: number): Promise<void> {
  p.advance(0)
  await p.until(() => p.pipeline.stats.polls > pollsBefore, 'the poll run when the eventbus went away')
}

/** How many times each alert id and each new device key went out. */
function deliveries(envelopes: AnyEnvelope[]): { alerts: Map<string, number>; news: Map<string, number> } {
  const alerts = new Map<string, number>()
  const news = new Map<string, number>()
  for (const id of alertsOf(envelopes)) alerts.set(id, (alerts.get(id) ?? 0) + 1)
  for (const key of newKeys(envelopes)) news.set(key, (news.get(key) ?? 0) + 1)
  return { alerts, news }
}

t.test('dropped, stalled, sending garbage: polling alone at once, nothing lost, push again when it is back', async (t) => {
  const { p, w } = await pushing(t)
  const raised: string[] = []
  for (const fault of ['drop', 'stall', 'garbage'] as const) {
    const fallbacks = p.pipeline.eventbusStats.fallbacks
    const polls = p.pipeline.stats.polls
    if (fault === 'drop') p.sim.dropEventbus()
    else p.sim.setEventbusFault({ kind: fault })
    // What happens while it is down reaches no client by push.
    const alert = p.sim.raiseAlert()
    const device = p.sim.addDevice()
    raised.push(String(alert.hash))
    if (fault === 'drop') await p.until(() => p.pipeline.eventbus.state === 'reconnecting', 'the drop to be noticed')
    else {
      for (let s = 0; s < 2; s++) await p.second({ timestamp: false })
      t.equal(p.pipeline.eventbus.state, 'connected', `${fault}: 2 s without TIMESTAMP is not dead yet`)
      await p.second({ timestamp: false })
      await p.until(() => p.pipeline.eventbus.state === 'reconnecting', `${fault}: 3 s without TIMESTAMP`)
    }
    t.equal(p.pipeline.eventbusStats.fallbacks, fallbacks + 1, `${fault}: counted as a fallback`)
    t.equal(p.pipeline.poller.pollIntervalMs, HOUR, `${fault}: the poll is back to POLL_INTERVAL_MS`)
    await immediatePoll(p, polls)
    await w.recorder.until((got) => alertsOf(got).includes(String(alert.hash)) && newKeys(got).includes(device.key))
    t.pass(`${fault}: the poll run at once delivered what the eventbus missed`)

    p.sim.setEventbusFault(null)
    await p.second({ timestamp: false }) // the reconnection delay (1 s)
    await p.eventbusConnected()
    t.equal(p.pipeline.poller.pollIntervalMs, 2 * HOUR, `${fault}: push again`)
    const after = p.sim.raiseAlert()
    raised.push(String(after.hash))
    await w.recorder.until((got) => alertsOf(got).includes(String(after.hash)))
  }
  const stats = p.pipeline.eventbusStats
  t.equal(stats.stalls, 2, 'the stall and the garbage were given up for want of TIMESTAMP')
  t.ok(stats.malformedFrames >= 3, `garbage frames counted (${stats.malformedFrames})`)
  t.equal(stats.reconnects, 3)
  await finalPoll(p)
  await converged(t, p, w)
  t.same(w.table.alerts.map((a) => a.id).sort(), [...raised].sort(), 'every alert, once')
})

t.test('an alert and a new device by push only, by poll only, and by both in either order: each delivered once', async (t) => {
  const { p, w } = await pushing(t)
  // Push only (the poll that follows reads it again).
  const pushOnly = p.sim.raiseAlert()
  const pushedDevice = p.sim.addDevice()
  await w.recorder.until((got) => alertsOf(got).includes(String(pushOnly.hash)) && newKeys(got).includes(pushedDevice.key))
  // Push, then poll.
  await p.cycle()
  // Poll, then push: the frames are held by a stalled eventbus, the poll comes first, then the stall ends.
  p.sim.setEventbusFault({ kind: 'stall' })
  const pollFirst = p.sim.raiseAlert()
  const polledDevice = p.sim.addDevice()
  await p.cycle()
  await w.recorder.until((got) => alertsOf(got).includes(String(pollFirst.hash)) && newKeys(got).includes(polledDevice.key))
  const frames = { ...p.pipeline.eventbusStats.frames }
  p.sim.setEventbusFault(null)
  await p.until(() => p.pipeline.eventbusStats.frames.ALERT > frames.ALERT && p.pipeline.eventbusStats.frames.NEW_DEVICE > frames.NEW_DEVICE, 'the held frames')
  // Poll only: the eventbus is refused; then it comes back.
  p.sim.setEventbusFault({ kind: 'refuse', status: 404 })
  p.sim.dropEventbus()
  await p.until(() => p.pipeline.eventbus.state === 'reconnecting', 'the drop')
  await p.second({ timestamp: false })
  await p.until(() => p.pipeline.eventbus.state === 'refused', 'the refusal')
  const pollOnly = p.sim.raiseAlert()
  const onlyPolled = p.sim.addDevice()
  await p.cycle()
  p.sim.setEventbusFault(null)
  for (let i = 0; i < 3 && p.pipeline.eventbus.state !== 'connecting'; i++) await p.second({ timestamp: false })
  await p.eventbusConnected()
  await finalPoll(p)
  await converged(t, p, w)
  const { alerts, news } = deliveries(p.envelopes)
  for (const alert of [pushOnly, pollFirst, pollOnly]) t.equal(alerts.get(String(alert.hash)), 1, `alert ${alert.hash} went out once`)
  for (const device of [pushedDevice, polledDevice, onlyPolled]) t.equal(news.get(device.key), 1, `device ${device.key}: one new`)
})

t.test('a burst of 3,000 NEW_DEVICE: 3,000 new at once, not one request to Kismet, and no second new from the poll', async (t) => {
  const { p, w } = await pushing(t, { devices: 2 })
  const from = p.sim.requestLog.length
  const keys: string[] = []
  for (let i = 0; i < 3000; i++) keys.push(p.sim.addDevice().key)
  await p.until(() => p.pipeline.tracker.size === 3002, 'every announced device in the table', 20_000)
  t.same(p.sim.requestLog.slice(from), [], 'the burst cost Kismet no request')
  await w.recorder.until((got) => newKeys(got).length >= 3000, 20_000)
  await finalPoll(p)
  await converged(t, p, w)
  const { news } = deliveries(p.envelopes)
  t.equal([...news.values()].filter((n) => n > 1).length, 0, 'no device got two new')
  t.equal(keys.filter((key) => news.get(key) === 1).length, 3000)
})

t.test('Kismet restarts with the eventbus open: reconnected, resynchronised, the alerts of before and after each once', async (t) => {
  const { p, w } = await pushing(t, { devices: 5, sim: { logDisabledAlert: true } })
  await p.cycle()
  const before = p.sim.raiseAlert()
  await w.recorder.until((got) => alertsOf(got).includes(String(before.hash)))
  const polls = p.pipeline.stats.polls
  p.advance(5000)
  p.sim.restart({ keepDevices: true })
  await p.until(() => p.pipeline.eventbus.state === 'reconnecting', 'the eventbus to go with the old process')
  await immediatePoll(p, polls)
  const logDisabled = p.sim.alerts().find((alert) => alert.header === 'LOGDISABLED')!
  await w.recorder.until((got) => alertsOf(got).includes(String(logDisabled.hash)))
  t.same(p.pipeline.alertBacklog.list().map((a) => a.id), [String(logDisabled.hash)], 'the backlog holds what the restarted Kismet holds')
  await p.second({ timestamp: false })
  await p.eventbusConnected()
  const device = p.sim.addDevice()
  const after = p.sim.raiseAlert()
  await w.recorder.until((got) => alertsOf(got).includes(String(after.hash)) && newKeys(got).includes(device.key))
  await finalPoll(p)
  await converged(t, p, w)
  const { alerts } = deliveries(p.envelopes)
  t.ok([...alerts.values()].every((n) => n === 1), 'every alert once')
  t.equal(alerts.size, 4, 'the two LOGDISABLED (one per start) and the two raised')
})

t.test('/status, /stats and /metrics show the eventbus: state, frames by topic, reconnects, fallbacks', async (t) => {
  const { p } = await pushing(t, { devices: 1 })
  p.sim.raiseAlert()
  p.sim.addDevice()
  await p.until(() => p.pipeline.eventbusStats.frames.ALERT === 1 && p.pipeline.eventbusStats.frames.NEW_DEVICE === 1, 'the frames')
  p.sim.dropEventbus()
  await p.until(() => p.pipeline.eventbus.state === 'reconnecting', 'the drop')
  await p.second({ timestamp: false })
  await p.eventbusConnected()
  const status = (await p.app.inject({ url: '/api/kismet/ws/status' })).json()
  const eventbus = status.data.sensors[0].eventbus
  t.equal(eventbus.state, 'connected')
  t.equal(eventbus.pollIntervalMs, 2 * HOUR)
  t.type(eventbus.since, 'number')
  const stats = (await p.app.inject({ url: '/api/kismet/ws/stats' })).json()
  const counters = stats.data.sensors[0].eventbus
  t.match(counters, { state: 'connected', reconnects: 1, fallbacks: 1, connects: 2, stalls: 0, refusals: 0, malformedFrames: 0 })
  t.match(counters.frames, { ALERT: 1, NEW_DEVICE: 1 })
  t.ok(counters.frames.TIMESTAMP >= 2 && counters.bytesReceived > 0)
  const metrics = (await p.app.inject({ url: '/metrics' })).body
  t.match(metrics, /kismet_ws_eventbus_state\{sensor="default",state="connected"\} 1/)
  t.match(metrics, /kismet_ws_eventbus_frames_total\{sensor="default",topic="NEW_DEVICE"\} 1/)
  t.match(metrics, /kismet_ws_eventbus_reconnects_total\{sensor="default"\} 1/)
  t.match(metrics, /kismet_ws_eventbus_fallbacks_total\{sensor="default"\} 1/)
  t.match(metrics, /kismet_ws_poll_interval_seconds\{sensor="default"\} 7200/)
})
