// Envelopes reach exactly the subscribers of their topic; a new `devices` subscriber gets
// the table as snapshot chunks first; every envelope matches its schema.
import t from 'tap'
import { startApp, type TestLike } from '../helper.js'
import { createClient, EnvelopeRecorder, waitFor, type ClientSocket } from '../support/socket.js'
import { makeDevice } from '../support/devices.js'
import { envelopeErrors } from '../support/schemas.js'
import { isSensorEvent, type AnyEnvelope, type EventDataMap, type EventType, type SubscriptionAck, type Topic } from '../../src/events.js'
import type { FastifyInstance } from 'fastify'

async function subscribed(t: TestLike, url: string, topics: Topic[]): Promise<{ client: ClientSocket; recorder: EnvelopeRecorder }> {
  const client = createClient(t, url)
  const recorder = new EnvelopeRecorder(client)
  await waitFor(client, 'connected')
  if (topics.length > 0) await new Promise<SubscriptionAck>((resolve) => client.emit('subscribe', topics, resolve))
  return { client, recorder }
}

function publish<T extends EventType>(app: FastifyInstance, type: T, data: EventDataMap[T]): AnyEnvelope {
  const envelope = app.envelopes.create(type, data, isSensorEvent(type) ? 'default' : undefined) as AnyEnvelope
  app.events.publish(envelope)
  return envelope
}

const device = makeDevice(1)
const samples: { [T in EventType]?: EventDataMap[T] } = {
  'device:update': { device, action: 'new' },
  'signal:update': { key: device.key, mac: device.mac, signal: -50, lastSeen: device.lastSeen + 1000, packets: 11, dataBytes: 0 },
  'alert:new': {
    alert: { id: '2544572308', type: 'kismet', timestamp: 1795630037618, severity: 'high', message: 'Logging disabled', header: 'LOGDISABLED', class: 'SYSTEM', read: false },
  },
  'scan:status': { scanning: true, devicesFound: 1, packetsProcessed: 8823, errors: 0 },
  'system:status': { kismet: { state: 'connected', connected: true, retries: 0 }, service: { uptime: 1, clients: 4, memoryRss: 1e8 } },
  'tak:cot': { uid: 'kismet-wifi-AABBCC000001', deviceKey: device.key, kind: 'device', xml: '<event version="2.0"/>' },
  'tak:status': { output: 'tcp', target: '127.0.0.1:8087', state: 'connected', sent: 1, dropped: 0, queued: 0, bytesSent: 20, bytesReceived: 0, connects: 1, connectedAt: 1, lastError: null, lastErrorAt: null },
}
const roomOf: Record<string, Topic> = { 'device:update': 'devices', 'signal:update': 'devices', 'alert:new': 'alerts', 'alert:snapshot': 'alerts', 'scan:status': 'scan', 'system:status': 'system', 'tak:cot': 'tak', 'tak:status': 'tak' }

t.test('each event type reaches exactly the subscribers of its topic', async (t) => {
  const { url, app } = await startApp(t)
  const byTopic = new Map<Topic | 'none', EnvelopeRecorder>()
  for (const topic of ['devices', 'alerts', 'scan', 'system', 'tak'] as Topic[]) byTopic.set(topic, (await subscribed(t, url, [topic])).recorder)
  byTopic.set('none', (await subscribed(t, url, [])).recorder)
  const all = await subscribed(t, url, ['devices', 'alerts', 'scan', 'system', 'tak'])

  const sent: AnyEnvelope[] = []
  for (const [type, data] of Object.entries(samples)) sent.push(publish(app, type as EventType, data as never))
  const shutdownless = sent.map((e) => e.id)
  await all.recorder.until((got) => shutdownless.every((id) => got.some((e) => e.id === id)))

  // The ping round trip flushes anything still in flight to the other clients.
  for (const [topic, recorder] of byTopic) {
    const expected = sent.filter((e) => roomOf[e.type] === topic).map((e) => e.id)
    await recorder.until((got) => expected.every((id) => got.some((e) => e.id === id)))
    const sentIds = new Set(sent.map((e) => e.id))
    const received = recorder.envelopes.filter((e) => sentIds.has(e.id)).map((e) => e.id)
    t.same(received, expected, `${topic} got exactly its events`)
    // The service publishes its own system:status too; whatever arrives belongs to the topic.
    const foreign = recorder.envelopes.filter((e) => e.type !== 'device:snapshot' && roomOf[e.type] !== topic)
    t.same(foreign.map((e) => e.type), [], `${topic} got nothing of other topics`)
  }
  for (const envelope of all.recorder.envelopes) t.same(envelopeErrors(envelope), [], `${envelope.type} matches its schema`)
  t.same(
    all.recorder.envelopes.filter((e) => shutdownless.includes(e.id)).map((e) => e.id),
    shutdownless,
    'in the order published',
  )
})

