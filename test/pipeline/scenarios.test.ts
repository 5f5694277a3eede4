// The live pipeline against the Kismet simulator over real HTTP, time under the test's
// control: each scenario asserts the exact envelopes produced and that the tracker's table
// ends equal to a fresh full read of Kismet.
import t, { type Test } from 'tap'
import { byKey, describe, startPipeline, type Pipeline } from '../support/pipeline.js'
import { envelopeErrors } from '../support/schemas.js'
import type { AnyEnvelope } from '../../src/events.js'

async function converged(t: Test, p: Pipeline): Promise<void> {
  t.same(byKey(p.pipeline.tracker.all()), await p.truth(), 'the table equals a fresh read of Kismet')
}

function allValid(t: Test, envelopes: AnyEnvelope[]): void {
  const invalid = envelopes.flatMap((e) => envelopeErrors(e).map((err) => `${e.type}: ${err}`))
  t.same(invalid, [], 'every envelope matches its schema')
}

t.test('initial load: every device seen within the TTL arrives as new, then quiet cycles say nothing', async (t) => {
  const p = await startPipeline(t, { sim: { devices: 12 } })
  await p.cycle()
  const first = p.take()
  t.equal(first.length, 12)
  t.same(new Set(describe(first)), new Set(p.sim.devices().map((d) => `new ${d.key}`)))
  t.equal(p.pipeline.poller.state, 'connected')
  await converged(t, p)

  p.advance(2000)
  await p.cycle()
  t.same(describe(p.take()), [], 'nothing changed, nothing sent')
  allValid(t, p.envelopes)
})

t.test('a device appears, changes a descriptive field, then only its signal moves', async (t) => {
  const p = await startPipeline(t, { sim: { devices: 3 } })
  await p.cycle()
  p.take()

  p.advance(2000)
  const added = p.sim.addDevice({ type: 'Wi-Fi AP', ssid: 'Cafe-Guest', name: 'Cafe-Guest', commonname: 'Cafe-Guest' })
  await p.cycle()
  t.same(describe(p.take()), [`new ${added.key}`])

  p.advance(2000)
  p.sim.updateDevice(added.key, { crypt: 'WPA2 WPA2-PSK AES-CCMP' })
  await p.cycle()
  const changed = p.take()
  t.same(describe(changed), [`update ${added.key} encryption,lastSeen`])
  const update = changed[0]
  if (update?.type === 'device:update') {
    t.equal(update.data.changes?.encryption, 'WPA2 WPA2-PSK AES-CCMP')
    t.equal(update.data.device.encryption, 'WPA2 WPA2-PSK AES-CCMP')
  }

  p.advance(2000)
  p.sim.touchDevice(added.key, { signal: -42 })
  await p.cycle()
  const signals = p.take()
  t.same(describe(signals), [`signal ${added.key}`])
  if (signals[0]?.type === 'signal:update') t.equal(signals[0].data.signal, -42)
  await converged(t, p)
  allValid(t, p.envelopes)
})

t.test('updates within a window are coalesced; the trailing value always arrives', async (t) => {
  const p = await startPipeline(t, { sim: { devices: 1 } })
  await p.cycle()
  const [device] = p.sim.devices()
  p.take()

  p.advance(1000)
  p.sim.updateDevice(device!.key, { name: 'first', commonname: 'first' })
  await p.cycle() // leading edge
  p.advance(100)
  p.sim.updateDevice(device!.key, { name: 'second', commonname: 'second' })
  await p.cycle() // inside the 500 ms window: held
  t.same(describe(p.take()), [`update ${device!.key} lastSeen,name`])
  p.advance(500)
  const trailing = p.take()
  t.same(describe(trailing), [`update ${device!.key} name`], 'the trailing update carries the latest name')
  if (trailing[0]?.type === 'device:update') t.equal(trailing[0].data.device.name, 'second')
  t.ok(p.app.stats.coalesced >= 0)
})

t.test('a device that goes silent for the TTL is removed once', async (t) => {
  const p = await startPipeline(t, { sim: { devices: 4 }, env: { DEVICE_TTL_S: '60' } })
  await p.cycle()
  p.take()
  const [keep, ...silent] = p.sim.devices()
  for (let elapsed = 0; elapsed <= 60_000; elapsed += 20_000) {
    p.advance(20_000)
    p.sim.touchDevice(keep!.key)
    await p.cycle()
  }
  const removed = p.take(['device:update']).filter((e) => e.type === 'device:update' && e.data.action === 'remove')
  t.same(new Set(describe(removed)), new Set(silent.map((d) => `remove ${d.key}`)))
  t.same(p.pipeline.tracker.all().map((d) => d.key), [keep!.key])
  p.advance(20_000)
  p.sim.touchDevice(keep!.key)
  await p.cycle()
  t.same(describe(p.take(['device:update'])).filter((s) => s.startsWith('remove')), [], 'removed once')
  await converged(t, p)
})

