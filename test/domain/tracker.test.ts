import t from 'tap'
import { deviceWithKey as device, T0 } from '../support/devices.js'
import type { AnyEnvelope, WifiDevice } from '../../src/events.js'
import { envelopeErrors } from '../support/schemas.js'
import { DeviceTracker, diffDevices, type TrackerEvent } from '../../src/tracker.js'


const kinds = (events: TrackerEvent[]) => events.map((e) => `${e.kind}:${e.device.key}`)

t.test('a device seen for the first time is new; the stored object is the one given', async (t) => {
  const tracker = new DeviceTracker({ ttlMs: 300_000 })
  const a = device('01')
  t.same(tracker.ingest([a]), [{ kind: 'new', device: a }])
  t.equal(tracker.get('01'), a, 'stored as is, no copy')
  t.equal(tracker.size, 1)
})

t.test('an equal record yields nothing (overlapping polls), even as another object', async (t) => {
  const tracker = new DeviceTracker({ ttlMs: 300_000 })
  const a = device('01', { location: { lat: 48.1, lon: 11.5, fix: 3 } })
  tracker.ingest([a])
  const same = structuredClone(a)
  t.same(tracker.ingest([same]), [])
  t.equal(tracker.get('01'), a, 'the stored object is kept when nothing changed')
})

t.test('only live counters moved: signal', async (t) => {
  const tracker = new DeviceTracker({ ttlMs: 300_000 })
  const a = device('01')
  tracker.ingest([a])
  for (const moved of [{ signal: -55 }, { lastSeen: T0 + 1000 }, { packets: 101 }, { dataBytes: 5100 }, { signal: null }]) {
    const before = tracker.get('01')
    const next = { ...before!, ...moved }
    const events = tracker.ingest([next])
    t.same(events, [{ kind: 'signal', device: next, previous: before }], JSON.stringify(moved))
  }
})

t.test('any other change is an update with exactly the changed fields', async (t) => {
  const tracker = new DeviceTracker({ ttlMs: 300_000 })
  const a = device('01')
  tracker.ingest([a])
  const b = device('01', { name: 'renamed', channel: 11, frequency: 2462 })
  t.same(tracker.ingest([b]), [{ kind: 'update', device: b, previous: a, changes: { name: 'renamed', channel: 11, frequency: 2462 } }])
  const c = { ...b, encryption: 'WPA3-SAE', signal: -40, packets: 150 }
  const [event] = tracker.ingest([c])
  t.same(event, { kind: 'update', device: c, previous: b, changes: { encryption: 'WPA3-SAE', signal: -40, packets: 150 } }, 'live counters are included when they changed too')
})

t.test('changes: null/value transitions, optional fields and deep equality of location', async (t) => {
  const base = device('01')
  t.same(diffDevices(base, { ...base, ssid: null })?.changes, { ssid: null })
  t.same(diffDevices(base, { ...base, manufacturer: null, bssid: 'AA:BB:CC:DD:EE:FF' })?.changes, { manufacturer: null, bssid: 'AA:BB:CC:DD:EE:FF' })
  const located = { ...base, location: { lat: 48.1, lon: 11.5, alt: 520, fix: 3 } }
  t.same(diffDevices(base, located)?.changes, { location: { lat: 48.1, lon: 11.5, alt: 520, fix: 3 } })
  t.equal(diffDevices(located, { ...located, location: { lat: 48.1, lon: 11.5, alt: 520, fix: 3 } }), undefined, 'an equal location in another object is no change')
  t.equal(diffDevices(located, { ...located, location: { fix: 3, alt: 520, lon: 11.5, lat: 48.1 } }), undefined, 'key order does not matter')
  t.same(diffDevices(located, { ...located, location: { lat: 48.1, lon: 11.5, fix: 3 } })?.changes, { location: { lat: 48.1, lon: 11.5, fix: 3 } }, 'altitude lost')
  t.same(diffDevices(located, { ...located, location: { lat: 48.1, lon: 11.5001, alt: 520, fix: 3 } })?.liveOnly, false, 'a move is not a signal')
  const { clients: _clients, ...noClients } = base
  t.same(diffDevices(base, noClients)?.changes, { clients: null }, 'a field that disappeared is null (undefined would vanish in JSON)')
  t.equal(diffDevices(noClients, { ...noClients, clients: undefined }), undefined, 'absent and undefined are the same')
})

t.test('an AP that Kismet reclassifies as a client: the changes, as a client receives them, say what went', async (t) => {
  const ap = device('01', { clients: 4 })
  const { clients: _clients, ...rest } = ap
  const client: WifiDevice = { ...rest, type: 'Client', ssid: null, bssid: 'AA:BB:CC:00:00:77' }
  const changes = diffDevices(ap, client)?.changes
  const received = JSON.parse(JSON.stringify(changes)) as Record<string, unknown>
  t.same(received, { type: 'Client', ssid: null, clients: null, bssid: 'AA:BB:CC:00:00:77' })
  const envelope = { type: 'device:update', data: { device: client, action: 'update', changes }, timestamp: T0, id: 'r-1', sensor: 'default' } as AnyEnvelope
  t.same(envelopeErrors(envelope), [], 'null for a field that went is part of the contract')
})

