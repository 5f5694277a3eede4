// Filtered subscriptions against the Kismet simulator: `subscribe(['devices'], { filter })`.
// A filtered client's table, rebuilt from its snapshot and stream (ClientTable, SensorTables),
// must equal the simulator's devices that match the filter, after devices enter and leave
// it by every field, after updates, expiry, a resync and a reconnect; sockets with the same
// filter share one room and the filter is judged once per device change, not once per socket.
import t, { type Test } from 'tap'
import { compileFilter, parseFilter } from '../../src/device-filter.js'
import type { AnyEnvelope, ClientError, DeviceFilter, SubscribeOptions, SubscriptionAck, Topic, WifiDevice } from '../../src/events.js'
import { ClientTable, SensorTables, tableDifferences } from '../faults/client-table.js'
import { makeDevice } from '../support/devices.js'
import { startPipeline, startSensors, type Pipeline } from '../support/pipeline.js'
import { envelopeErrors } from '../support/schemas.js'
import { createClient, EnvelopeRecorder, waitFor, type ClientSocket } from '../support/socket.js'
import { startApp } from '../helper.js'
import { ManualClock } from '../../src/clock.js'
import { recoveryBufferSize } from '../../src/realtime/engine.js'

type Emit = (event: string, ...args: unknown[]) => void

interface Watcher {
  client: ClientSocket
  recorder: EnvelopeRecorder
  table: ClientTable
  tables: SensorTables
  /** Every envelope received, one by one or batched, in order. */
  received: AnyEnvelope[]
  ack: SubscriptionAck
}

function subscribe(client: ClientSocket, topics: Topic[], options?: unknown): Promise<SubscriptionAck> {
  return new Promise((resolve) => (client.emit as unknown as Emit)('subscribe', topics, ...(options === undefined ? [] : [options]), resolve))
}

async function watcher(t: Test, url: string, options: SubscribeOptions | undefined, connect: { reconnect?: boolean } = {}): Promise<Watcher> {
  const client = createClient(t, url, connect.reconnect ? { reconnection: true, reconnectionDelay: 50, reconnectionDelayMax: 100 } : {})
  const recorder = new EnvelopeRecorder(client)
  const table = new ClientTable()
  const tables = new SensorTables()
  const received: AnyEnvelope[] = []
  const apply = (envelope: AnyEnvelope) => {
    received.push(envelope)
    table.apply(envelope)
    tables.apply(envelope)
  }
  client.on('event', apply)
  client.on('events', (list) => list.forEach(apply))
  await waitFor(client, 'connected')
  const ack = await subscribe(client, ['devices'], options)
  return { client, recorder, table, tables, received, ack }
}

/** A ping round trip: what the server sent this client before answering has arrived. */
const roundTrip = (client: ClientSocket) => new Promise<number>((resolve) => client.emit('ping', 0, resolve))

/** Ends throttle windows and batch intervals, then waits until each watcher holds everything sent to it. */
async function settle(advance: (ms: number) => void, watchers: Watcher[]): Promise<void> {
  advance(2500)
  for (const w of watchers) await roundTrip(w.client)
}

function canonical(value: DeviceFilter): DeviceFilter {
  const parsed = parseFilter(value)
  if (!parsed.ok || !parsed.filter) throw new Error('bad filter in test')
  return parsed.filter
}

const matching = (devices: WifiDevice[], filter: DeviceFilter) => devices.filter(compileFilter(canonical(filter)))

async function assertMatches(t: Test, p: Pipeline, w: Watcher, filter: DeviceFilter, what: string): Promise<void> {
  const truth = matching(await p.truth(), filter)
  t.same(tableDifferences(w.table.table(), truth), [], `${what}: the table equals the matching devices (${truth.length})`)
  t.same(w.table.anomalies, [], `${what}: no anomaly`)
}

