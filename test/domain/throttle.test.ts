import t from 'tap'
import { deviceWithKey as device, T0 } from '../support/devices.js'
import { ManualClock } from '../../src/clock.js'
import { EnvelopeFactory } from '../../src/envelope.js'
import { LIVE_COUNTER_FIELDS, type Alert, type AnyEnvelope, type Envelope, type ScanStatusData, type SystemStatusData, type WifiDevice } from '../../src/events.js'
import { ServiceStats } from '../../src/stats.js'
import { DEFAULT_WINDOWS, EventThrottle, type ThrottleWindows } from '../../src/throttle.js'
import { DeviceTracker, type TrackerEvent } from '../../src/tracker.js'


function setup(windows?: Partial<ThrottleWindows>) {
  const clock = new ManualClock(T0)
  const stats = new ServiceStats()
  const factory = new EnvelopeFactory({ runId: 'run', clock, stats })
  let sent: AnyEnvelope[] = []
  const throttle = new EventThrottle({ clock, windows, factory, stats, publish: (envelope) => sent.push(envelope) })
  const tracker = new DeviceTracker({ ttlMs: 300_000 })
  /** Tracker events for these records, through the throttle, as the poller does. */
  const feed = (...devices: WifiDevice[]): TrackerEvent[] => {
    const events = tracker.ingest(devices)
    for (const event of events) throttle.device(event)
    return events
  }
  /** Applies a change to the stored state of a device and feeds it. */
  const change = (key: string, overrides: Partial<WifiDevice>): WifiDevice => {
    const next = { ...tracker.get(key)!, ...overrides }
    feed(next)
    return next
  }
  /** Envelopes sent since the last take(). */
  const take = (): AnyEnvelope[] => {
    const taken = sent
    sent = []
    return taken
  }
  return { clock, stats, factory, throttle, tracker, feed, change, take }
}

const summary = (envelopes: AnyEnvelope[]): string[] =>
  envelopes.map((e) => {
    if (e.type === 'device:update') return `${e.data.action}:${e.data.device.key}`
    if (e.type === 'signal:update') return `signal:${e.data.key}`
    return e.type
  })

const deviceUpdate = (e: AnyEnvelope | undefined): Envelope<'device:update'>['data'] => {
  if (e?.type !== 'device:update') throw new Error(`expected device:update, got ${e?.type}`)
  return e.data
}
const signalUpdate = (e: AnyEnvelope | undefined): Envelope<'signal:update'>['data'] => {
  if (e?.type !== 'signal:update') throw new Error(`expected signal:update, got ${e?.type}`)
  return e.data
}

const scan = (overrides: Partial<ScanStatusData> = {}): ScanStatusData => ({ scanning: true, devicesFound: 1, packetsProcessed: 10, errors: 0, ...overrides })
const system = (uptime: number): SystemStatusData => ({
  kismet: { state: 'connected', connected: true, retries: 0 },
  service: { uptime, clients: 1, memoryRss: 1 },
})

t.test('default windows are 500, 250, 1000, 2000 ms', async (t) => {
  t.same(DEFAULT_WINDOWS, { deviceUpdateMs: 500, signalMs: 250, scanMs: 1000, systemMs: 2000 })
  const { throttle } = setup({ signalMs: 100 })
  t.same(throttle.windows, { deviceUpdateMs: 500, signalMs: 100, scanMs: 1000, systemMs: 2000 })
})

t.test('new is delivered at once, with the device and no changes', async (t) => {
  const { feed, take, stats, clock } = setup()
  const a = device('01')
  feed(a)
  const [envelope, ...rest] = take()
  t.same(rest, [])
  t.same(deviceUpdate(envelope), { device: a, action: 'new' })
  t.equal(envelope?.timestamp, T0)
  t.equal(stats.eventsByType['device:update'], 1)
  t.equal(clock.pending, 0, 'a new leaves no timer behind')
})

t.test('many new devices in one poll all go out at once', async (t) => {
  const { feed, take, clock } = setup()
  feed(...Array.from({ length: 100 }, (_, i) => device(`K${i}`)))
  t.equal(take().length, 100)
  t.equal(clock.pending, 0)
})

