// What goes on the TAK map and when, with time under the test's control (ManualClock): the
// policy (access points by default, clients opt-in, randomised MACs out, minimum signal,
// allow and deny lists), change detection with a minimum interval, the refresh before a
// marker goes stale, stale = last heard + TAK_STALE_S, at most TAK_MAX_DEVICES markers (most
// recently heard), the optional delete, the sensor's own marker, several sensors.
import t from 'tap'
import { ManualClock } from '../../src/clock.js'
import { EnvelopeFactory } from '../../src/envelope.js'
import type { Location, WifiDevice } from '../../src/events.js'
import { MarkerBook, TICK_MS, type CotMessage, type MarkerSettings } from '../../src/tak/markers.js'
import { parseMatcher } from '../../src/tak/policy.js'
import { cotProblems, parseCot } from '../support/cot.js'
import { makeDevice, T0 } from '../support/devices.js'

const AT: Location = { lat: 38.8895, lon: -77.0353, alt: 20, fix: 3 }
const SECOND = 1000

function settings(overrides: Partial<MarkerSettings> = {}, policy: Partial<MarkerSettings['policy']> = {}): MarkerSettings {
  return {
    staleMs: 300 * SECOND,
    refreshMs: 60 * SECOND,
    minIntervalMs: 5 * SECOND,
    maxDevices: 500,
    uidPrefix: 'kismet',
    uidWithSensor: false,
    sensorMarker: true,
    deleteOnRemove: false,
    types: { accessPoint: 'a-u-G', client: 'a-n-G', sensor: 'a-f-G-E-S' },
    ...overrides,
    policy: { includeClients: false, includeRandomized: false, minSignalDbm: null, allow: null, deny: parseMatcher([]), ...policy },
  }
}

/** A book fed as the event channel would feed it, over tables the test edits. */
function harness(s: MarkerSettings = settings()) {
  const clock = new ManualClock(T0)
  const factory = new EnvelopeFactory({ clock })
  const tables = new Map<string, Map<string, WifiDevice>>()
  const sent: CotMessage[] = []
  const book = new MarkerBook({ settings: s, clock, lookup: (sensor, key) => tables.get(sensor)?.get(key), emit: (m) => sent.push(m) })
  t.teardown(() => book.close())
  let taken = 0
  return {
    clock,
    book,
    sent,
    /** Kismet reports the device (new, changed or heard): the table holds it, the channel says so. */
    put(device: WifiDevice, sensor = 'default', action: 'new' | 'update' = 'update') {
      let table = tables.get(sensor)
      if (!table) tables.set(sensor, (table = new Map()))
      const known = table.has(device.key)
      table.set(device.key, device)
      book.handle(factory.create('device:update', { device, action: known ? action : 'new' }, sensor))
    },
    heard(device: WifiDevice, sensor = 'default') {
      tables.get(sensor)!.set(device.key, device)
      book.handle(factory.create('signal:update', { key: device.key, mac: device.mac, signal: device.signal, lastSeen: device.lastSeen, packets: device.packets, dataBytes: device.dataBytes }, sensor))
    },
    remove(device: WifiDevice, sensor = 'default') {
      tables.get(sensor)!.delete(device.key)
      book.handle(factory.create('device:update', { device, action: 'remove' }, sensor))
    },
    position(position: Location | null, sensor = 'default') {
      book.handle(factory.create('system:status', { kismet: { state: 'connected', connected: true, retries: 0 }, service: { uptime: 1, clients: 0, memoryRss: 1 }, sensor: { memoryRss: 1, ...(position && { position }) } }, sensor))
    },
    advance(ms: number) {
      clock.advance(ms)
    },
    /** Messages emitted since the last call. */
    take(): CotMessage[] {
      const fresh = sent.slice(taken)
      taken = sent.length
      return fresh
    },
  }
}

const located = (index: number, overrides: Partial<WifiDevice> = {}): WifiDevice => makeDevice(index, { mac: `00:40:96:00:00:${String(index).padStart(2, '0')}`, location: AT, lastSeen: T0, ...overrides })
const uids = (messages: CotMessage[]) => messages.map((m) => m.uid)