/** device:update envelopes about one key, as "action reason". */
function story(w: Watcher, key: string): string[] {
  return w.received.flatMap((e) => (e.type === 'device:update' && e.data.device.key === key ? [`${e.data.action}${e.data.reason ? ` ${e.data.reason}` : ''}`] : []))
}

interface FieldCase {
  field: keyof DeviceFilter
  filter: DeviceFilter
  /** A device that does not match yet (undefined: the device enters by arriving). */
  make?: (p: Pipeline) => string
  enter: (p: Pipeline, key: string | undefined) => string
  leave: (p: Pipeline, key: string) => void
  /** How it leaves: by the filter, or by the TTL (a MAC never changes). */
  leaveReason: 'filter' | 'expired'
}

const WATCHED_MAC = 'A4:B1:C2:00:11:22'
const RANDOM_MAC = 'DA:A1:19:33:44:55'

const FIELDS: FieldCase[] = [
  {
    field: 'ssid',
    filter: { ssid: 'watched' },
    make: (p) => p.sim.addDevice({ type: 'Wi-Fi AP', ssid: 'Other' }).key,
    enter: (p, key) => p.sim.updateDevice(key!, { ssid: 'My-WATCHED-Net', name: 'My-WATCHED-Net', commonname: 'My-WATCHED-Net' }).key,
    leave: (p, key) => p.sim.updateDevice(key, { ssid: 'Other', name: 'Other', commonname: 'Other' }),
    leaveReason: 'filter',
  },
  {
    field: 'types',
    filter: { types: ['Client'] },
    make: (p) => p.sim.addDevice({ type: 'Wi-Fi AP', ssid: 'Reclassified' }).key,
    enter: (p, key) => p.sim.updateDevice(key!, { type: 'Wi-Fi Client' }).key,
    leave: (p, key) => p.sim.updateDevice(key, { type: 'Wi-Fi AP' }),
    leaveReason: 'filter',
  },
  {
    field: 'minSignal',
    filter: { minSignal: -50 },
    make: (p) => p.sim.addDevice({ type: 'Wi-Fi AP', ssid: 'Faint', signal: -80 }).key,
    // Only the signal moves: the tracker says `signal`, the stream a signal:update.
    enter: (p, key) => p.sim.touchDevice(key!, { signal: -42 }).key,
    leave: (p, key) => p.sim.touchDevice(key, { signal: -88 }),
    leaveReason: 'filter',
  },
  {
    field: 'bands',
    filter: { bands: ['5'] },
    make: (p) => p.sim.addDevice({ type: 'Wi-Fi AP', ssid: 'Dual', channel: '6', frequency: 2_437_000 }).key,
    enter: (p, key) => p.sim.updateDevice(key!, { channel: '36', frequency: 5_180_000 }).key,
    leave: (p, key) => p.sim.updateDevice(key, { channel: '6', frequency: 2_437_000 }),
    leaveReason: 'filter',
  },
  {
    field: 'channels',
    filter: { channels: [11] },
    make: (p) => p.sim.addDevice({ type: 'Wi-Fi AP', ssid: 'Hopper', channel: '6', frequency: 2_437_000 }).key,
    enter: (p, key) => p.sim.updateDevice(key!, { channel: '11', frequency: 2_462_000 }).key,
    leave: (p, key) => p.sim.updateDevice(key, { channel: '1', frequency: 2_412_000 }),
    leaveReason: 'filter',
  },
  {
    field: 'encryption',
    filter: { encryption: ['open'] },
    make: (p) => p.sim.addDevice({ type: 'Wi-Fi AP', ssid: 'Opened', crypt: 'WPA2 WPA2-PSK AES-CCMP' }).key,
    enter: (p, key) => p.sim.updateDevice(key!, { crypt: 'Open' }).key,
    leave: (p, key) => p.sim.updateDevice(key, { crypt: 'WPA3 WPA3-SAE AES-CCMP' }),
    leaveReason: 'filter',
  },
  {
    field: 'macs',
    filter: { macs: [WATCHED_MAC] },
    enter: (p) => p.sim.addDevice({ mac: WATCHED_MAC, type: 'Wi-Fi AP', ssid: 'Watched' }).key,
    leave: () => {},
    leaveReason: 'expired',
  },
  {
    field: 'ouis',
    filter: { ouis: ['A4:B1:C2'] },
    enter: (p) => p.sim.addDevice({ mac: WATCHED_MAC, type: 'Wi-Fi AP', ssid: 'Vendor' }).key,
    leave: () => {},
    leaveReason: 'expired',
  },
  {
    field: 'randomized',
    filter: { randomized: true },
    enter: (p) => p.sim.addDevice({ mac: RANDOM_MAC, ssid: null, type: 'Wi-Fi Client' }).key,
    leave: () => {},
    leaveReason: 'expired',
  },
]