t.test('update: leading edge delivered at once when nothing was sent within the window', async (t) => {
  const { feed, change, take, clock } = setup()
  feed(device('01'))
  take()
  clock.advance(2000)
  const next = change('01', { name: 'renamed' })
  const sent = take()
  t.same(summary(sent), ['update:01'])
  t.same(deviceUpdate(sent[0]), { device: next, action: 'update', changes: { name: 'renamed' } })
})

t.test('update: within the window the latest state wins, changes are merged, delivered at the end of the window', async (t) => {
  const { feed, change, take, clock, stats } = setup()
  feed(device('01'))
  change('01', { name: 'one' })
  t.same(summary(take()), ['new:01', 'update:01'])
  clock.advance(100)
  change('01', { channel: 11 })
  clock.advance(100)
  const latest = change('01', { encryption: 'WPA3-SAE', name: 'two' })
  t.same(take(), [], 'held during the window')
  clock.advance(299)
  t.same(take(), [], 'still held 1 ms before the end of the window')
  clock.advance(1)
  const sent = take()
  t.same(summary(sent), ['update:01'])
  t.same(deviceUpdate(sent[0]), { device: latest, action: 'update', changes: { name: 'two', channel: 11, encryption: 'WPA3-SAE' } })
  t.equal(sent[0]?.timestamp, T0 + 500, 'stamped when delivered')
  t.equal(stats.coalesced, 1, 'two updates became one envelope')
})

t.test('update: at most one per window for a device that keeps changing', async (t) => {
  const { feed, change, take, clock } = setup()
  feed(device('01'))
  take()
  const times: number[] = []
  for (let i = 1; i <= 20; i++) {
    change('01', { name: `name-${i}` })
    for (const e of take()) times.push(e.timestamp - T0)
    clock.advance(100)
  }
  clock.advance(1000)
  for (const e of take()) times.push(e.timestamp - T0)
  t.same(times, [0, 500, 1000, 1500, 2000], 'leading edge, then one per window, trailing at the end')
})

t.test('update: the window closes after a quiet period, the next update is a leading edge again', async (t) => {
  const { feed, change, take, clock } = setup()
  feed(device('01'))
  change('01', { name: 'a' })
  take()
  clock.advance(500)
  t.same(take(), [], 'nothing pending, nothing sent at the end of the window')
  clock.advance(10)
  change('01', { name: 'b' })
  t.same(summary(take()), ['update:01'])
  t.equal(clock.pending, 2, 'one timer per window queue (the update window, and the signal window it restarted)')
  clock.advance(500)
  t.equal(clock.pending, 0, 'no timer once every window closed')
})

t.test('update: changes are the difference from what the room was last sent', async (t) => {
  const { feed, change, take, clock } = setup()
  const original = device('01', { name: 'orig', channel: 6 })
  feed(original)
  change('01', { name: 'sent' })
  t.same(deviceUpdate(take()[1]).changes, { name: 'sent' })
  change('01', { name: 'orig', channel: 11 })
  change('01', { channel: 6, manufacturer: 'Other' })
  clock.advance(500)
  t.same(deviceUpdate(take()[0]).changes, { name: 'orig', manufacturer: 'Other' }, 'channel changed and changed back: not in changes')
})

t.test('update: a change that changed back within the window sends nothing', async (t) => {
  const { feed, change, take, clock, stats } = setup()
  feed(device('01', { name: 'a' }))
  change('01', { name: 'b' })
  take()
  change('01', { name: 'c' })
  change('01', { name: 'b' })
  clock.advance(500)
  t.same(take(), [])
  t.equal(stats.coalesced, 2)
  t.equal(stats.eventsByType['device:update'], 2, 'the new and the first update')
  clock.advance(5000)
  t.equal(clock.pending, 0)
})

t.test('update: throttled per device, devices are independent', async (t) => {
  const { feed, change, take, clock } = setup()
  feed(device('01'), device('02'))
  take()
  change('01', { name: 'x' })
  clock.advance(200)
  change('01', { name: 'y' })
  change('02', { name: 'x' })
  t.same(summary(take()), ['update:01', 'update:02'], 'device 02 has its own window')
  clock.advance(300)
  t.same(summary(take()), ['update:01'])
  clock.advance(200)
  t.same(take(), [])
})

t.test('update is never delivered before the device\'s new', async (t) => {
  const { feed, change, take } = setup()
  feed(device('01'))
  change('01', { name: 'x' })
  t.same(summary(take()), ['new:01', 'update:01'])
})