t.test('duplicates of one key within a batch: the later wins, one event', async (t) => {
  const tracker = new DeviceTracker({ ttlMs: 300_000 })
  const first = device('01', { signal: -70 })
  const later = device('01', { signal: -50, name: 'later' })
  t.same(tracker.ingest([first, device('02'), later]).map((e) => [e.kind, e.device]), [['new', later], ['new', tracker.get('02')]])
  t.equal(tracker.get('01'), later)
  const update = device('01', { signal: -50, name: 'updated' })
  const events = tracker.ingest([update, later])
  t.same(events, [], 'the later record equals the stored one: nothing')
  t.equal(tracker.get('01'), later)
})

t.test('all() is an insertion-ordered snapshot; clear() empties', async (t) => {
  const tracker = new DeviceTracker({ ttlMs: 300_000 })
  tracker.ingest([device('03'), device('01'), device('02')])
  tracker.ingest([device('01', { name: 'x' })])
  const snapshot = tracker.all()
  t.same(snapshot.map((d) => d.key), ['03', '01', '02'], 'an update keeps the place')
  tracker.ingest([device('04')])
  t.equal(snapshot.length, 3, 'a snapshot does not follow later changes')
  tracker.clear()
  t.equal(tracker.size, 0)
  t.same(tracker.all(), [])
  t.same(kinds(tracker.ingest([device('01')])), ['new:01'], 'after clear a device is new again')
})

t.test('resync: survivors keep their identity, vanished devices are removed', async (t) => {
  const tracker = new DeviceTracker({ ttlMs: 300_000 })
  tracker.ingest([device('01'), device('02'), device('03'), device('04')])
  const removed2 = tracker.get('02')
  const events = tracker.resync([
    device('01'), // unchanged: nothing
    device('03', { signal: -42 }), // signal
    device('04', { name: 'renamed' }), // update
    device('05'), // new
  ])
  t.same(kinds(events), ['signal:03', 'update:04', 'new:05', 'remove:02'])
  t.equal(events.at(-1)?.device, removed2, 'remove carries the last state')
  t.same(tracker.all().map((d) => d.key), ['01', '03', '04', '05'])
  t.same(kinds(tracker.resync([])), ['remove:01', 'remove:03', 'remove:04', 'remove:05'], 'an empty table removes everything')
  t.equal(tracker.size, 0)
})

t.test('resync with duplicates and with an iterable that is not an array', async (t) => {
  const tracker = new DeviceTracker({ ttlMs: 300_000 })
  tracker.ingest([device('01'), device('02')])
  function* list() {
    yield device('01', { signal: -10 })
    yield device('01', { signal: -20 })
  }
  const events = tracker.resync(list())
  t.same(kinds(events), ['signal:01', 'remove:02'])
  t.equal(tracker.get('01')?.signal, -20)
})

t.test('expire removes devices with lastSeen < now - ttl, oldest first', async (t) => {
  const tracker = new DeviceTracker({ ttlMs: 300_000 })
  tracker.ingest([
    device('01', { lastSeen: T0 }),
    device('02', { lastSeen: T0 - 200_000 }),
    device('03', { lastSeen: T0 - 100_000 }),
    device('04', { lastSeen: T0 - 100_000 + 1 }),
    device('05', { lastSeen: T0 - 100_500 }),
  ])
  t.same(tracker.expire(T0 + 100_000), [], 'nothing older than the TTL yet')
  t.same(kinds(tracker.expire(T0 + 200_000)), ['remove:02', 'remove:05'], 'exactly at the cutoff stays')
  t.same(tracker.all().map((d) => d.key), ['01', '03', '04'])
  t.same(kinds(tracker.expire(T0 + 200_001)), ['remove:03'], 'strictly older than the cutoff, within one second')
  t.same(kinds(tracker.expire(T0 + 10_000_000)), ['remove:04', 'remove:01'])
  t.equal(tracker.size, 0)
})

t.test('expire follows lastSeen updates', async (t) => {
  const tracker = new DeviceTracker({ ttlMs: 60_000 })
  tracker.ingest([device('01', { lastSeen: T0 }), device('02', { lastSeen: T0 })])
  tracker.ingest([device('01', { lastSeen: T0 + 50_000 })])
  t.same(kinds(tracker.expire(T0 + 60_001)), ['remove:02'])
  t.same(kinds(tracker.expire(T0 + 110_000)), [], 'refreshed by the update')
  tracker.resync([device('01', { lastSeen: T0 + 100_000 })])
  t.same(kinds(tracker.expire(T0 + 160_000)), [])
  t.same(kinds(tracker.expire(T0 + 160_001)), ['remove:01'])
  t.same(tracker.expire(T0 + 10_000_000), [])
  t.same(kinds(tracker.ingest([device('01', { lastSeen: T0 + 10_000_000 })])), ['new:01'], 'an expired device comes back as new')
})

