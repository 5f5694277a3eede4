// Several sensors in one stream: three simulators (each its own server UUID, devices and
// credential), one service reading them all over real HTTP, real Socket.IO clients. Every
// envelope says which sensor it is about; one sensor down, restarting or refusing its key
// changes nothing for the others; subscriptions narrow to sensors; one MAC across sensors.
import t, { type Test } from 'tap'
import type { AnyEnvelope, SubscribeOptions, SubscriptionAck, Topic } from '../../src/events.js'
import { SensorTables, tableDifferences } from '../faults/client-table.js'
import { startSensors, type SensorsHarness } from '../support/pipeline.js'
import { envelopeErrors } from '../support/schemas.js'
import { createClient, EnvelopeRecorder, waitFor, type ClientSocket } from '../support/socket.js'

const NAMES = ['north', 'south', 'east']

interface Watcher {
  client: ClientSocket
  recorder: EnvelopeRecorder
  tables: SensorTables
}

async function watch(t: Test, h: SensorsHarness, topics: Topic[], options?: SubscribeOptions): Promise<{ watcher: Watcher; ack: SubscriptionAck }> {
  const client = createClient(t, h.url)
  const recorder = new EnvelopeRecorder(client)
  const tables = new SensorTables()
  client.on('event', (envelope) => tables.apply(envelope))
  await waitFor(client, 'connected')
  const ack = await new Promise<SubscriptionAck>((resolve) =>
    options ? client.emit('subscribe', topics, options, resolve) : client.emit('subscribe', topics, resolve),
  )
  return { watcher: { client, recorder, tables }, ack }
}

/** Ends throttle windows, then waits until the watcher has the last envelope published so far. */
async function settle(h: SensorsHarness, w: Watcher, accept: (e: AnyEnvelope) => boolean = () => true): Promise<void> {
  h.advance(2500)
  const last = h.envelopes.filter(accept).at(-1)
  if (last) await w.recorder.until((got) => got.some((e) => e.id === last.id), 10_000)
}

/** Access points beacon all the time: Kismet hears them again, so a change of their client count is seen by the next incremental poll. */
function hearAccessPoints(h: SensorsHarness): void {
  for (const sim of Object.values(h.sims)) for (const device of sim.devices()) if (device.type === 'Wi-Fi AP') sim.touchDevice(device.key)
}

async function assertTablesEqualKismet(t: Test, h: SensorsHarness, w: Watcher, sensors: string[]): Promise<void> {
  for (const sensor of sensors) {
    const truth = await h.truth(sensor)
    t.ok(truth.length > 0, `${sensor} has devices`)
    t.same(tableDifferences(w.tables.table(sensor).table(), truth), [], `the client's table of ${sensor} equals that Kismet`)
  }
  t.same(w.tables.allAnomalies(), [], 'no anomaly in the stream')
}

t.test('three sensors: every envelope carries its sensor, and each table equals its Kismet', async (t) => {
  const h = await startSensors(t, NAMES)
  const { watcher: w } = await watch(t, h, ['devices', 'alerts', 'system', 'scan'])
  await h.cycle()
  for (const name of NAMES) h.sims[name]!.raiseAlert({ header: 'DEAUTHFLOOD' })
  const added = NAMES.map((name) => h.sims[name]!.addDevice().key)
  hearAccessPoints(h)
  h.advance(1000)
  await h.cycle()
  await settle(h, w)

  const sensorEvents = w.recorder.envelopes.filter((e) => e.type !== 'server:shutdown')
  t.same(sensorEvents.filter((e) => e.sensor === undefined || !NAMES.includes(e.sensor)).map((e) => e.type), [], 'each envelope names one of the sensors')
  t.same(sensorEvents.flatMap((e) => envelopeErrors(e)), [], 'every envelope matches its schema')
  for (const [index, name] of NAMES.entries()) {
    const news = sensorEvents.filter((e) => e.type === 'device:update' && e.data.action === 'new' && e.sensor === name).map((e) => e.type === 'device:update' && e.data.device.key)
    t.ok(news.includes(added[index]!), `${name}'s new device arrives tagged ${name}`)
    t.equal(w.tables.table(name).alerts.length, 1, `${name}'s alert arrives once, tagged ${name}`)
    const status = sensorEvents.filter((e) => e.type === 'system:status' && e.sensor === name).at(-1)
    t.ok(status?.type === 'system:status' && status.data.kismet.serverUuid === h.sims[name]!.serverUuid, `${name}'s system:status carries its Kismet's server UUID`)
  }
  await assertTablesEqualKismet(t, h, w, NAMES)

  const status = (await h.app.inject('/api/kismet/ws/status')).json() as { data: { kismet: { state: string; deviceCount: number }; sensors: Array<{ name: string; state: string; deviceCount: number; serverUuid: string }> } }
  t.same(status.data.sensors.map((s) => s.name), NAMES, '/status lists every sensor in configuration order')
  t.ok(status.data.sensors.every((s) => s.state === 'connected'))
  t.same(status.data.sensors.map((s) => s.serverUuid), NAMES.map((n) => h.sims[n]!.serverUuid))
  t.equal(status.data.kismet.deviceCount, status.data.sensors.reduce((sum, s) => sum + s.deviceCount, 0), 'the overall count adds them up')
  const stats = (await h.app.inject('/api/kismet/ws/stats')).json() as { data: { kismet: { polls: number }; sensors: Array<{ name: string; polls: number }> } }
  t.same(stats.data.sensors.map((s) => [s.name, s.polls]), NAMES.map((n) => [n, 2]), '/stats counts per sensor')
  t.equal(stats.data.kismet.polls, 6, 'and adds them up')
  const metrics = (await h.app.inject('/metrics')).body
  for (const name of NAMES) {
    t.match(metrics, new RegExp(`^kismet_ws_polls_total\\{sensor="${name}"\\} 2$`, 'm'), `/metrics: polls of ${name}`)
    t.match(metrics, new RegExp(`^kismet_ws_kismet_state\\{sensor="${name}",state="connected"\\} 1$`, 'm'))
  }
  t.equal((await h.app.inject('/ready')).statusCode, 200, 'ready: every sensor connected')
})