t.test('new is never delayed and supersedes what was pending for that key', async (t) => {
  const { throttle, tracker, feed, change, take, clock, stats } = setup()
  feed(device('01'))
  change('01', { name: 'a' })
  change('01', { name: 'b' })
  take()
  // The tracker was cleared (e.g. rebuilt) and sees the device again.
  tracker.clear()
  const again = device('01', { name: 'c' })
  feed(again)
  t.same(take().map((e) => e.type === 'device:update' && [e.data.action, e.data.device]), [['new', again]])
  t.equal(stats.coalesced, 1, 'the pending update went into the new')
  t.equal(throttle.pending, 0)
  clock.advance(1000)
  t.same(take(), [])
})

t.test('remove is delivered at once and cancels a pending update', async (t) => {
  const { throttle, tracker, feed, change, take, clock, stats } = setup()
  feed(device('01'))
  change('01', { name: 'a' })
  change('01', { name: 'b' })
  take()
  t.equal(throttle.pending, 1)
  const last = tracker.get('01')
  for (const event of tracker.resync([])) throttle.device(event)
  const sent = take()
  t.same(deviceUpdate(sent[0]), { device: last, action: 'remove', reason: 'resync' }, 'with the reason: a full read no longer lists it')
  t.equal(sent.length, 1)
  t.equal(throttle.pending, 0)
  t.equal(stats.coalesced, 1)
  clock.advance(1000)
  t.same(take(), [], 'the cancelled update never comes')
  t.equal(clock.pending, 0)
})

t.test('remove cancels a pending signal', async (t) => {
  const { throttle, tracker, feed, change, take, clock } = setup()
  feed(device('01'))
  change('01', { signal: -50 })
  change('01', { signal: -40 })
  t.same(summary(take()), ['new:01', 'signal:01'])
  for (const event of tracker.expire(T0 + 1_000_000)) throttle.device(event)
  t.same(summary(take()), ['remove:01'])
  clock.advance(1000)
  t.same(take(), [])
})

t.test('a device removed and seen again starts clean', async (t) => {
  const { throttle, tracker, feed, change, take, clock } = setup()
  feed(device('01'))
  change('01', { name: 'a' })
  for (const event of tracker.resync([])) throttle.device(event)
  feed(device('01', { name: 'back' }))
  change('01', { name: 'again' })
  t.same(summary(take()), ['new:01', 'update:01', 'remove:01', 'new:01', 'update:01'], 'the update after the new is a leading edge')
  clock.advance(1000)
  t.same(take(), [])
})

t.test('signal: leading edge at once, payload is the live counters of the latest state', async (t) => {
  const { feed, change, take } = setup()
  feed(device('01'))
  take()
  const next = change('01', { signal: -42, lastSeen: T0 + 1000, packets: 120, dataBytes: 6000 })
  const sent = take()
  t.same(summary(sent), ['signal:01'])
  t.same(signalUpdate(sent[0]), { key: '01', mac: next.mac, signal: -42, lastSeen: T0 + 1000, packets: 120, dataBytes: 6000 })
})

t.test('signal: one per 250 ms window, latest counters at the end of the window', async (t) => {
  const { feed, change, take, clock, stats } = setup()
  feed(device('01'))
  take()
  change('01', { signal: -50 })
  clock.advance(50)
  change('01', { signal: -51, packets: 101 })
  clock.advance(50)
  change('01', { signal: -52, packets: 102 })
  t.same(summary(take()), ['signal:01'])
  clock.advance(150)
  const sent = take()
  t.same(sent.map((e) => [e.timestamp - T0, signalUpdate(e).signal, signalUpdate(e).packets]), [[250, -52, 102]])
  t.equal(stats.coalesced, 1)
  t.equal(stats.eventsByType['signal:update'], 2)
})

t.test('signal: a counter that moved and moved back within the window sends nothing', async (t) => {
  const { feed, change, take, clock } = setup()
  feed(device('01'))
  change('01', { signal: -50 })
  take()
  change('01', { signal: -70 })
  change('01', { signal: -50 })
  clock.advance(250)
  t.same(take(), [])
})