t.test('policy: access points with a location by default; clients, randomised MACs and weak signals only when asked', async (t) => {
  const h = harness(settings({}, { minSignalDbm: -80 }))
  const ap = located(1)
  const client = located(2, { type: 'Client', ssid: 'Probe' })
  const random = located(3, { mac: '02:11:22:33:44:55' })
  const weak = located(4, { signal: -85 })
  const silent = located(5, { signal: null })
  const nowhere = located(6, { location: null })
  const adhoc = located(7, { type: 'Ad-Hoc' })
  for (const device of [ap, client, random, weak, silent, nowhere, adhoc]) h.put(device)
  h.advance(TICK_MS)
  t.same(uids(h.take()).sort(), ['kismet-wifi-004096000001', 'kismet-wifi-004096000007'], 'the AP and the ad-hoc network, nothing else')

  const open = harness(settings({}, { includeClients: true, includeRandomized: true }))
  for (const device of [ap, client, random, weak, silent, nowhere]) open.put(device)
  open.advance(TICK_MS)
  const all = open.take()
  t.same(uids(all).sort(), ['kismet-wifi-004096000001', 'kismet-wifi-004096000002', 'kismet-wifi-004096000004', 'kismet-wifi-004096000005', 'kismet-wifi-021122334455'], 'everything with a location')
  t.match(all.find((m) => m.deviceKey === client.key)?.xml, 'type="a-n-G"', 'a client gets the client type')
})

t.test('policy: deny lists win; an allow list admits only what it names (by MAC, OUI or SSID)', async (t) => {
  const a = located(1, { ssid: 'Team-Net' })
  const b = located(2, { mac: 'F0:9F:C2:00:00:02', ssid: 'Cafe' })
  const c = located(3, { ssid: 'Lobby' })
  const denied = harness(settings({}, { deny: parseMatcher(['ssid:Team-Net', 'f0-9f-c2']) }))
  for (const device of [a, b, c]) denied.put(device)
  denied.advance(TICK_MS)
  t.same(denied.take().map((m) => m.deviceKey), [c.key], 'denied by SSID and by OUI')

  const allowed = harness(settings({}, { allow: parseMatcher([c.mac, 'ssid:Cafe']), deny: parseMatcher(['ssid:Cafe']) }))
  for (const device of [a, b, c]) allowed.put(device)
  allowed.advance(TICK_MS)
  t.same(allowed.take().map((m) => m.deviceKey), [c.key], 'only the allowed, and deny wins over allow')
  t.throws(() => parseMatcher(['not-a-mac']), /neither a MAC/)
})

t.test('timing: a change goes out at the next tick, then at most once per minimum interval, the latest state', async (t) => {
  const h = harness()
  let ap = located(1)
  h.put(ap)
  t.same(h.take(), [], 'nothing before the tick')
  h.advance(TICK_MS)
  const [first] = h.take()
  t.ok(first, 'the first event')
  t.same(cotProblems(first!.xml), [])
  t.equal(Date.parse(parseCot(first!.xml).event['stale']!), T0 + 300 * SECOND, 'stale = last heard + TAK_STALE_S')

  // Heard again, signal within 5 dB: nothing to say before the refresh.
  ap = { ...ap, signal: -62, lastSeen: T0 + 2 * SECOND }
  h.heard(ap)
  h.advance(TICK_MS)
  t.same(h.take(), [], 'a small signal change and a later last-heard are not a visible change')

  // Renamed, then moved, within the minimum interval: one event, at the interval's end, with both.
  ap = { ...ap, ssid: 'Renamed', lastSeen: T0 + 3 * SECOND }
  h.put(ap)
  h.advance(TICK_MS)
  ap = { ...ap, location: { ...AT, lat: 38.8995 }, lastSeen: T0 + 4 * SECOND }
  h.put(ap)
  h.advance(TICK_MS)
  t.same(h.take(), [], 'held back: the minimum interval (5 s) has not passed')
  h.advance(2 * TICK_MS)
  const [changed, ...more] = h.take()
  t.same(more, [])
  const parsed = parseCot(changed!.xml)
  t.equal((parsed.detail['contact'] as Record<string, string>)['callsign'], 'Renamed')
  t.equal(parsed.point['lat'], '38.8995', 'the latest state')
  t.equal(Date.parse(parsed.event['time']!) - Date.parse(parseCot(first!.xml).event['time']!), 5 * SECOND, 'exactly one minimum interval after the first')

  // A 5 dB step is a change.
  ap = { ...ap, signal: -66, lastSeen: T0 + 12 * SECOND }
  h.heard(ap)
  h.advance(5 * SECOND)
  t.same(h.take(), [], '4 dB from what was sent (-62) is no change')
  ap = { ...ap, signal: -67, lastSeen: T0 + 17 * SECOND }
  h.heard(ap)
  h.advance(TICK_MS)
  t.equal(h.take().length, 1, '5 dB from what was sent is')
})

