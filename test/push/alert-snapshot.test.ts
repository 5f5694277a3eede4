// What happened before a client came: a socket that subscribes to `alerts` first receives the
// alerts Kismet still holds (its backlog, 50 by default) as one `alert:snapshot` per sensor,
// before any later `alert:new`, like `device:snapshot` for devices. Real service, simulator,
// Socket.IO clients; polling alone (the snapshot does not depend on the eventbus).
import t from 'tap'
import type { AnyEnvelope, SubscriptionAck } from '../../src/events.js'
import { startPipeline, startSensors } from '../support/pipeline.js'
import { envelopeErrors } from '../support/schemas.js'
import { createClient, EnvelopeRecorder, waitFor } from '../support/socket.js'

async function subscriber(t: Parameters<typeof createClient>[0], url: string, options?: { sensors: string[] }) {
  const client = createClient(t, url)
  const recorder = new EnvelopeRecorder(client)
  await waitFor(client, 'connected')
  await new Promise<SubscriptionAck>((resolve) => (options ? client.emit('subscribe', ['alerts'], options, resolve) : client.emit('subscribe', ['alerts'], resolve)))
  return { client, recorder }
}

function snapshotIds(envelope: AnyEnvelope | undefined): string[] {
  return envelope?.type === 'alert:snapshot' ? envelope.data.alerts.map((alert) => alert.id) : []
}

t.test("a late subscriber learns of the alerts raised before it came (Kismet's LOGDISABLED at start), then the new ones", async (t) => {
  const p = await startPipeline(t, { sim: { devices: 3, logDisabledAlert: true } })
  p.advance(1000)
  const deauth = p.sim.raiseAlert({ header: 'DEAUTHFLOOD' })
  await p.cycle()
  const before = p.sim.alerts()
  t.equal(before[0]?.header, 'LOGDISABLED', 'raised at start, before any client')

  const { recorder } = await subscriber(t, p.url)
  await recorder.until((got) => got.length >= 1)
  const [snapshot] = recorder.envelopes
  t.equal(snapshot?.type, 'alert:snapshot', 'the first envelope')
  t.equal(snapshot?.sensor, 'default')
  t.same(snapshotIds(snapshot), before.map((alert) => String(alert.hash)), 'every alert Kismet holds, oldest first')
  t.same(envelopeErrors(snapshot!), [], 'it matches its schema')

  p.advance(1000)
  const later = p.sim.raiseAlert({ header: 'BCASTDISCON' })
  await p.cycle()
  await recorder.until((got) => got.some((e) => e.type === 'alert:new'))
  t.same(
    recorder.envelopes.map((e) => (e.type === 'alert:new' ? e.data.alert.id : e.type)),
    ['alert:snapshot', String(later.hash)],
    'then only what is new: nothing of the snapshot again',
  )
  t.notOk(snapshotIds(snapshot).includes(String(later.hash)))
  t.ok(snapshotIds(snapshot).includes(String(deauth.hash)))
})

t.test('an empty backlog is an empty snapshot; at most the 50 newest; a Kismet restart empties it', async (t) => {
  const p = await startPipeline(t, { sim: { devices: 1 } })
  await p.cycle()
  const empty = await subscriber(t, p.url)
  await empty.recorder.until((got) => got.length >= 1)
  t.same(empty.recorder.envelopes.map((e) => [e.type, snapshotIds(e)]), [['alert:snapshot', []]], 'the client learns there is none')

  for (let i = 0; i < 60; i++) {
    p.advance(10)
    p.sim.raiseAlert()
  }
  await p.cycle()
  const full = await subscriber(t, p.url)
  await full.recorder.until((got) => got.length >= 1)
  const held = p.sim.alerts().map((alert) => String(alert.hash))
  t.equal(held.length, 50, "Kismet's backlog")
  t.same(snapshotIds(full.recorder.envelopes[0]), held, 'the 50 Kismet still holds')

  p.advance(5000)
  p.sim.restart({ keepDevices: true })
  await p.cycle()
  const afterRestart = await subscriber(t, p.url)
  await afterRestart.recorder.until((got) => got.length >= 1)
  t.same(snapshotIds(afterRestart.recorder.envelopes[0]), [], 'the restarted Kismet holds none of them')
})

t.test('several sensors: one snapshot per sensor the subscription covers', async (t) => {
  const h = await startSensors(t, ['north', 'south'], { devices: 2 })
  h.advance(1000)
  const north = h.sims['north']!.raiseAlert()
  const south = h.sims['south']!.raiseAlert()
  await h.cycle()
  const all = await subscriber(t, h.url)
  await all.recorder.until((got) => got.length >= 2)
  t.same(
    all.recorder.envelopes.map((e) => [e.type, e.sensor, snapshotIds(e)]),
    [
      ['alert:snapshot', 'north', [String(north.hash)]],
      ['alert:snapshot', 'south', [String(south.hash)]],
    ],
  )
  const narrowed = await subscriber(t, h.url, { sensors: ['south'] })
  await narrowed.recorder.until((got) => got.length >= 1)
  t.same(narrowed.recorder.envelopes.map((e) => [e.type, e.sensor]), [['alert:snapshot', 'south']], 'only the sensors subscribed to')
})
