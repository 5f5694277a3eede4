// The signal history on its own: steps, the ring, positions, removal, and what the event
// channel feeds it.
import t from 'tap'
import { EnvelopeFactory } from '../../src/envelope.js'
import type { WifiDevice } from '../../src/events.js'
import { POSITION_CHANGES, SignalHistory } from '../../src/history/signal-history.js'

const T0 = 1_795_629_790_000 // a step boundary (divisible by 5,000 and 1,000)

function device(key: string, overrides: Partial<WifiDevice> = {}): WifiDevice {
  return {
    key,
    mac: 'AA:BB:CC:00:00:01',
    phy: 'IEEE802.11',
    name: 'Cafe',
    ssid: 'Cafe',
    type: 'AP',
    manufacturer: null,
    channel: 6,
    frequency: 2437,
    signal: -50,
    encryption: 'Open',
    firstSeen: T0,
    lastSeen: T0,
    packets: 1,
    dataBytes: 0,
    location: null,
    ...overrides,
  }
}

t.test('one sample per step: the last signal heard in it, at the step start', async (t) => {
  const history = new SignalHistory({ windowMs: 60_000, stepMs: 5_000 })
  history.record('north', 'k1', T0 + 100, -60)
  history.record('north', 'k1', T0 + 4_900, -55)
  history.record('north', 'k1', T0 + 5_000, -40.6)
  t.same(history.of('north', 'k1', T0 + 6_000).signal, [
    { t: T0, dbm: -55 },
    { t: T0 + 5_000, dbm: -41 },
  ])
  t.same(history.of('north', 'k1', T0 + 6_000).location, [], 'no location heard')
  t.same(history.of('south', 'k1', T0).signal, [], 'another sensor has no such device')
  t.same(history.of('north', 'k2', T0).signal, [], 'an unknown device has an empty history')
})

t.test('the window: older steps fall out as time moves and as the ring wraps', async (t) => {
  const history = new SignalHistory({ windowMs: 20_000, stepMs: 5_000 }) // 4 slots
  for (let i = 0; i < 6; i++) history.record('s', 'k', T0 + i * 5_000, -50 - i)
  t.same(
    history.of('s', 'k', T0 + 25_000).signal.map((s) => s.dbm),
    [-52, -53, -54, -55],
    'the ring keeps the last 4 steps',
  )
  t.same(history.of('s', 'k', T0 + 35_000).signal.map((s) => s.dbm), [-53, -54, -55], 'reading later shows only the steps within the window')
  t.same(history.of('s', 'k', T0 + 60_000).signal, [], 'nothing once the window has passed')

  // A gap longer than the ring empties it; a gap shorter empties the skipped slots only.
  history.record('s', 'k', T0 + 100_000, -70)
  t.same(history.of('s', 'k', T0 + 100_000).signal, [{ t: T0 + 100_000, dbm: -70 }])
  history.record('s', 'k', T0 + 110_000, -71)
  t.same(history.of('s', 'k', T0 + 110_000).signal, [
    { t: T0 + 100_000, dbm: -70 },
    { t: T0 + 110_000, dbm: -71 },
  ])
  // Late news of a step still in the ring is kept; older than the ring is dropped.
  history.record('s', 'k', T0 + 105_000, -72)
  history.record('s', 'k', T0 + 10_000, -99)
  t.same(
    history.of('s', 'k', T0 + 110_000).signal.map((s) => s.dbm),
    [-70, -72, -71],
  )
})

t.test('positions in 1e-7 degrees, carried into steps where only the signal moved', async (t) => {
  const history = new SignalHistory({ windowMs: 60_000, stepMs: 5_000 })
  history.record('s', 'k', T0, -50, { lat: 51.4778123, lon: -0.0014567, fix: 3 })
  history.record('s', 'k', T0 + 5_000, -51) // a signal:update: position unchanged
  history.record('s', 'k', T0 + 10_000, -52, null) // the device lost its location
  history.record('s', 'k', T0 + 15_000, -53)
  const { location, signal } = history.of('s', 'k', T0 + 15_000)
  t.equal(signal.length, 4)
  t.same(location, [
    { t: T0, lat: 51.4778123, lon: -0.0014567 },
    { t: T0 + 5_000, lat: 51.4778123, lon: -0.0014567 },
  ])
})

t.test('signals out of range are clamped, a null signal leaves the step empty', async (t) => {
  const history = new SignalHistory({ windowMs: 60_000, stepMs: 1_000 })
  history.record('s', 'k', T0, -300)
  history.record('s', 'k', T0 + 1_000, 200)
  history.record('s', 'k', T0 + 2_000, null)
  history.record('s', 'k', T0 + 3_000, Number.NaN)
  t.same(history.of('s', 'k', T0 + 3_000).signal.map((s) => s.dbm), [-127, 127])
})

