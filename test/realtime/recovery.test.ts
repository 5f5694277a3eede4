// A client whose connection drops briefly gets the events it missed when it reconnects,
// in order, once (Socket.IO connection state recovery).
import t from 'tap'
import { startApp } from '../helper.js'
import { createClient, EnvelopeRecorder, waitFor } from '../support/socket.js'
import type { SubscriptionAck } from '../../src/events.js'
import { makeDevice } from '../support/devices.js'

t.test('missed events are replayed in order, once, after a short drop', async (t) => {
  const { url, app } = await startApp(t)
  const client = createClient(t, url, { reconnection: true, reconnectionDelay: 50, reconnectionDelayMax: 100 })
  const recorder = new EnvelopeRecorder(client)
  await waitFor(client, 'connected')
  await new Promise<SubscriptionAck>((resolve) => client.emit('subscribe', ['devices', 'alerts'], resolve))
  await recorder.until((got) => got.some((e) => e.type === 'device:snapshot'))

  const publishUpdate = (i: number) => {
    const device = makeDevice(i)
    const envelope = app.envelopes.create('device:update', { device, action: 'new' }, 'default')
    app.events.publish(envelope)
    return envelope.id
  }
  const before = publishUpdate(1)
  await recorder.until((got) => got.some((e) => e.id === before))

  // Drop the transport without a clean disconnect (as a lost network would).
  const serverSocket = app.io.of('/').sockets.get(client.id!)!
  const reconnected = waitFor(client, 'connect')
  serverSocket.conn.close()
  await waitFor(client, 'disconnect')
  const missed = [publishUpdate(2), publishUpdate(3), publishUpdate(4)]
  await reconnected
  t.equal(client.recovered, true, 'the session was recovered')

  const after = publishUpdate(5)
  await recorder.until((got) => got.some((e) => e.id === after))
  const updates = recorder.ofType('device:update').map((e) => e.id)
  t.same(updates, [before, ...missed, after], 'every event once, in order')
  t.equal(recorder.ofType('device:snapshot').length, 1, 'no second snapshot: the rooms were restored')
})

t.test('a batched subscriber gets what it missed too, in order, once', async (t) => {
  const { url, app } = await startApp(t)
  const client = createClient(t, url, { reconnection: true, reconnectionDelay: 50, reconnectionDelayMax: 100 })
  const recorder = new EnvelopeRecorder(client)
  const received = () => recorder.batches.flat().map((e) => e.id)
  const until = (id: string) => recorder.untilBatches(() => received().includes(id))
  await waitFor(client, 'connected')
  await new Promise<SubscriptionAck>((resolve) => client.emit('subscribe', 'devices', { batch: true }, resolve))

  const publish = (i: number) => {
    const envelope = app.envelopes.create('device:update', { device: makeDevice(i), action: 'new' }, 'default')
    app.events.publish(envelope)
    return envelope.id
  }
  const before = publish(1)
  await until(before)

  const serverSocket = app.io.of('/').sockets.get(client.id!)!
  const reconnected = waitFor(client, 'connect')
  serverSocket.conn.close()
  await waitFor(client, 'disconnect')
  // Published while the client is away: they go out as a batch to a room it is no longer in.
  const missed = [publish(2), publish(3), publish(4)]
  app.realtime.broadcaster.flushBatches()
  await reconnected
  t.equal(client.recovered, true, 'the session was recovered')

  const after = publish(5)
  await until(after)
  t.same(received(), [before, ...missed, after], 'every envelope once, in order, in events packets')
})