for (const c of FIELDS) {
  t.test(`filter on ${c.field}: a device enters and leaves, and the table always equals the matching devices`, async (t) => {
    const p = await startPipeline(t, { sim: { devices: 12 } })
    await p.cycle()
    const before = c.make?.(p)
    p.advance(1000)
    await p.cycle()
    const w = await watcher(t, p.url, { filter: c.filter })
    await settle(p.advance, [w])
    t.ok(w.table.snapshotComplete, 'a snapshot came')
    if (before !== undefined) t.notOk(w.table.devices.has(before), 'the device does not match yet: not in the snapshot')
    await assertMatches(t, p, w, c.filter, 'after the snapshot')

    const key = c.enter(p, before)
    p.advance(1000)
    await p.cycle()
    await settle(p.advance, [w])
    t.ok(w.table.devices.has(key), 'the device that started matching is in the table')
    t.same(story(w, key), [c.make ? 'new filter' : 'new'], c.make ? 'it arrived as new, reason filter' : 'it arrived as new (it is new)')
    await assertMatches(t, p, w, c.filter, 'after it entered')

    if (c.leaveReason === 'expired') {
      // Everything else keeps being heard; the watched device falls silent until the TTL.
      for (let i = 0; i < 4; i++) {
        p.advance(100_000)
        for (const device of p.sim.devices()) if (device.key !== key) p.sim.touchDevice(device.key)
        await p.cycle()
      }
    } else {
      c.leave(p, key)
      p.advance(1000)
      await p.cycle()
    }
    await settle(p.advance, [w])
    t.notOk(w.table.devices.has(key), 'the device that stopped matching left the table')
    t.same(story(w, key).slice(1), [`remove ${c.leaveReason}`], `it left as remove, reason ${c.leaveReason}`)
    await assertMatches(t, p, w, c.filter, 'after it left')
    t.same(w.received.flatMap(envelopeErrors), [], 'every envelope matches its schema')
  })
}

