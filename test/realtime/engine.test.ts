// src/realtime/engine.ts is the one place that reads Socket.IO's and engine.io's internals:
// each of its functions, held against a real server, so a Socket.IO upgrade that moves them
// fails here.
import { createServer } from 'node:http'
import { Server } from 'socket.io'
import t, { type Test } from 'tap'
import { ManualClock } from '../../src/clock.js'
import { EnvelopeFactory, EventChannel } from '../../src/envelope.js'
import { Broadcaster } from '../../src/realtime/broadcaster.js'
import { backlogBytes, engineConnections, forceClose, recoveryBufferSize, trimRecoveryBuffer } from '../../src/realtime/engine.js'
import type { RealtimeServer } from '../../src/realtime/types.js'
import { makeDevice } from '../support/devices.js'
import { createClient, waitFor } from '../support/socket.js'

async function server(t: Test): Promise<{ io: RealtimeServer; url: string }> {
  const http = createServer()
  const io: RealtimeServer = new Server(http, { connectionStateRecovery: { maxDisconnectionDuration: 60_000 } })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  t.teardown(() => io.close())
  return { io, url: `http://127.0.0.1:${(http.address() as { port: number }).port}` }
}

t.test('engineConnections and backlogBytes see the real connections', async (t) => {
  const { io, url } = await server(t)
  const client = createClient(t, url)
  await waitFor(client, 'connect')
  const connections = engineConnections(io)
  t.equal(connections.length, 1)
  t.equal(backlogBytes(connections[0]), 0, 'nothing queued for a client that reads')
  const gone = waitFor(client, 'disconnect')
  forceClose(connections[0])
  await gone
  t.equal(io.engine.clientsCount, 0, 'forceClose closed it')
})

t.test('the recovery buffer: counted, trimmed to its cap, and capped by the broadcaster itself whatever else listens', async (t) => {
  const { io } = await server(t)
  const clock = new ManualClock()
  const channel = new EventChannel()
  const factory = new EnvelopeFactory({ clock })
  // A listener registered before the broadcaster must not change what is kept.
  channel.subscribe(() => {})
  const broadcaster = new Broadcaster({ io, channel, factory, clock, devices: () => [], device: () => undefined, systemStatus: () => undefined, alerts: () => [], sensorNames: () => ['default'], onFilterEvaluations: () => {}, recoveryWindowMs: 60_000, recoveryBufferPackets: 1000 })
  t.teardown(() => broadcaster.close())
  for (let i = 0; i < 5000; i++) channel.publish(factory.create('device:update', { device: makeDevice(i), action: 'new' }, 'default'))
  const kept = recoveryBufferSize(io)
  t.ok(kept >= 1000 && kept <= 1100, `kept ${kept} packets, the cap is 1000 (+10% slack)`)
  t.equal(trimRecoveryBuffer(io, 10), kept - 10, 'trimRecoveryBuffer drops the oldest beyond the cap')
  t.equal(recoveryBufferSize(io), 10)
})