t.test('ids are unique and increase within the run', async (t) => {
  const { url, app } = await startApp(t)
  const { recorder } = await subscribed(t, url, ['alerts'])
  for (let i = 0; i < 20; i++) publish(app, 'alert:new', { alert: { ...samples['alert:new']!.alert, id: String(i) } })
  // The alert:snapshot the subscription brought first, then the 20.
  await recorder.until((got) => got.length === 21)
  t.equal(recorder.envelopes[0]?.type, 'alert:snapshot')
  const sequences = recorder.envelopes.map((e) => Number(e.id.split('-').at(-1)))
  t.same(sequences, [...sequences].sort((a, b) => a - b))
  t.equal(new Set(recorder.envelopes.map((e) => e.id)).size, 21)
  t.ok(recorder.envelopes.every((e) => e.id.startsWith(`${app.envelopes.runId}-`)))
})

t.test('a devices subscriber gets the table as snapshot chunks of at most 500, before later updates', async (t) => {
  const { url, app } = await startApp(t)
  app.sensors.get('default')!.tracker.ingest(Array.from({ length: 1203 }, (_, i) => makeDevice(i)))
  const client = createClient(t, url)
  const recorder = new EnvelopeRecorder(client)
  await waitFor(client, 'connected')
  const ack = new Promise<SubscriptionAck>((resolve) => client.emit('subscribe', 'devices', resolve))
  // An update published right after the subscription is handled must come after the snapshot.
  await ack
  publish(app, 'device:update', { device: makeDevice(5, { name: 'renamed' }), action: 'update', changes: { name: 'renamed' } })
  await recorder.until((got) => got.some((e) => e.type === 'device:update'))
  const snapshots = recorder.ofType('device:snapshot')
  t.same(snapshots.map((s) => [s.data.chunk, s.data.chunks, s.data.devices.length]), [
    [0, 3, 500],
    [1, 3, 500],
    [2, 3, 203],
  ])
  t.equal(recorder.envelopes.at(-1)!.type, 'device:update', 'the update came after every chunk')
  const keys = new Set(snapshots.flatMap((s) => s.data.devices.map((d) => d.key)))
  t.equal(keys.size, 1203, 'every device once')
  for (const s of snapshots) t.same(envelopeErrors(s), [])

  // Subscribing again is harmless: no second snapshot.
  await new Promise<SubscriptionAck>((resolve) => client.emit('subscribe', 'devices', resolve))
  await new Promise<number>((resolve) => client.emit('ping', 1, resolve))
  t.equal(recorder.ofType('device:snapshot').length, 3)
})

t.test('an empty table still gives one empty snapshot chunk', async (t) => {
  const { url } = await startApp(t)
  const { recorder } = await subscribed(t, url, ['devices'])
  const [snapshot] = await recorder.until((got) => got.length > 0)
  t.same(snapshot!.data, { devices: [], chunk: 0, chunks: 1 })
})

t.test('scan subscribers get the latest scan status on joining, system subscribers one made now', async (t) => {
  const { url, app } = await startApp(t)
  const scan = publish(app, 'scan:status', samples['scan:status']!)
  // A status published earlier (4 clients, connected) is stale by the time a client joins.
  const stale = publish(app, 'system:status', samples['system:status']!)
  const { recorder } = await subscribed(t, url, ['scan', 'system'])
  await recorder.until((got) => got.length >= 2)
  t.same(recorder.envelopes.map((e) => e.type), ['scan:status', 'system:status'])
  t.same(recorder.envelopes[0]!.data, scan.data)
  t.match(recorder.envelopes[1]!.data, { kismet: { state: 'disabled', connected: false }, service: { clients: 1 } }, 'current figures, not the stale ones')
  const sequence = (id: string) => Number(id.split('-').at(-1))
  t.ok(recorder.envelopes.every((e) => sequence(e.id) > sequence(stale.id)), 'fresh ids, so ids keep increasing at the client')
})