t.test('a delivered device:update drops the pending signal; the signal window starts afresh', async (t) => {
  const { feed, change, take, clock, stats } = setup()
  feed(device('01'))
  change('01', { signal: -50 })
  t.same(summary(take()), ['new:01', 'signal:01'])
  clock.advance(100)
  change('01', { signal: -45 }) // pending signal
  clock.advance(50)
  const latest = change('01', { name: 'renamed', packets: 200 }) // update window closed: leading edge
  const sent = take()
  t.same(summary(sent), ['update:01'])
  t.same(deviceUpdate(sent[0]), { device: latest, action: 'update', changes: { name: 'renamed', signal: -45, packets: 200 } })
  t.equal(stats.coalesced, 1, 'the pending signal went into the update')
  clock.advance(100)
  t.same(take(), [], 'the dropped signal never comes')
  change('01', { signal: -30 })
  t.same(take(), [], 'a signal 100 ms after the update waits for its fresh window')
  clock.advance(150)
  t.same(summary(take()), ['signal:01'], 'delivered 250 ms after the update')
  t.equal(take().length, 0)
})

t.test('signal changes while an update is pending ride along in that update', async (t) => {
  const { feed, change, take, clock, stats } = setup()
  feed(device('01'))
  change('01', { name: 'a' })
  take()
  change('01', { name: 'b' })
  change('01', { signal: -30 })
  const latest = change('01', { signal: -31, lastSeen: T0 + 2000 })
  clock.advance(500)
  const sent = take()
  t.same(summary(sent), ['update:01'], 'no separate signal:update')
  t.same(deviceUpdate(sent[0]), { device: latest, action: 'update', changes: { name: 'b', signal: -31, lastSeen: T0 + 2000 } })
  t.equal(stats.coalesced, 2)
})

t.test('a pending update whose other changes were reverted goes out as a signal:update', async (t) => {
  const { feed, change, take, clock } = setup()
  feed(device('01', { name: 'a' }))
  change('01', { name: 'b' })
  take()
  change('01', { name: 'a' })
  change('01', { signal: -33 })
  change('01', { name: 'b' })
  t.same(take(), [])
  clock.advance(500)
  const sent = take()
  t.same(summary(sent), ['signal:01'], 'only the live counters differ from what was sent')
  t.equal(signalUpdate(sent[0]).signal, -33)
})

t.test('alert:new is delivered at once, every time, never throttled', async (t) => {
  const { throttle, take, stats, clock } = setup()
  const alert = (id: string): Alert => ({ id, type: 'kismet', timestamp: T0, severity: 'high', message: 'm', header: 'DEAUTHFLOOD', class: 'DENIAL', read: false })
  throttle.alert(alert('1'))
  throttle.alert(alert('2'))
  throttle.alert(alert('3'))
  const sent = take()
  t.same(sent.map((e) => e.type === 'alert:new' && e.data.alert.id), ['1', '2', '3'])
  t.equal(stats.eventsByType['alert:new'], 3)
  t.equal(stats.coalesced, 0)
  t.equal(clock.pending, 0)
})

t.test('scan:status: leading edge, one per 1000 ms window, latest value wins', async (t) => {
  const { throttle, take, clock, stats } = setup()
  throttle.scanStatus(scan({ devicesFound: 1 }))
  t.same(take().map((e) => e.type === 'scan:status' && e.data.devicesFound), [1])
  clock.advance(400)
  throttle.scanStatus(scan({ devicesFound: 2 }))
  clock.advance(400)
  throttle.scanStatus(scan({ devicesFound: 3 }))
  t.equal(throttle.pending, 1)
  clock.advance(199)
  t.same(take(), [])
  clock.advance(1)
  t.same(take().map((e) => e.type === 'scan:status' && [e.timestamp - T0, e.data.devicesFound]), [[1000, 3]])
  t.equal(stats.coalesced, 1)
  clock.advance(1000)
  throttle.scanStatus(scan({ devicesFound: 4 }))
  t.same(take().map((e) => e.type === 'scan:status' && e.data.devicesFound), [4], 'leading edge after a quiet window')
})

t.test('scan:status: a value equal to the last one delivered is dropped', async (t) => {
  const { throttle, take, clock, stats } = setup()
  throttle.scanStatus(scan())
  take()
  clock.advance(5000)
  throttle.scanStatus(scan())
  t.same(take(), [], 'dropped on the leading edge')
  throttle.scanStatus(scan({ packetsProcessed: 20 }))
  throttle.scanStatus(scan({ packetsProcessed: 30 }))
  t.equal(take().length, 1)
  throttle.scanStatus(scan({ packetsProcessed: 40 }))
  throttle.scanStatus(scan({ packetsProcessed: 20 }))
  clock.advance(1000)
  t.same(take(), [], 'latest value equals the last delivered: dropped at the trailing edge')
  t.equal(stats.eventsByType['scan:status'], 2)
  t.equal(stats.coalesced, 4)
  throttle.scanStatus(scan({ packetsProcessed: 20, currentChannel: 6 }))
  t.equal(take().length, 1, 'an added currentChannel is a different value')
})

