// Opt-in batched delivery: `subscribe(topics, { batch: true })` gets the same envelopes, in
// order, as `events` packets; per-event subscribers are unaffected.
import t from 'tap'
import { startApp, type TestLike } from '../helper.js'
import { createClient, EnvelopeRecorder, waitFor, type ClientSocket } from '../support/socket.js'
import { makeDevice } from '../support/devices.js'
import { envelopeErrors } from '../support/schemas.js'
import type { AnyEnvelope, ClientError, SubscriptionAck, Topic } from '../../src/events.js'
import { BATCH_INTERVAL_MS, MAX_BATCH_ENVELOPES } from '../../src/events.js'
import { ManualClock } from '../../src/clock.js'

type Emit = (event: string, ...args: unknown[]) => void

/** A client recording what it receives, subscribed to `topics` (with `options`, if any; none when empty). */
async function subscribedClient(t: TestLike, url: string, topics: Topic[], options?: { batch: boolean }) {
  const client = createClient(t, url)
  const recorder = new EnvelopeRecorder(client)
  await waitFor(client, 'connected')
  const ack =
    topics.length === 0
      ? undefined
      : await new Promise<SubscriptionAck>((resolve) =>
          options ? client.emit('subscribe', topics, options, resolve) : client.emit('subscribe', topics, resolve),
        )
  return { client, recorder, batches: recorder.batches, ack }
}

const batchedClient = (t: TestLike, url: string) => subscribedClient(t, url, ['devices', 'alerts'], { batch: true })

function publishDevices(app: Awaited<ReturnType<typeof startApp>>['app'], from: number, count: number): string[] {
  const ids: string[] = []
  for (let i = from; i < from + count; i++) {
    const envelope = app.envelopes.create('device:update', { device: makeDevice(i), action: 'new' }, 'default')
    app.events.publish(envelope)
    ids.push(envelope.id)
  }
  return ids
}

t.test('a batched subscriber gets every envelope once, in order, in few packets', async (t) => {
  const { url, app } = await startApp(t)
  const { client, batches, ack, recorder: batched } = await batchedClient(t, url)
  t.same(ack, { ok: true, topics: ['devices', 'alerts'], subscriptions: { devices: { sensors: null, batch: true }, alerts: { sensors: null, batch: true } } })
  const { recorder } = await subscribedClient(t, url, ['devices'])

  const ids = publishDevices(app, 0, 1200)
  await batched.untilBatches(() => batches.flat().length >= 1200)
  const received = batches.flat()
  t.same(received.map((e) => e.id), ids, 'every envelope once, in order')
  t.ok(batches.length <= 10, `in ${batches.length} packets`)
  t.ok(batches.every((b) => b.length <= MAX_BATCH_ENVELOPES), 'no batch above the maximum')
  t.same(received.flatMap(envelopeErrors), [], 'the envelopes are the usual ones')

  await recorder.until((got) => got.filter((e) => e.type === 'device:update').length === 1200)
  t.same(recorder.ofType('device:update').map((e) => e.id), ids, 'per-event subscribers are unaffected')

  const status = (await app.inject('/api/kismet/ws/status')).json()
  t.equal(status.data.websocket.rooms.devices, 2, 'both count as devices subscribers')
  const details = status.data.websocket.clientDetails.find((c: { id: string }) => c.id === client.id)
  t.same(details.topics.sort(), ['alerts', 'devices'])
})

t.test('the snapshot still comes first, as events, and the mode can be switched back', async (t) => {
  const { url, app } = await startApp(t)
  app.sensors.get('default')!.tracker.ingest([makeDevice(1), makeDevice(2)])
  const { client, recorder, batches } = await subscribedClient(t, url, ['devices'], { batch: true })
  t.equal(recorder.ofType('device:snapshot').length, 1, 'snapshot sent as an event')

  const [batchedId] = publishDevices(app, 10, 1)
  await recorder.untilBatches(() => batches.length === 1)
  t.equal(batches[0]![0]!.id, batchedId)

  await new Promise<SubscriptionAck>((resolve) => client.emit('subscribe', 'devices', resolve))
  t.equal(recorder.ofType('device:snapshot').length, 1, 'switching mode is not a new subscription')
  const [plainId] = publishDevices(app, 11, 1)
  await recorder.until((got) => got.some((e) => e.id === plainId))
  t.equal(batches.length, 1, 'no more batches')
})

/** A round trip on the socket: whatever the server sent before its answer has arrived. */
function roundTrip(client: ClientSocket): Promise<number> {
  return new Promise((resolve) => client.emit('ping', 0, resolve))
}