t.test('the ack and /status show the filter in canonical form; equal filters share one room; a bad filter is refused whole', async (t) => {
  const { app, url } = await startApp(t)
  const a = await watcher(t, url, { filter: { ssid: 'Lobby', channels: [11, 1, 6] } })
  const b = await watcher(t, url, { filter: { channels: [6, 1, 11, 6], ssid: 'LOBBY' }, batch: true })
  const expected = { ssid: 'lobby', channels: [1, 6, 11] }
  t.same(a.ack, { ok: true, topics: ['devices'], subscriptions: { devices: { sensors: null, batch: false, filter: expected } } })
  t.same(b.ack, { ok: true, topics: ['devices'], subscriptions: { devices: { sensors: null, batch: true, filter: expected } } })
  const filteredRooms = [...app.io.of('/').adapter.rooms.keys()].filter((room) => room.includes('~'))
  t.equal(filteredRooms.length, 2, `one per-event room and one batch room of the one filter: ${filteredRooms.join(', ')}`)
  t.equal(app.realtime.broadcaster.filters.size, 1, 'one filter registered for both')
  t.ok(filteredRooms.every((room) => room.length < 40), 'room names stay short')

  const status = (await app.inject('/api/kismet/ws/status')).json() as { data: { websocket: { clientDetails: Array<{ id: string; subscriptions: Record<string, unknown> }> } } }
  const details = status.data.websocket.clientDetails.find((c) => c.id === a.client.id)
  t.same(details?.subscriptions, { devices: { sensors: null, batch: false, filter: expected } }, '/status shows the filter')
  const stats = (await app.inject('/api/kismet/ws/stats')).json() as { data: { websocket: { filters: { distinct: number } } } }
  t.equal(stats.data.websocket.filters.distinct, 1)

  const refusals: Array<[string, Topic[], unknown]> = [
    ['an unknown field', ['devices'], { filter: { vendor: 'Apple' } }],
    ['a malformed MAC', ['devices'], { filter: { macs: ['not-a-mac'] } }],
    ['a filter that is not an object', ['devices'], { filter: 'AP' }],
    ['a filter on alerts', ['devices', 'alerts'], { filter: { ssid: 'x' } }],
  ]
  for (const [what, topics, options] of refusals) {
    const errorEvent = waitFor<ClientError>(a.client, 'error')
    const ack = await subscribe(a.client, topics, options)
    t.match(ack, { ok: false, error: { code: 'INVALID_FILTER' } }, `${what}: INVALID_FILTER`)
    t.equal((await errorEvent).code, 'INVALID_FILTER')
    const socket = app.io.of('/').sockets.get(a.client.id!)!
    t.same([...socket.rooms].filter((r) => r !== socket.id), filteredRooms.filter((r) => !r.startsWith('batch:')), `${what}: the subscription is unchanged`)
  }
  t.equal(app.stats.clientErrors.INVALID_FILTER, refusals.length, 'counted')
  const empty = await subscribe(a.client, ['devices'], { filter: {} })
  t.same(empty, { ok: true, topics: ['devices'], subscriptions: { devices: { sensors: null, batch: false } } }, 'an empty filter is no filter: the plain room')
})

t.test('100 sockets over 3 distinct filters: 3 rooms, 3 judgements per device change, each socket gets its own', async (t) => {
  const { app, url } = await startApp(t)
  const filters: DeviceFilter[] = [{ channels: [1] }, { channels: [6] }, { types: ['AP'], minSignal: -70 }]
  const watchers: Watcher[] = []
  for (let i = 0; i < 100; i++) watchers.push(await watcher(t, url, { filter: filters[i % 3]! }))
  const plain = await watcher(t, url, undefined)
  t.equal(app.realtime.broadcaster.filters.size, 3)
  t.equal([...app.io.of('/').adapter.rooms.keys()].filter((room) => room.includes('~')).length, 3, 'three rooms for 100 sockets')
  const before = app.stats.filterEvaluations
  const devices = Array.from({ length: 30 }, (_, i) => makeDevice(i, { channel: [1, 6, 11][i % 3]!, signal: -50 - i }))
  for (const device of devices) app.events.publish(app.envelopes.create('device:update', { device, action: 'new' }, 'default'))
  t.equal(app.stats.filterEvaluations - before, 3 * devices.length, 'each change judged once per distinct filter')
  for (const w of [...watchers, plain]) await roundTrip(w.client)
  for (const [i, w] of watchers.entries()) {
    const want = devices.filter(compileFilter(canonical(filters[i % 3]!))).map((d) => d.key).sort()
    if (!t.same([...w.table.devices.keys()].sort(), want, `socket ${i} has the devices of its filter`)) break
  }
  t.equal(plain.table.devices.size, devices.length, 'the unfiltered socket has them all')
})

t.test('an unfiltered subscription judges nothing', async (t) => {
  const { app, url } = await startApp(t)
  const w = await watcher(t, url, undefined)
  for (let i = 0; i < 20; i++) app.events.publish(app.envelopes.create('device:update', { device: makeDevice(i), action: 'new' }, 'default'))
  await roundTrip(w.client)
  t.equal(w.table.devices.size, 20)
  t.equal(app.stats.filterEvaluations, 0, 'no filter, no judgement')
})

