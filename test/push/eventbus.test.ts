// Push: the service holds the simulator's eventbus websocket (real HTTP upgrade, real frames)
// beside its polls, time under the test's control (ManualClock: the simulator's one-second
// tick, the service's 3 s watchdog, its reconnection delays and poll timers). Frames become
// events without waiting for a poll; a refused, dropped, stalled or garbled eventbus leaves
// the sensor to polling alone, losing nothing, and push comes back with the eventbus.
import t, { type Test } from 'tap'
import type { AnyEnvelope, SubscriptionAck, Topic } from '../../src/events.js'
import { EVENTBUS_REFUSED_RETRY_MS } from '../../src/kismet/eventbus.js'
import { ClientTable, tableDifferences } from '../faults/client-table.js'
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
async function pushing(t: Test, options: { devices?: number; env?: Record<string, string> } = {}): Promise<{ p: Pipeline; w: Watcher }> {
  const p = await startPipeline(t, { eventbus: true, sim: { devices: options.devices ?? 4 }, ...(options.env && { env: options.env }) })
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
  await p.cycle()
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