t.test('system:status: one per 2000 ms window, latest wins, equal values are not dropped', async (t) => {
  const { throttle, take, clock, stats } = setup()
  throttle.systemStatus(system(1))
  throttle.systemStatus(system(2))
  throttle.systemStatus(system(3))
  t.same(take().map((e) => e.type === 'system:status' && e.data.service.uptime), [1])
  clock.advance(2000)
  t.same(take().map((e) => e.type === 'system:status' && [e.timestamp - T0, e.data.service.uptime]), [[2000, 3]])
  throttle.systemStatus(system(3))
  clock.advance(2000)
  t.same(take().map((e) => e.type === 'system:status' && e.data.service.uptime), [3])
  t.equal(stats.coalesced, 1)
})

t.test('flush delivers everything pending now, and nothing twice', async (t) => {
  const { throttle, feed, change, take, clock } = setup()
  feed(device('01'), device('02'))
  change('01', { name: 'a' })
  change('02', { signal: -1 })
  throttle.scanStatus(scan({ devicesFound: 1 }))
  throttle.systemStatus(system(1))
  take()
  const latest1 = change('01', { name: 'b' })
  change('02', { signal: -2 })
  throttle.scanStatus(scan({ devicesFound: 2 }))
  throttle.systemStatus(system(2))
  t.equal(throttle.pending, 4)
  throttle.flush()
  const sent = take()
  t.same(summary(sent), ['update:01', 'signal:02', 'scan:status', 'system:status'])
  t.equal(deviceUpdate(sent[0]).device, latest1)
  t.equal(throttle.pending, 0)
  clock.advance(10_000)
  t.same(take(), [], 'the window ends find nothing left')
  t.equal(clock.pending, 0)
})

t.test('close cancels every timer; later calls are ignored', async (t) => {
  const { throttle, feed, change, take, clock, tracker } = setup()
  feed(device('01'))
  change('01', { name: 'a' })
  change('01', { name: 'b' })
  throttle.scanStatus(scan())
  throttle.scanStatus(scan({ errors: 1 }))
  throttle.systemStatus(system(1))
  throttle.systemStatus(system(2))
  take()
  t.ok(clock.pending > 0)
  throttle.close()
  t.equal(clock.pending, 0)
  t.equal(throttle.pending, 0)
  feed(device('02'))
  change('01', { name: 'c' })
  throttle.alert({ id: 'x', type: 'kismet', timestamp: T0, severity: 'low', message: '', header: '', class: '', read: false })
  throttle.scanStatus(scan({ errors: 2 }))
  throttle.systemStatus(system(3))
  for (const event of tracker.resync([])) throttle.device(event)
  throttle.flush()
  throttle.close()
  clock.advance(10_000)
  t.same(take(), [])
  t.equal(clock.pending, 0)
})

t.test('a zero window disables throttling of that stream', async (t) => {
  const { feed, change, take, clock } = setup({ deviceUpdateMs: 0, signalMs: 0 })
  feed(device('01'))
  change('01', { name: 'a' })
  change('01', { name: 'b' })
  change('01', { signal: -1 })
  change('01', { signal: -2 })
  t.same(summary(take()), ['new:01', 'update:01', 'update:01', 'signal:01', 'signal:01'])
  t.equal(clock.pending, 0)
})

t.test('envelopes: ids increase in delivery order, stats count every delivered envelope by type', async (t) => {
  const { throttle, feed, change, take, stats, clock } = setup()
  feed(device('01'))
  change('01', { name: 'a' })
  change('01', { signal: -1 }) // waits: the update just restarted the signal window
  throttle.scanStatus(scan())
  clock.advance(250)
  const sent = take()
  t.same(summary(sent), ['new:01', 'update:01', 'scan:status', 'signal:01'])
  t.same(sent.map((e) => e.id), ['run-1', 'run-2', 'run-3', 'run-4'])
  t.equal(stats.totalEmitted, 4)
  t.equal(stats.eventsByType['device:update'], 2)
  t.equal(stats.eventsByType['signal:update'], 1)
  t.equal(stats.eventsByType['scan:status'], 1)
  t.equal(stats.coalesced, 0)
})