t.test('changing the filter sends a fresh snapshot of the new selection', async (t) => {
  const p = await startPipeline(t, { sim: { devices: 30 } })
  await p.cycle()
  const first: DeviceFilter = { types: ['AP'] }
  const second: DeviceFilter = { types: ['Client'] }
  const w = await watcher(t, p.url, { filter: first })
  await settle(p.advance, [w])
  await assertMatches(t, p, w, first, 'first filter')
  const ack = await subscribe(w.client, ['devices'], { filter: second })
  t.match(ack, { ok: true, subscriptions: { devices: { filter: { types: ['Client'] } } } })
  await settle(p.advance, [w])
  t.equal(w.table.counts.snapshots, 2, 'a second snapshot')
  await assertMatches(t, p, w, second, 'second filter')
  await subscribe(w.client, ['devices'])
  await settle(p.advance, [w])
  t.equal(w.table.counts.snapshots, 3, 'dropping the filter is another selection too')
  t.same(tableDifferences(w.table.table(), await p.truth()), [], 'every device')
})

/** The devices of some sensors that match, as a SensorTables holds them. */
async function assertSensorsMatch(t: Test, truth: (sensor: string) => Promise<WifiDevice[]>, w: Watcher, sensors: string[], filter: DeviceFilter, what: string): Promise<void> {
  for (const sensor of sensors) {
    const want = matching(await truth(sensor), filter)
    t.same(tableDifferences(w.tables.table(sensor).table(), want), [], `${what}: ${sensor}'s table equals its matching devices (${want.length})`)
  }
  t.same(w.tables.allAnomalies(), [], `${what}: no anomaly`)
}

t.test('two sensors: filtered tables equal the matching devices after updates, expiry, a resync and a reconnect (per event and batched, all sensors and one)', async (t) => {
  const names = ['north', 'south']
  const h = await startSensors(t, names, { devices: 24, env: { DEVICE_TTL_S: '300' } })
  await h.cycle()
  // Signals drift by a few dB each time a device is heard: devices cross -70 both ways.
  const filter: DeviceFilter = { minSignal: -70, types: ['AP', 'Client'] }
  const perEvent = await watcher(t, h.url, { filter }, { reconnect: true })
  const batched = await watcher(t, h.url, { filter, batch: true, sensors: ['south'] })
  const watchers = [perEvent, batched]
  const check = async (what: string) => {
    await settle(h.advance, watchers)
    await assertSensorsMatch(t, h.truth, perEvent, names, filter, `${what} (per event)`)
    await assertSensorsMatch(t, h.truth, batched, ['south'], filter, `${what} (batched, south)`)
    t.same(batched.tables.bySensor.has('north'), false, 'the south-only client hears nothing of north')
  }
  await check('after the snapshot')

  const churn = (round: number) => {
    for (const name of names) {
      const sim = h.sims[name]!
      const keys = sim.devices().map((d) => d.key)
      for (const [i, key] of keys.entries()) {
        if ((i + round) % 2 === 0) sim.touchDevice(key, { signal: -55 - ((i * 7 + round * 13) % 30) })
      }
      sim.updateDevice(keys[round % keys.length]!, { name: `renamed-${round}`, commonname: `renamed-${round}` })
      sim.addDevice({ signal: round % 2 === 0 ? -60 : -85 })
      // Access points beacon all the time: Kismet hears them again, so a change of their
      // client count (a client came) is seen by the next incremental poll.
      for (const device of sim.devices()) if (device.type === 'Wi-Fi AP') sim.touchDevice(device.key)
    }
  }
  for (let round = 0; round < 3; round++) {
    churn(round)
    h.advance(1000)
    await h.cycle()
    await check(`after round ${round} of updates`)
  }
  const entered = perEvent.received.filter((e) => e.type === 'device:update' && e.data.reason === 'filter' && e.data.action === 'new').length
  const left = perEvent.received.filter((e) => e.type === 'device:update' && e.data.reason === 'filter' && e.data.action === 'remove').length
  t.ok(entered > 0 && left > 0, `devices entered (${entered}) and left (${left}) the filter`)

  // Expiry: half of north's devices fall silent for longer than the TTL.
  const north = h.sims['north']!
  const silent = north.devices().filter((_, i) => i % 2 === 0).map((d) => d.key)
  for (let i = 0; i < 4; i++) {
    h.advance(100_000)
    for (const name of names) for (const device of h.sims[name]!.devices()) if (!silent.includes(device.key)) h.sims[name]!.touchDevice(device.key)
    await h.cycle()
  }
  await check('after expiry')
  t.ok(perEvent.received.some((e) => e.type === 'device:update' && e.data.reason === 'expired'), 'matching devices left as remove, reason expired')

  // A resync: Kismet forgot some devices; a full read finds them gone.
  const south = h.sims['south']!
  const forgotten = south.devices().slice(0, 4).map((d) => d.key)
  for (const key of forgotten) south.removeDevice(key)
  await h.app.sensors.get('south')!.poller.refresh()
  await check('after a resync')

  // A reconnect: the per-event client's transport drops; what it misses is replayed.
  const serverSocket = h.app.io.of('/').sockets.get(perEvent.client.id!)!
  const reconnected = waitFor(perEvent.client, 'connect')
  serverSocket.conn.close()
  await waitFor(perEvent.client, 'disconnect')
  churn(7)
  h.advance(1000)
  await h.cycle()
  h.advance(2500)
  await reconnected
  t.equal(perEvent.client.recovered, true, 'the session was recovered')
  await check('after a reconnect')
  t.equal(perEvent.table.counts.snapshots, 2, 'no second snapshot: one per sensor, at the start only')
  t.same(perEvent.received.flatMap(envelopeErrors), [], 'every envelope matches its schema')
})