t.test('refresh: an unchanged live marker is sent again every refresh period, until it goes stale', async (t) => {
  const h = harness(settings({ staleMs: 150 * SECOND, refreshMs: 60 * SECOND }))
  const ap = located(1)
  h.put(ap)
  h.advance(TICK_MS)
  t.equal(h.take().length, 1)
  h.advance(59 * SECOND)
  t.same(h.take(), [], 'nothing before the refresh period')
  h.advance(TICK_MS)
  const [refresh] = h.take()
  t.ok(refresh, 'refreshed after 60 s')
  t.equal(Date.parse(parseCot(refresh!.xml).event['stale']!), T0 + 150 * SECOND, 'still stale at last heard + TAK_STALE_S: a refresh never extends a device that is not heard')
  h.advance(60 * SECOND)
  t.equal(h.take().length, 1, 'again at 120 s')
  h.advance(60 * SECOND)
  t.same(h.take(), [], 'at 180 s it has been stale since 150 s: nothing more')
  t.equal(h.book.counts().devices, 0, 'no live marker')
  t.equal(h.clock.pending, 0, 'and no timer left running')

  // Heard again much later: back on the map at once.
  h.heard({ ...ap, lastSeen: T0 + 200 * SECOND })
  h.advance(TICK_MS)
  t.equal(h.take().length, 1, 'heard again: a marker again')
})

t.test('a device last heard longer ago than TAK_STALE_S is never published (no event born stale)', async (t) => {
  const h = harness()
  h.put(located(1, { lastSeen: T0 - 301 * SECOND }))
  h.advance(TICK_MS)
  t.same(h.take(), [])
})

t.test('cap: at most TAK_MAX_DEVICES markers, the most recently heard', async (t) => {
  const h = harness(settings({ maxDevices: 2 }))
  const a = located(1, { lastSeen: T0 - 30 * SECOND })
  const b = located(2, { lastSeen: T0 - 20 * SECOND })
  const c = located(3, { lastSeen: T0 - 10 * SECOND })
  // The initial load lists devices in Kismet's order, not by last heard.
  for (const device of [c, a, b]) h.put(device)
  h.advance(TICK_MS)
  t.same(h.take().map((m) => m.deviceKey).sort(), [b.key, c.key].sort(), 'the two most recently heard')
  t.same(h.book.counts(), { devices: 2, sensors: 0, candidates: 3 })
  h.heard({ ...a, lastSeen: T0 + 2 * SECOND })
  h.advance(TICK_MS)
  t.same(h.take().map((m) => m.deviceKey), [a.key], 'a is heard again and comes in')
  h.advance(60 * SECOND)
  t.same(h.take().map((m) => m.deviceKey).sort(), [a.key, c.key].sort(), 'b, pushed out, is no longer refreshed')
})