t.test('one sensor down, one restarted, one refusing its key: the others\' streams are untouched', async (t) => {
  const h = await startSensors(t, NAMES)
  const { watcher: w } = await watch(t, h, ['devices', 'alerts', 'system'])
  await h.cycle()
  await settle(h, w)
  const [north, south, east] = NAMES.map((name) => h.sims[name]!)

  // north goes away, south restarts keeping its devices, east starts refusing the key.
  await north!.goDown()
  south!.restart({ keepDevices: true })
  east!.setFault({ kind: 'status', status: 401 })
  const fromNorth = north!.addDevice().key
  const fresh = [south!.addDevice().key]
  h.advance(1000)
  await h.cycle()
  const states = Object.fromEntries(h.app.sensors.all().map((p) => [p.name, p.poller.state]))
  t.same(states, { north: 'backoff', south: 'connected', east: 'auth_failed' }, 'each sensor has its own state')

  // While north and east are failing, south keeps streaming.
  const from = w.recorder.envelopes.length
  fresh.push(south!.addDevice().key)
  south!.raiseAlert({ header: 'APSPOOF' })
  h.advance(1000)
  await h.app.sensors.get('south')!.poller.runCycle()
  await settle(h, w, (e) => e.sensor === 'south')
  const southEvents = w.recorder.envelopes.slice(from).filter((e) => e.sensor === 'south')
  t.ok(southEvents.some((e) => e.type === 'device:update' && e.data.action === 'new' && e.data.device.key === fresh[1]), 'south\'s new device arrives')
  t.ok(southEvents.some((e) => e.type === 'alert:new'), 'south\'s alert arrives')
  t.same(w.recorder.envelopes.slice(from).filter((e) => e.type === 'device:update' && e.sensor !== 'south'), [], 'nothing about the failing sensors\' devices meanwhile')
  const ready = await h.app.inject('/ready')
  t.equal(ready.statusCode, 503, 'not ready while sensors are missing')
  t.match(ready.json(), { ready: false, kismet: 'auth_failed', error: { message: /1 of 3 sensors connected/ } })

  // Both come back; everything converges, per sensor.
  await north!.comeUp()
  east!.setFault(null)
  hearAccessPoints(h)
  h.advance(1000)
  await h.cycle()
  await settle(h, w)
  t.same(Object.values(Object.fromEntries(h.app.sensors.all().map((p) => [p.name, p.poller.state]))), ['connected', 'connected', 'connected'])
  t.ok(w.tables.table('north').devices.has(fromNorth), 'north\'s device added while it was down arrives')
  await assertTablesEqualKismet(t, h, w, NAMES)
})