t.test('a burst goes out at once; packets keep BATCH_INTERVAL_MS apart', async (t) => {
  const clock = new ManualClock()
  const { url, app } = await startApp(t, { clock })
  const { client, batches, recorder } = await batchedClient(t, url)

  const first = publishDevices(app, 0, 3)
  clock.advance(0)
  await recorder.untilBatches(() => batches.length === 1)
  t.same(batches[0]!.map((e) => e.id), first, 'one burst, one packet, no wait')

  const second = publishDevices(app, 3, 2)
  clock.advance(BATCH_INTERVAL_MS - 1)
  await new Promise<SubscriptionAck>((resolve) => client.emit('subscribe', 'devices', { batch: true }, resolve))
  await roundTrip(client)
  t.equal(batches.length, 1, 'the next packet waits for the interval (subscribing again in the same mode changes nothing)')
  clock.advance(1)
  await recorder.untilBatches(() => batches.length === 2)
  t.same(batches[1]!.map((e) => e.id), second)

  clock.advance(BATCH_INTERVAL_MS * 5)
  const third = publishDevices(app, 5, 1)
  clock.advance(0)
  await recorder.untilBatches(() => batches.length === 3)
  t.same(batches[2]!.map((e) => e.id), third, 'after a quiet spell, at once again')
})

t.test('switching delivery mode while a batch is pending neither loses nor repeats an envelope', async (t) => {
  const clock = new ManualClock()
  const { url, app } = await startApp(t, { clock })
  const a = await batchedClient(t, url)
  const aEvents = a.recorder
  const { client: c, recorder: cEvents, batches: cBatches } = await subscribedClient(t, url, ['devices'])
  const updates = (recorder: EnvelopeRecorder) => recorder.ofType('device:update').map((e) => e.id)

  const first = publishDevices(app, 0, 2)
  await cEvents.until(() => updates(cEvents).length === 2)
  // C moves to batches while A's batch (C had those envelopes one by one) is pending.
  await new Promise<SubscriptionAck>((resolve) => c.emit('subscribe', 'devices', { batch: true }, resolve))
  clock.advance(0)
  await a.recorder.untilBatches(() => a.batches.flat().length === 2)

  const second = publishDevices(app, 2, 2)
  // A moves back to one packet per envelope while the batch holding `second` is pending.
  await new Promise<SubscriptionAck>((resolve) => a.client.emit('subscribe', ['devices', 'alerts'], resolve))
  const third = publishDevices(app, 4, 1)
  await aEvents.until(() => updates(aEvents).length === 1)
  clock.advance(BATCH_INTERVAL_MS)
  await cEvents.untilBatches(() => cBatches.flat().length === 3)
  await roundTrip(a.client)

  t.same(a.batches.flat().map((e) => e.id), [...first, ...second], 'A: what was pending came as a batch before the switch')
  t.same(updates(aEvents), third, 'A: then one by one')
  t.same(updates(cEvents), first, 'C: one by one before the switch')
  t.same(cBatches.flat().map((e) => e.id), [...second, ...third], 'C: batched after it, nothing repeated')
})

t.test('the topics a client takes batched come in one stream, in publish order; each subscriber only gets its topics', async (t) => {
  const clock = new ManualClock()
  const { url, app } = await startApp(t, { clock })
  const both = await batchedClient(t, url)
  const devicesOnly = await subscribedClient(t, url, ['devices'], { batch: true })

  const alert = { id: '1', type: 'kismet', timestamp: 1_795_630_037_618, severity: 'high', message: 'Logging disabled', header: 'LOGDISABLED', class: 'SYSTEM', read: false } as const
  const ids: string[] = []
  for (let i = 0; i < 3; i++) {
    const device = app.envelopes.create('device:update', { device: makeDevice(i), action: 'new' }, 'default')
    const raised = app.envelopes.create('alert:new', { alert: { ...alert, id: String(i) } }, 'default')
    app.events.publish(device)
    app.events.publish(raised)
    ids.push(device.id, raised.id)
  }
  clock.advance(0)
  await both.recorder.untilBatches(() => both.batches.length === 1)
  await devicesOnly.recorder.untilBatches(() => devicesOnly.batches.length === 1)
  t.same(both.batches[0]!.map((e) => e.id), ids, 'devices and alerts interleaved as published, one packet')
  t.same(devicesOnly.batches[0]!.map((e) => e.type), ['device:update', 'device:update', 'device:update'], 'no alerts for a devices-only subscriber')

  const status = (await app.inject('/api/kismet/ws/status')).json()
  t.match(status.data.websocket.rooms, { devices: 2, alerts: 1 }, 'both counted per topic')
})