// A client that applies what it receives must end with the tracker's table, and every
// update's `changes` must be exactly the fields that differ from what it had.
t.test('random streams: the final state is never lost, changes are exact, windows hold, stats add up', async (t) => {
  let seed = 42
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
    return seed / 2 ** 31
  }
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!

  for (let run = 0; run < 20; run++) {
    const { throttle, tracker, feed, take, clock, stats } = setup()
    const client = new Map<string, WifiDevice>()
    const lastUpdateAt = new Map<string, number>()
    const lastSignalAt = new Map<string, number>()
    let eventsIn = 0
    let problems = 0
    const problem = (message: string) => {
      problems += 1
      if (problems < 5) t.fail(message)
    }

    const apply = (envelopes: AnyEnvelope[]) => {
      for (const e of envelopes) {
        if (e.type === 'device:update') {
          const { device: d, action, changes } = e.data
          if (action === 'new') {
            client.set(d.key, d)
          } else if (action === 'remove') {
            if (!client.has(d.key)) problem(`remove of unknown ${d.key}`)
            client.delete(d.key)
            lastUpdateAt.delete(d.key)
            lastSignalAt.delete(d.key)
          } else {
            const had = client.get(d.key)
            if (!had) problem(`update before new for ${d.key}`)
            else {
              const differing = (Object.keys(d) as (keyof WifiDevice)[]).filter((k) => JSON.stringify(had[k]) !== JSON.stringify(d[k])).sort()
              if (JSON.stringify(Object.keys(changes ?? {}).sort()) !== JSON.stringify(differing)) {
                problem(`changes ${JSON.stringify(changes)} vs differing ${differing.join(',')}`)
              }
              if (!differing.some((k) => !(LIVE_COUNTER_FIELDS as readonly string[]).includes(k))) problem('device:update with live counters only')
            }
            const previous = lastUpdateAt.get(d.key)
            if (previous !== undefined && e.timestamp - previous < 500) problem(`updates ${e.timestamp - previous} ms apart`)
            lastUpdateAt.set(d.key, e.timestamp)
            lastSignalAt.set(d.key, e.timestamp)
            client.set(d.key, d)
          }
        } else if (e.type === 'signal:update') {
          const had = client.get(e.data.key)
          if (!had) {
            problem(`signal before new for ${e.data.key}`)
            continue
          }
          const previous = lastSignalAt.get(e.data.key)
          if (previous !== undefined && e.timestamp - previous < 250) problem(`signals ${e.timestamp - previous} ms apart`)
          lastSignalAt.set(e.data.key, e.timestamp)
          const { key: _key, ...live } = e.data
          client.set(e.data.key, { ...had, ...live })
        }
      }
    }

    for (let step = 0; step < 400; step++) {
      const key = `D${Math.floor(random() * 8)}`
      const current = tracker.get(key)
      const roll = random()
      let events: TrackerEvent[]
      if (!current) {
        events = tracker.ingest([device(key)])
      } else if (roll < 0.1) {
        events = tracker.resync(tracker.all().filter((d) => d.key !== key))
      } else if (roll < 0.55) {
        events = tracker.ingest([{ ...current, signal: pick([-40, -50, -60]), packets: current.packets + pick([0, 1]) }])
      } else {
        events = tracker.ingest([{ ...current, name: pick(['a', 'b', 'c']), channel: pick([1, 6, 11]) }])
      }
      eventsIn += events.length
      for (const event of events) throttle.device(event)
      apply(take())
      clock.advance(Math.floor(random() * 200))
      apply(take())
    }
    clock.advance(1000)
    apply(take())

    t.same([...client.entries()].sort(), tracker.all().map((d) => [d.key, d]).sort(), `run ${run}: the client ends with the tracker's table`)
    t.equal(stats.totalEmitted + stats.coalesced, eventsIn, `run ${run}: every event was delivered or counted as coalesced`)
    t.equal(throttle.pending, 0)
    t.equal(clock.pending, 0, 'no timer left once everything settled')
    t.equal(problems, 0, `run ${run}: no rule broken`)
  }
})
