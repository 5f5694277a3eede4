// "Clients" means one thing everywhere: Socket.IO clients connected to the service's
// namespace. An engine.io connection that never joined it (a bare polling handshake, a
// handshake refused by the middleware) is not a client in system:status, /status, /stats or
// /metrics.
import t from 'tap'
import { ManualClock } from '../../src/clock.js'
import type { Envelope, SubscriptionAck } from '../../src/events.js'
import { startApp, testEnv } from '../helper.js'
import { createClient, EnvelopeRecorder, waitFor } from '../support/socket.js'

t.test('system:status, /status, /stats and /metrics count the same clients', async (t) => {
  const clock = new ManualClock()
  const { app, url } = await startApp(t, { clock, env: testEnv({ HEARTBEAT_INTERVAL_MS: '1000', THROTTLE_SYSTEM_MS: '0' }) })
  const client = createClient(t, url)
  const recorder = new EnvelopeRecorder(client)
  await waitFor(client, 'connected')
  await new Promise<SubscriptionAck>((resolve) => client.emit('subscribe', ['system'], resolve))
  // An engine.io connection that never connects to the namespace.
  const handshake = await fetch(`${url}/socket.io/?EIO=4&transport=polling`)
  await handshake.text()
  t.equal(app.io.engine.clientsCount, 2, 'the engine has two connections')

  const before = recorder.ofType('system:status').length
  clock.advance(1000)
  const [status] = (await recorder.until((all) => all.filter((e) => e.type === 'system:status').length > before)).filter((e) => e.type === 'system:status').slice(-1) as Envelope<'system:status'>[]
  t.equal(status!.data.service.clients, 1, 'system:status: one client')
  const rest = (await app.inject('/api/kismet/ws/status')).json() as { data: { websocket: { clients: number } } }
  t.equal(rest.data.websocket.clients, 1, '/status: one client')
  const stats = (await app.inject('/api/kismet/ws/stats')).json() as { data: { websocket: { clients: number } } }
  t.equal(stats.data.websocket.clients, 1, '/stats: one client')
  const metrics = (await app.inject('/metrics')).body
  t.match(metrics, /^kismet_ws_clients 1$/m, '/metrics: one client')
})