t.test('expire after a device was removed by resync does not resurrect or double-remove it', async (t) => {
  const tracker = new DeviceTracker({ ttlMs: 1000 })
  tracker.ingest([device('01', { lastSeen: T0 }), device('02', { lastSeen: T0 })])
  tracker.resync([device('02', { lastSeen: T0 })])
  t.same(kinds(tracker.expire(T0 + 5000)), ['remove:02'])
})

t.test('cheap at scale: 50,000 devices, batches of 500, expiry without a table scan', async (t) => {
  const tracker = new DeviceTracker({ ttlMs: 300_000 })
  const N = 50_000
  const table: WifiDevice[] = []
  for (let i = 0; i < N; i++) table.push(device(`K${i}`, { lastSeen: T0 - (i % 300) * 1000 }))
  let start = performance.now()
  const loaded = tracker.resync(table)
  const loadMs = performance.now() - start
  t.equal(loaded.length, N)

  start = performance.now()
  for (let poll = 0; poll < 100; poll++) {
    const batch: WifiDevice[] = []
    for (let j = 0; j < 500; j++) {
      const d = table[(poll * 500 + j) % N]!
      batch.push({ ...d, signal: -40 - (poll % 10), lastSeen: T0 + poll * 2000, packets: d.packets + poll })
    }
    tracker.ingest(batch)
    tracker.expire(T0 + poll * 2000)
  }
  const pollsMs = performance.now() - start
  t.equal(tracker.size, N, 'every device was refreshed in time')
  start = performance.now()
  const expired = tracker.expire(T0 + 300_000 + 100_000)
  const expireMs = performance.now() - start
  t.equal(expired.length, 25_000, 'the half not seen since the first 50 polls')
  t.equal(tracker.size, N - 25_000)
  t.comment(`resync 50k: ${loadMs.toFixed(1)} ms; 100 polls of 500 + expire: ${pollsMs.toFixed(1)} ms; expire ${expired.length}: ${expireMs.toFixed(1)} ms`)
  // Generous bounds: they only catch O(table) work per record.
  t.ok(pollsMs < 2000, 'polls stay cheap')
  t.ok(loadMs < 2000, 'resync stays cheap')
})

t.test('diffDevices covers every field of the contract, live counters apart', async (t) => {
  const { LIVE_COUNTER_FIELDS, WifiDeviceSchema } = await import('../../src/events.js')
  const base = device('01', { bssid: null, location: null })
  const changed: Record<string, unknown> = {
    key: 'other', mac: 'AA:BB:CC:00:00:99', phy: 'Bluetooth', name: 'x', ssid: 'y', type: 'Client', manufacturer: 'M', channel: 11,
    frequency: 2462, signal: -30, encryption: 'Open', firstSeen: 1, lastSeen: T0 + 1000, packets: 101, dataBytes: 5001,
    clients: 3, bssid: 'AA:BB:CC:00:00:01', location: { lat: 1, lon: 2, fix: 3 },
  }
  const fields = Object.keys(WifiDeviceSchema.properties)
  t.same(Object.keys(changed).sort(), [...fields].sort(), 'this test names every field')
  for (const field of fields) {
    const next = { ...base, [field]: changed[field] } as typeof base
    const diff = diffDevices(base, next)
    t.same(diff?.changes, { [field]: changed[field] }, `${field} is compared`)
    t.equal(diff?.liveOnly, (LIVE_COUNTER_FIELDS as readonly string[]).includes(field), `${field} live or not`)
  }
  t.equal(diffDevices(base, { ...base, location: null }), undefined, 'equal values: no diff')
  t.equal(
    diffDevices({ ...base, location: { lat: 1, lon: 2, fix: 3 } }, { ...base, location: { fix: 3, lon: 2, lat: 1 } }),
    undefined,
    'locations compare by value',
  )
})

t.test('a remove says why: expired (the TTL) or resync (a full read no longer lists it)', async (t) => {
  const tracker = new DeviceTracker({ ttlMs: 60_000 })
  tracker.ingest([device('01', { lastSeen: T0 }), device('02', { lastSeen: T0 })])
  const reasons = (events: TrackerEvent[]) => events.map((e) => (e.kind === 'remove' ? `${e.device.key}:${e.reason}` : e.kind))
  t.same(reasons(tracker.resync([device('01', { lastSeen: T0 })])), ['02:resync'])
  t.same(reasons(tracker.expire(T0 + 60_001)), ['01:expired'])
})