t.test('joining a batch room that has a batch pending: the newcomer gets neither a repeat nor anything older than its snapshot', async (t) => {
  const clock = new ManualClock()
  const { url, app } = await startApp(t, { clock })
  const x = await batchedClient(t, url)
  const { client: s, recorder: sEvents, batches: sBatches } = await subscribedClient(t, url, ['devices', 'alerts'])
  const { client: n, recorder: nEvents, batches: nBatches } = await subscribedClient(t, url, [])

  // X's batch holds `pending`; S had it one by one; N has not subscribed yet.
  const pending = publishDevices(app, 0, 2)
  await sEvents.until((got) => got.filter((e) => e.type === 'device:update').length === 2)
  // S moves into X's batch room, N joins it fresh: what X's room held goes to X alone, first.
  await new Promise<SubscriptionAck>((resolve) => s.emit('subscribe', ['devices', 'alerts'], { batch: true }, resolve))
  await new Promise<SubscriptionAck>((resolve) => n.emit('subscribe', ['devices', 'alerts'], { batch: true }, resolve))
  await x.recorder.untilBatches(() => x.batches.flat().length === 2)
  const later = publishDevices(app, 2, 1)
  clock.advance(BATCH_INTERVAL_MS)
  await sEvents.untilBatches(() => sBatches.length === 1)
  await nEvents.untilBatches(() => nBatches.length === 1)

  t.same(x.batches.flat().map((e) => e.id), [...pending, ...later], 'X: everything once')
  t.same(sBatches.flat().map((e) => e.id), later, 'S: no repeat of what it had one by one')
  t.equal(nEvents.ofType('device:snapshot').length, 1, 'N: its snapshot')
  t.same(nBatches.flat().map((e) => e.id), later, 'N: nothing older than its snapshot after it')
})

t.test('a batch room nobody can come back to is fed no more', async (t) => {
  const clock = new ManualClock()
  const recoveryWindowMs = 1000
  const { url, app } = await startApp(t, { clock, socket: { recoveryWindowMs } })
  const { client } = await batchedClient(t, url)
  const adapter = app.io.of('/').adapter as unknown as { packets: Array<{ data: unknown[] }> }
  const batchPackets = () => adapter.packets.filter((p) => p.data[0] === 'events').length
  const serverSocket = app.io.of('/').sockets.get(client.id!)!
  const gone = new Promise((resolve) => serverSocket.once('disconnect', resolve))
  client.disconnect()
  await gone

  publishDevices(app, 0, 1)
  clock.advance(0)
  t.equal(batchPackets(), 1, 'an empty batch room is still fed (a dropped client may come back)')
  clock.advance(recoveryWindowMs + 1)
  publishDevices(app, 1, 1)
  clock.advance(0)
  t.equal(batchPackets(), 2, 'fed until the recovery window has passed')
  publishDevices(app, 2, 1)
  clock.advance(BATCH_INTERVAL_MS)
  t.equal(batchPackets(), 2, 'then no more')
})

t.test('bad subscribe options are refused whole with INVALID_PAYLOAD', async (t) => {
  const { url, app } = await startApp(t)
  const client = createClient(t, url)
  await waitFor(client, 'connected')
  for (const options of [{ batch: 'yes' }, { batch: true, extra: 1 }, 'batch', 5]) {
    const errorEvent = waitFor<ClientError>(client, 'error')
    const ack = await new Promise<SubscriptionAck>((resolve) => (client.emit as unknown as Emit)('subscribe', 'devices', options, resolve))
    t.match(ack, { ok: false, error: { code: 'INVALID_PAYLOAD' } }, JSON.stringify(options))
    t.equal((await errorEvent).code, 'INVALID_PAYLOAD')
  }
  const socket = app.io.of('/').sockets.get(client.id!)!
  t.same([...socket.rooms], [socket.id], 'nothing joined')
})

t.test('pending batches go out before server:shutdown', async (t) => {
  const { url, app } = await startApp(t)
  const { client, batches } = await batchedClient(t, url)
  const shutdown = waitFor<AnyEnvelope>(client, 'event', (e) => e.type === 'server:shutdown')
  const ids = publishDevices(app, 0, 3)
  await app.close()
  await shutdown
  t.same(batches.flat().map((e) => e.id), ids)
})