t.test('delete on remove: off by default; on, a t-x-d-d for a marker TAK clients may still show', async (t) => {
  const quiet = harness()
  const ap = located(1)
  quiet.put(ap)
  quiet.advance(TICK_MS)
  quiet.take()
  quiet.remove(ap)
  quiet.advance(TICK_MS)
  t.same(quiet.take(), [], 'no delete: the marker ages out')

  const h = harness(settings({ deleteOnRemove: true }))
  h.put(ap)
  h.advance(TICK_MS)
  h.take()
  h.remove(ap)
  h.advance(TICK_MS)
  const [removal] = h.take()
  t.match(removal, { kind: 'delete', uid: 'kismet-wifi-004096000001', deviceKey: ap.key })
  t.same(cotProblems(removal!.xml), [])
  t.match(removal!.xml, 'type="t-x-d-d"')
  t.same(h.book.live(), [], 'nothing live any more')

  const never = located(2, { lastSeen: T0 - 400 * SECOND })
  h.put(never)
  h.advance(TICK_MS)
  h.remove(never)
  h.advance(TICK_MS)
  t.same(h.take(), [], 'no delete for a device that was never on the map')
})

t.test("the sensor's own marker while Kismet has a fix, refreshed, gone with the fix", async (t) => {
  const h = harness()
  h.position(AT, 'north')
  h.advance(TICK_MS)
  const [marker] = h.take()
  t.match(marker, { kind: 'sensor', uid: 'kismet-sensor-north', sensor: 'north', deviceKey: null })
  t.same(cotProblems(marker!.xml), [])
  t.match(marker!.xml, 'type="a-f-G-E-S" how="m-g"')
  t.match(marker!.xml, 'callsign="Kismet north"')
  // Positions keep coming with every poll: refreshed every period, sent at once when it moves.
  for (let i = 0; i < 30; i++) {
    h.advance(2 * SECOND)
    h.position(AT, 'north')
  }
  t.equal(h.take().length, 1, 'one refresh in 60 s')
  h.position({ ...AT, lat: 38.9 }, 'north')
  h.advance(5 * SECOND)
  t.equal(h.take().length, 1, 'the sensor moved')
  h.position(null, 'north')
  h.advance(120 * SECOND)
  t.same(h.take(), [], 'no fix: no more refreshes')
  t.equal(h.book.counts().sensors, 1, 'its last event is valid until TAK_STALE_S after the last fix')

  const off = harness(settings({ sensorMarker: false }))
  off.position(AT)
  off.advance(TICK_MS)
  t.same(off.take(), [], 'TAK_SENSOR_MARKER=false: none')
})

t.test('several sensors: one marker per emitter, placed by the sensor that hears it strongest; or one per sensor', async (t) => {
  const h = harness()
  const north = located(1, { signal: -70, location: { ...AT, lat: 38.1 } })
  const south = { ...north, signal: -50, location: { ...AT, lat: 38.2 } }
  h.put(north, 'north')
  h.put(south, 'south')
  h.advance(TICK_MS)
  const [one, ...others] = h.take()
  t.same(others, [], 'one marker for the one MAC')
  t.match(one, { sensor: 'south' })
  t.equal(parseCot(one!.xml).point['lat'], '38.2', 'where the strongest sensor heard it')
  h.remove(south, 'south')
  h.advance(5 * SECOND)
  const [moved] = h.take()
  t.match(moved, { sensor: 'north', kind: 'device' }, 'south forgot it: north places it (no delete)')

  const split = harness(settings({ uidWithSensor: true }))
  split.put(north, 'north')
  split.put(south, 'south')
  split.advance(TICK_MS)
  t.same(uids(split.take()).sort(), ['kismet-north-wifi-004096000001', 'kismet-south-wifi-004096000001'], 'TAK_UID_SENSOR=true: one marker per sensor')
})

t.test('live(): the latest event of every live marker, for a stream that reconnects', async (t) => {
  const h = harness()
  h.put(located(1))
  h.put(located(2))
  h.position(AT)
  h.advance(TICK_MS)
  const sent = h.take()
  t.same(h.book.live().map((m) => m.uid).sort(), sent.map((m) => m.uid).sort())
  h.advance(301 * SECOND)
  t.same(h.book.live(), [], 'stale markers are not sent again')
})