t.test('subscribe(topics, { sensors }): the snapshot and the events of those sensors only', async (t) => {
  const h = await startSensors(t, NAMES)
  await h.cycle()
  const { watcher: w, ack } = await watch(t, h, ['devices', 'system'], { sensors: ['south'] })
  t.same(ack, { ok: true, topics: ['devices', 'system'], subscriptions: { devices: { sensors: ['south'], batch: false }, system: { sensors: ['south'], batch: false } } })
  await w.recorder.until((got) => got.some((e) => e.type === 'device:snapshot' && e.data.chunk === e.data.chunks - 1))
  const snapshots = w.recorder.ofType('device:snapshot')
  t.same([...new Set(snapshots.map((e) => e.sensor))], ['south'], 'a snapshot of south only')
  t.same(snapshots.flatMap((e) => e.data.devices.map((d) => d.key)).sort(), (await h.truth('south')).map((d) => d.key), 'south\'s whole table')

  for (const name of NAMES) h.sims[name]!.addDevice()
  h.advance(1000)
  await h.cycle()
  await settle(h, w, (e) => e.sensor === 'south')
  t.same([...new Set(w.recorder.envelopes.map((e) => e.sensor))], ['south'], 'nothing of the other sensors')

  // Widening to two sensors sends the snapshot of the one added, in batched mode now.
  const widened = await new Promise<SubscriptionAck>((resolve) => w.client.emit('subscribe', ['devices'], { sensors: ['south', 'east'], batch: true }, resolve))
  t.match(widened, { ok: true, subscriptions: { devices: { sensors: ['east', 'south'], batch: true } } })
  await w.recorder.until((got) => got.some((e) => e.type === 'device:snapshot' && e.sensor === 'east'))
  t.equal(w.recorder.ofType('device:snapshot').filter((e) => e.sensor === 'south' && e.data.chunk === 0).length, 1, 'south\'s snapshot is not sent again')
  h.sims['east']!.addDevice()
  h.sims['north']!.addDevice()
  h.advance(1000)
  await h.cycle()
  // Batches go out on the service's (manual) clock.
  h.advance(20)
  await w.recorder.untilBatches((batches) => batches.flat().some((e) => e.sensor === 'east' && e.type === 'device:update'))
  t.notOk(w.recorder.batches.flat().some((e) => e.sensor === 'north'), 'north still excluded in batched mode')

  // A sensor that does not exist is refused, and nothing changes.
  const refused = await new Promise<SubscriptionAck>((resolve) => w.client.emit('subscribe', ['devices'], { sensors: ['west'] }, resolve))
  t.match(refused, { ok: false, error: { code: 'INVALID_SENSOR', message: /west/ } })
  const status = (await h.app.inject('/api/kismet/ws/status')).json() as { data: { websocket: { clientDetails: Array<{ subscriptions: unknown }> } } }
  t.same(status.data.websocket.clientDetails[0]!.subscriptions, { devices: { sensors: ['east', 'south'], batch: true }, system: { sensors: ['south'], batch: false } }, '/status shows each socket\'s subscriptions')
})

t.test('the same MAC heard by two sensors: GET /devices/by-mac/:mac gives both views', async (t) => {
  const h = await startSensors(t, NAMES)
  const mac = '00:40:96:AD:74:C7'
  h.sims['north']!.addDevice({ mac, type: 'Wi-Fi AP', ssid: 'Shared', signal: -70 })
  h.sims['east']!.addDevice({ mac, type: 'Wi-Fi AP', ssid: 'Shared', signal: -40 })
  await h.cycle()
  const res = await h.app.inject(`/api/kismet/ws/devices/by-mac/${mac.toLowerCase()}`)
  t.equal(res.statusCode, 200)
  const body = res.json() as { data: { mac: string; views: Array<{ sensor: string; device: { mac: string; signal: number; lastSeen: number } }> } }
  t.equal(body.data.mac, mac)
  t.same(body.data.views.map((v) => v.sensor), ['east', 'north'], 'both sensors, strongest signal first')
  t.same(body.data.views.map((v) => v.device.signal), [-40, -70])
  t.ok(body.data.views.every((v) => v.device.mac === mac && v.device.lastSeen > 0))
  t.same((await h.app.inject('/api/kismet/ws/devices/by-mac/00:00:00:00:00:01')).json(), { success: true, data: { mac: '00:00:00:00:00:01', views: [] } }, 'an unknown MAC has no view')
  const bad = await h.app.inject('/api/kismet/ws/devices/by-mac/not-a-mac')
  t.equal(bad.statusCode, 400)
  t.equal((bad.json() as { error: { code: string } }).error.code, 'BAD_REQUEST')
})

t.test('READY_MIN_SENSORS: ready with enough sensors connected', async (t) => {
  const h = await startSensors(t, NAMES, { env: { READY_MIN_SENSORS: '2' } })
  await h.sims['north']!.goDown()
  await h.cycle()
  t.equal((await h.app.inject('/ready')).statusCode, 200, '2 of 3 connected is enough')
  await h.sims['south']!.goDown()
  h.advance(1000)
  await h.cycle()
  t.equal((await h.app.inject('/ready')).statusCode, 503, '1 of 3 is not')
})
