// The system:status a new subscriber gets is made when it subscribes, one per sensor it
// covers: current figures (its own connection counted, the sensor's state and server UUID
// now), not a copy of the last one published.
import t from 'tap'
import { ManualClock } from '../../src/clock.js'
import type { AnyEnvelope, Envelope, SubscriptionAck } from '../../src/events.js'
import { startApp } from '../helper.js'
import { startSensors } from '../support/pipeline.js'
import { createClient, EnvelopeRecorder, waitFor } from '../support/socket.js'

async function subscribeSystem(t: Parameters<typeof createClient>[0], url: string, options: object = {}): Promise<EnvelopeRecorder> {
  const client = createClient(t, url)
  const recorder = new EnvelopeRecorder(client)
  await waitFor(client, 'connected')
  await new Promise<SubscriptionAck>((resolve) => client.emit('subscribe', ['system'], options, resolve))
  return recorder
}

t.test('a second subscriber is told there are two clients, though no status said so since', async (t) => {
  // Time stands still: no heartbeat, no poll publishes a status meanwhile.
  const clock = new ManualClock()
  const { app, url } = await startApp(t, { clock })
  const published: AnyEnvelope[] = []
  app.events.subscribe((envelope) => published.push(envelope))

  const first = await subscribeSystem(t, url)
  const [mine] = (await first.until((got) => got.length >= 1)) as Envelope<'system:status'>[]
  t.match(mine!.data, { service: { clients: 1 } })
  const second = await subscribeSystem(t, url)
  const [theirs] = (await second.until((got) => got.length >= 1)) as Envelope<'system:status'>[]
  t.equal(theirs!.type, 'system:status')
  t.match(theirs!.data, { kismet: { state: 'disabled' }, service: { clients: 2 } }, 'two clients now')
  t.same(published.filter((e) => e.type === 'system:status'), [], 'nothing was published: the status was made for the subscriber')
})

t.test('with several sensors: one system:status per sensor covered, each current', async (t) => {
  const harness = await startSensors(t, ['north', 'south'])
  await harness.cycle()
  await harness.sims['south']!.goDown()
  await harness.cycle()
  const recorder = await subscribeSystem(t, harness.url)
  const statuses = (await recorder.until((got) => got.length >= 2)) as Envelope<'system:status'>[]
  t.same(statuses.map((e) => e.sensor).sort(), ['north', 'south'], 'one per sensor')
  const of = (name: string) => statuses.find((e) => e.sensor === name)!.data
  t.match(of('north'), { kismet: { state: 'connected', serverUuid: harness.sims['north']!.serverUuid }, service: { clients: 1 } })
  t.match(of('south'), { kismet: { state: 'backoff', retries: 1 }, service: { clients: 1 } }, "south's state as it is now")

  const narrowed = await subscribeSystem(t, harness.url, { sensors: ['south'] })
  const [only] = (await narrowed.until((got) => got.length >= 1)) as Envelope<'system:status'>[]
  t.equal(only!.sensor, 'south', 'a subscription narrowed to south gets south only')
  t.match(only!.data, { service: { clients: 2 } })
  // The welcome is sent before the subscribe ack, on the same connection: all of it is here.
  t.equal(narrowed.envelopes.length, 1, 'and nothing about north')
})