t.test('a filtered room nobody has come back to is forgotten after the recovery window, not before', async (t) => {
  const clock = new ManualClock()
  const { app, url } = await startApp(t, { clock, socket: { recoveryWindowMs: 60_000 } })
  const w = await watcher(t, url, { filter: { ssid: 'x' } })
  const publish = () => app.events.publish(app.envelopes.create('device:update', { device: makeDevice(1), action: 'new' }, 'default'))
  t.equal(app.realtime.broadcaster.filters.size, 1)
  const left = waitFor(w.client, 'disconnect')
  w.client.disconnect()
  await left
  await new Promise<void>((resolve) => {
    const check = () => (app.io.of('/').sockets.size === 0 ? resolve() : setImmediate(check))
    check()
  })
  clock.advance(59_000)
  publish()
  t.equal(app.realtime.broadcaster.filters.size, 1, 'kept within the window: a dropped client may come back to it')
  clock.advance(2_000)
  publish()
  t.equal(app.realtime.broadcaster.filters.size, 0, 'forgotten after it')
})

t.test('batched filtered rooms: each gets its devices in order once; rooms with the same batch share one packet', async (t) => {
  const clock = new ManualClock()
  const { app, url } = await startApp(t, { clock })
  const every = await watcher(t, url, { filter: { minSignal: -100 }, batch: true })
  const alsoEvery = await watcher(t, url, { filter: { types: ['AP', 'Client'] }, batch: true })
  const channel6 = await watcher(t, url, { filter: { channels: [6] }, batch: true })
  clock.advance(100)
  const devices = Array.from({ length: 40 }, (_, i) => makeDevice(i, { channel: i % 2 === 0 ? 6 : 11, signal: -50 }))
  const before = recoveryBufferSize(app.io)
  for (const device of devices) app.events.publish(app.envelopes.create('device:update', { device, action: 'new' }, 'default'))
  clock.advance(100)
  for (const w of [every, alsoEvery, channel6]) await roundTrip(w.client)
  const keys = (w: Watcher) => w.recorder.batches.flat().filter((e) => e.type === 'device:update').map((e) => e.type === 'device:update' && e.data.device.key)
  t.same(keys(every), devices.map((d) => d.key), 'every device, in order')
  t.same(keys(alsoEvery), devices.map((d) => d.key))
  t.same(keys(channel6), devices.filter((d) => d.channel === 6).map((d) => d.key), 'its own devices only')
  t.equal(recoveryBufferSize(app.io) - before, devices.length + 2, 'one packet per envelope for the per-event rooms, then one batch for the two alike and one for the third')
})