t.test('a removed device leaves nothing, and its slots serve the next device', async (t) => {
  const history = new SignalHistory({ windowMs: 60_000, stepMs: 5_000 })
  history.record('s', 'old', T0, -40, { lat: 1, lon: 2, fix: 2 })
  const bytes = history.poolBytes
  history.forget('s', 'old')
  t.equal(history.size, 0)
  history.record('s', 'new', T0 + 5_000, -60)
  t.same(history.of('s', 'new', T0 + 5_000), { windowMs: 60_000, stepMs: 5_000, signal: [{ t: T0 + 5_000, dbm: -60 }], location: [] }, 'nothing of the old device shows')
  t.same(history.of('s', 'old', T0 + 5_000).signal, [])
  t.equal(history.poolBytes, bytes, 'the pools did not grow')
  history.forget('s', 'unknown')
  history.forgetSensor('s')
  t.equal(history.size, 0)
})

t.test('memory is fixed per device: 60 bytes of signal and 12 of bookkeeping at the defaults, in pages', async (t) => {
  const history = new SignalHistory()
  for (let i = 0; i < 10_000; i++) history.record('s', `k${i}`, T0, -50)
  t.equal(history.size, 10_000)
  const pages = Math.ceil(10_000 / 1024)
  t.equal(history.poolBytes, pages * 1024 * (60 + 12), 'whole pages of 1,024 devices, no position pages yet')
  for (let step = 0; step < 200; step++) history.record('s', 'k1', T0 + step * 5_000, -50 - (step % 40))
  t.equal(history.poolBytes, pages * 1024 * (60 + 12), 'a long history costs no more')
  t.equal(history.of('s', 'k1', T0 + 199 * 5_000).signal.length, 60)
  history.record('s', 'k2', T0, -50, { lat: 1, lon: 2, fix: 2 })
  t.equal(history.poolBytes, pages * 1024 * (60 + 12) + 1024 * POSITION_CHANGES * 12, 'positions: a page of their own, 12 bytes per change kept')
})

t.test('positions: changes are kept, the last POSITION_CHANGES of them', async (t) => {
  const history = new SignalHistory({ windowMs: 300_000, stepMs: 5_000 })
  const moves = POSITION_CHANGES + 4
  for (let i = 0; i < moves; i++) {
    history.record('s', 'k', T0 + i * 10_000, -50, { lat: 50 + i / 1000, lon: 8, fix: 3 })
    history.record('s', 'k', T0 + i * 10_000 + 5_000, -51, { lat: 50 + i / 1000, lon: 8, fix: 3 }) // not a change
  }
  const { signal, location } = history.of('s', 'k', T0 + moves * 10_000)
  t.equal(signal.length, moves * 2)
  t.equal(location.length, POSITION_CHANGES * 2, 'steps before the oldest change kept have no position')
  t.same(location.at(-1), { t: T0 + (moves - 1) * 10_000 + 5_000, lat: 50 + (moves - 1) / 1000, lon: 8 })
  t.same(location[0], { t: T0 + (moves - POSITION_CHANGES) * 10_000, lat: 50 + (moves - POSITION_CHANGES) / 1000, lon: 8 })
})

t.test('fed by envelopes: new, update, signal:update, remove; per sensor', async (t) => {
  const history = new SignalHistory({ windowMs: 60_000, stepMs: 5_000 })
  const factory = new EnvelopeFactory({ clock: { now: () => now, setTimeout: () => ({ id: 0 }), clearTimeout: () => {} } })
  let now = T0
  const north = factory.forSensor('north')
  const south = factory.forSensor('south')
  history.observe(north.create('device:update', { action: 'new', device: device('k', { signal: -45, location: { lat: 10, lon: 20, fix: 3 } }) }))
  history.observe(south.create('device:update', { action: 'new', device: device('k', { signal: -80 }) }))
  now += 5_000
  history.observe(north.create('signal:update', { key: 'k', mac: 'AA:BB:CC:00:00:01', signal: -47, lastSeen: now, packets: 2, dataBytes: 0 }))
  now += 5_000
  history.observe(north.create('device:update', { action: 'update', device: device('k', { name: 'Renamed', signal: -99 }), changes: { name: 'Renamed' } }))
  now += 5_000
  history.observe(north.create('device:update', { action: 'update', device: device('k', { signal: -49, channel: 11, location: { lat: 10, lon: 20, fix: 3 } }), changes: { channel: 11, signal: -49 } }))
  t.same(history.of('north', 'k', now).signal.map((s) => s.dbm), [-45, -47, -49], 'a rename alone adds no sample')
  t.same(history.of('north', 'k', now).location.length, 3, 'position at every step the device was heard')
  t.same(history.of('south', 'k', now).signal.map((s) => s.dbm), [-80], "the same key on another sensor is another device")
  history.observe(north.create('device:update', { action: 'remove', device: device('k') }))
  t.same(history.of('north', 'k', now).signal, [], 'removed')
  t.same(history.of('south', 'k', now).signal.length, 1, "the other sensor's device stays")
  history.observe(factory.create('server:shutdown', { message: 'bye' }))
  history.observe(north.create('scan:status', { scanning: true, devicesFound: 1, packetsProcessed: 1, errors: 0 }))
  t.equal(history.size, 1)
})

t.test('a window of 0 keeps nothing', async (t) => {
  const history = new SignalHistory({ windowMs: 0, stepMs: 5_000 })
  t.equal(history.enabled, false)
  history.record('s', 'k', T0, -50)
  t.equal(history.size, 0)
  t.same(history.of('s', 'k', T0), { windowMs: 0, stepMs: 5_000, signal: [], location: [] })
})
