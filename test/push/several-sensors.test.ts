// Several sensors, each with its own eventbus: one websocket per sensor, owned by that
// sensor's pipeline. A push is stamped with its sensor; one sensor's eventbus dropped or
// refused leaves that sensor polling alone and changes nothing for the others.
import t from 'tap'
import type { AnyEnvelope, SubscriptionAck } from '../../src/events.js'
import { startSensors, until } from '../support/pipeline.js'
import { createClient, EnvelopeRecorder, waitFor } from '../support/socket.js'

const HOUR = 3_600_000

function pushed(envelopes: AnyEnvelope[]): string[] {
  return envelopes.flatMap((e) => {
    if (e.type === 'alert:new') return [`${e.sensor} alert ${e.data.alert.id}`]
    if (e.type === 'device:update' && e.data.action === 'new') return [`${e.sensor} new ${e.data.device.key}`]
    return []
  })
}

t.test('three sensors, three eventbus connections: each push carries its sensor; one lost eventbus leaves the others pushing', async (t) => {
  const h = await startSensors(t, ['north', 'south', 'east'], { devices: 2, eventbus: true })
  await h.cycle()
  await h.eventbusConnected()
  for (const [name, sim] of Object.entries(h.sims)) t.equal(sim.eventbusClients, 1, `${name}: one eventbus connection`)
  const client = createClient(t, h.url)
  const recorder = new EnvelopeRecorder(client)
  await waitFor(client, 'connected')
  await new Promise<SubscriptionAck>((resolve) => client.emit('subscribe', ['devices', 'alerts'], resolve))

  const north = h.sims['north']!.addDevice()
  const southAlert = h.sims['south']!.raiseAlert()
  await recorder.until((got) => pushed(got).length === 2)
  t.same(pushed(recorder.envelopes).sort(), [`north new ${north.key}`, `south alert ${southAlert.hash}`].sort(), 'stamped with the sensor it came from, without a poll')

  h.sims['south']!.setEventbusFault({ kind: 'refuse', status: 404 })
  h.sims['south']!.dropEventbus()
  const south = h.app.sensors.get('south')!
  await until(() => south.eventbus.state === 'reconnecting', 'south loses its eventbus')
  await h.second()
  await until(() => south.eventbus.state === 'refused', 'south refused')
  t.equal(south.poller.pollIntervalMs, HOUR, 'south polls alone at POLL_INTERVAL_MS')
  for (const name of ['north', 'east']) {
    const pipeline = h.app.sensors.get(name)!
    t.equal(pipeline.eventbus.state, 'connected', `${name} still pushes`)
    t.equal(pipeline.poller.pollIntervalMs, 2 * HOUR, `${name} keeps the slower poll`)
  }
  const east = h.sims['east']!.raiseAlert()
  await recorder.until((got) => pushed(got).includes(`east alert ${east.hash}`))
  const status = (await h.app.inject({ url: '/api/kismet/ws/status' })).json()
  t.same(
    status.data.sensors.map((s: { name: string; eventbus: { state: string } }) => [s.name, s.eventbus.state]),
    [
      ['north', 'connected'],
      ['south', 'refused'],
      ['east', 'connected'],
    ],
  )
})