t.test('at most 100 distinct filters at once: the next is refused with INVALID_FILTER, a shared one still works', async (t) => {
  const { app, url } = await startApp(t)
  const sockets: Watcher[] = []
  for (let i = 0; i < 6; i++) sockets.push(await watcher(t, url, undefined))
  let n = 0
  // 20 per socket, within its burst: each switch leaves the previous filter registered (kept for the recovery window).
  for (const w of sockets.slice(0, 5)) for (let i = 0; i < 19; i++) t.equal((await subscribe(w.client, ['devices'], { filter: { channels: [n++ % 200 + 1], minSignal: -n } })).ok, true)
  t.equal(app.realtime.broadcaster.filters.size, 95)
  for (let i = 0; i < 5; i++) await subscribe(sockets[5]!.client, ['devices'], { filter: { ssid: `net-${i}` } })
  t.equal(app.realtime.broadcaster.filters.size, 100)
  const refused = await subscribe(sockets[5]!.client, ['devices'], { filter: { ssid: 'one too many' } })
  t.match(refused, { ok: false, error: { code: 'INVALID_FILTER', message: /Too many distinct filters/ } })
  const shared = await subscribe(sockets[5]!.client, ['devices'], { filter: { ssid: 'NET-0' } })
  t.equal(shared.ok, true, 'a filter in use can still be taken')
})

t.test('a batched filtered client that drops gets what it missed, entering and leaving included, once', async (t) => {
  const { app, url } = await startApp(t)
  const w = await watcher(t, url, { filter: { channels: [6] }, batch: true }, { reconnect: true })
  const publish = (device: WifiDevice, action: 'new' | 'update', changes?: Record<string, unknown>) =>
    app.events.publish(app.envelopes.create('device:update', { device, action, ...(changes && { changes }) }, 'default'))
  const a = makeDevice(1, { channel: 6 })
  const b = makeDevice(2, { channel: 6 })
  const c = makeDevice(3, { channel: 11 })
  for (const d of [a, b, c]) publish(d, 'new')
  app.realtime.broadcaster.flushBatches()
  await roundTrip(w.client)
  t.same([...w.table.devices.keys()].sort(), [a.key, b.key])

  const serverSocket = app.io.of('/').sockets.get(w.client.id!)!
  const reconnected = waitFor(w.client, 'connect')
  serverSocket.conn.close()
  await waitFor(w.client, 'disconnect')
  // While it is away: b leaves the filter, c enters it, a changes within it.
  publish({ ...b, channel: 1 }, 'update', { channel: 1 })
  publish({ ...c, channel: 6 }, 'update', { channel: 6 })
  publish({ ...a, name: 'renamed' }, 'update', { name: 'renamed' })
  app.realtime.broadcaster.flushBatches()
  await reconnected
  t.equal(w.client.recovered, true, 'the session was recovered')
  await roundTrip(w.client)
  t.same([...w.table.devices.keys()].sort(), [a.key, c.key], 'b left, c entered')
  t.equal(w.table.devices.get(a.key)?.name, 'renamed', 'a changed')
  t.same(story(w, b.key), ['new', 'remove filter'])
  t.same(story(w, c.key), ['new filter'])
  t.same(w.table.anomalies, [], 'nothing twice, nothing out of order')
})