t.test('alerts: each once, across cycles, repeats in later answers, and an outage', async (t) => {
  const p = await startPipeline(t, { sim: { devices: 2 } })
  const early = p.sim.raiseAlert({ header: 'DEAUTHFLOOD', class: 'DENIAL', severity: 15 })
  await p.cycle()
  t.same(describe(p.take(['alert:new'])), [`alert DEAUTHFLOOD ${early.hash}`])

  p.advance(2000)
  await p.cycle()
  t.same(describe(p.take(['alert:new'])), [], 'the same alert is not sent twice')

  p.advance(2000)
  await p.sim.goDown()
  await p.cycle()
  t.equal(p.pipeline.poller.state, 'backoff')
  const during = p.sim.raiseAlert({ header: 'APSPOOF', class: 'SPOOF', severity: 15 })
  await p.sim.comeUp()
  p.advance(2000)
  await p.cycle()
  t.equal(p.pipeline.poller.state, 'connected')
  const after = p.take(['alert:new'])
  t.same(describe(after), [`alert APSPOOF ${during.hash}`], 'the alert raised during the outage, once')
  if (after[0]?.type === 'alert:new') t.match(after[0].data.alert, { severity: 'high', class: 'SPOOF', read: false })
  allValid(t, p.envelopes)
})

t.test('a Kismet restart resyncs: survivors keep their identity, a device not heard again leaves DEVICE_TTL_S after it was last heard', async (t) => {
  const p = await startPipeline(t, { sim: { devices: 6 } })
  await p.cycle()
  p.take()
  const [gone, ...rest] = p.sim.devices()
  p.advance(5000)
  p.sim.restart({ keepDevices: true })
  p.sim.removeDevice(gone!.key)
  for (const d of rest) p.sim.touchDevice(d.key)
  await p.cycle()
  let events = p.take(['device:update'])
  t.same(events.filter((e) => e.type === 'device:update' && (e.data.action === 'new' || e.data.action === 'remove')), [], 'no new, no remove at the restart')
  t.ok(p.pipeline.tracker.get(gone!.key), 'the device the restarted Kismet has not heard yet is still in the table')

  // Kismet's clock is the service's here: move to one second before the TTL ends, then past it.
  const lastSeen = p.pipeline.tracker.get(gone!.key)!.lastSeen
  p.advance(lastSeen + 300_000 - 1000 - p.kismetNow())
  for (const d of rest) p.sim.touchDevice(d.key)
  await p.cycle()
  t.ok(p.pipeline.tracker.get(gone!.key), 'a second before the TTL ends it is still there')
  p.advance(2000)
  for (const d of rest) p.sim.touchDevice(d.key)
  await p.cycle()
  events = p.take(['device:update'])
  t.same(describe(events).filter((s) => s.startsWith('remove') || s.startsWith('new')), [`remove ${gone!.key}`], 'removed by the TTL, once; no new')
  await converged(t, p)
})

t.test('Kismet down and back: backoff, then a resync brings the table up to date', async (t) => {
  const p = await startPipeline(t, { sim: { devices: 5 } })
  await p.cycle()
  p.take()
  const states: string[] = []
  p.pipeline.poller.onStateChange((state) => states.push(state))

  await p.sim.goDown()
  p.advance(2000)
  await p.cycle()
  await p.cycle()
  t.equal(p.pipeline.poller.state, 'backoff')
  t.equal(p.pipeline.poller.retries, 2)
  t.ok(p.pipeline.stats.kismetErrors.unreachable >= 2, 'counted as unreachable')

  const [changed] = p.sim.devices()
  const added = p.sim.addDevice()
  p.sim.updateDevice(changed!.key, { name: 'Renamed', commonname: 'Renamed' })
  await p.sim.comeUp()
  p.advance(2000)
  await p.cycle()
  t.same(states, ['backoff', 'connected'])
  t.equal(p.pipeline.poller.retries, 0)
  const events = describe(p.take(['device:update']))
  t.ok(events.includes(`new ${added.key}`), 'the device added meanwhile is new')
  t.ok(events.some((e) => e.startsWith(`update ${changed!.key}`)), 'the renamed device is updated')
  await converged(t, p)
})

t.test('a 401 moves to auth_failed, emits nothing, and a fixed credential recovers', async (t) => {
  const p = await startPipeline(t, { sim: { devices: 2 } })
  p.sim.setFault({ kind: 'unauthorized' })
  await p.cycle()
  await p.cycle()
  t.equal(p.pipeline.poller.state, 'auth_failed')
  t.equal(p.pipeline.stats.kismetErrors.unauthorized, 2)
  t.same(p.take(), [], 'nothing emitted while unauthorized')

  p.sim.setFault(null)
  await p.cycle()
  t.equal(p.pipeline.poller.state, 'connected')
  t.equal(p.take().length, 2)
  await converged(t, p)
})

t.test('KISMET_ENABLED=false: no request ever reaches Kismet', async (t) => {
  const p = await startPipeline(t, { sim: { devices: 2 }, env: { KISMET_ENABLED: 'false' } })
  await p.cycle()
  p.advance(10 * 60_000)
  t.equal(p.pipeline.poller.state, 'disabled')
  t.equal(p.sim.stats.requests, 0)
})

t.test('the heartbeat notices Kismet going away between polls and publishes the state', async (t) => {
  const p = await startPipeline(t, { sim: { devices: 2 }, env: { HEARTBEAT_INTERVAL_MS: '30000' } })
  await p.cycle()
  t.equal(p.pipeline.poller.state, 'connected')
  await p.sim.goDown()
  const backoff = new Promise<string>((resolve) => p.pipeline.poller.onStateChange((state) => resolve(state)))
  p.advance(30_000)
  t.equal(await backoff, 'backoff')
  p.advance(2000) // the system:status throttle window
  const states = p.envelopes.flatMap((e) => (e.type === 'system:status' ? [e.data.kismet.state] : []))
  t.equal(states.at(-1), 'backoff', 'system:status says so')
  t.equal(p.pipeline.stats.kismetErrors.unreachable, 1)
})
