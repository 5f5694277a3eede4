// Shutdown under load: the service as its own process with 500 Socket.IO clients (both
// transports), a client that stopped reading its socket, events flowing and a Kismet whose
// answer is still on its way. SIGTERM: every reading client receives `server:shutdown`, and
// the process exits 0 within the grace period (CLOSE_GRACE_MS).
import t from 'tap'
import { CLOSE_GRACE_MS } from '../../plugins/app/shutdown.js'
import { KismetSimulator } from '../../sim/simulator.js'
import type { AnyEnvelope, SubscriptionAck } from '../../src/events.js'
import { TEST_API_KEY } from '../helper.js'
import { startServiceProcess } from '../support/service-process.js'
import { createClient, waitFor, type ClientSocket } from '../support/socket.js'
import { RawClient } from './raw-client.js'

const CLIENTS = 500

/** A raw client that subscribes to everything, then stops reading from its TCP socket. */
async function stalledClient(url: string): Promise<RawClient> {
  const raw = await RawClient.connect(url)
  raw.send('421["subscribe",["devices","alerts","system","scan"]]')
  await raw.waitFrame((f) => f.startsWith('431['))
  raw.stopReading()
  return raw
}

t.test(`SIGTERM with ${CLIENTS} clients, a stalled reader and a slow Kismet: all told, exit 0 within the grace period`, async (t) => {
  const sim = new KismetSimulator({ apiKey: TEST_API_KEY, devices: 100, seed: 11 })
  const simUrl = await sim.listen()
  t.teardown(() => sim.close())
  const ticker = setInterval(() => sim.tick({ heard: 0.5, join: 0.3, leave: 0.1, alert: 0.05 }), 250)
  t.teardown(() => clearInterval(ticker))

  const service = await startServiceProcess(t, {
    KISMET_ENABLED: 'true',
    KISMET_API_URL: simUrl,
    KISMET_API_KEY: TEST_API_KEY,
    POLL_INTERVAL_MS: '200',
    KISMET_TIMEOUT_MS: '30000',
    LOG_LEVEL: 'info',
  })

  const clients: ClientSocket[] = []
  for (let i = 0; i < CLIENTS; i++) {
    clients.push(createClient(t, service.url, i % 10 === 0 ? { transports: ['polling'] } : {}))
  }
  await Promise.all(clients.map((c) => waitFor(c, 'connected', () => true, 30_000)))
  // Most subscribe to something; server:shutdown goes to every socket anyway.
  await Promise.all(
    clients.map((c, i) =>
      i % 4 === 3 ? Promise.resolve() : new Promise<SubscriptionAck>((resolve) => c.emit('subscribe', i % 2 === 0 ? ['devices', 'system'] : ['alerts', 'scan'], resolve)),
    ),
  )
  const stalled = await stalledClient(service.url)
  t.teardown(() => stalled.terminate())
  // Events are flowing to the subscribers.
  await waitFor(clients[2]!, 'event', (e: AnyEnvelope) => e.type === 'device:update' || e.type === 'signal:update', 10_000)

  // Kismet becomes slow: the next poll request hangs, and is still in flight at SIGTERM.
  // The service polls every 200 ms, so answers stopping for 1 s means one is held.
  sim.setLatency(20_000)
  await new Promise<void>((resolve, reject) => {
    const deadline = Date.now() + 10_000
    let last = sim.stats.requests
    let since = Date.now()
    const check = () => {
      if (sim.stats.requests !== last) [last, since] = [sim.stats.requests, Date.now()]
      if (Date.now() - since >= 1000) return resolve()
      if (Date.now() > deadline) return reject(new Error('the service never waited on Kismet'))
      setTimeout(check, 50)
    }
    check()
  })

  const notices = clients.map((c) => waitFor<AnyEnvelope>(c, 'event', (e) => e.type === 'server:shutdown', 10_000))
  const startedAt = Date.now()
  service.child.kill('SIGTERM')
  const received = await Promise.allSettled(notices)
  const told = received.filter((r) => r.status === 'fulfilled').length
  t.equal(told, CLIENTS, `all ${CLIENTS} clients received server:shutdown`)
  const { code, signal } = await service.exited
  const elapsed = Date.now() - startedAt
  t.equal(signal, null, 'not killed by a signal')
  t.equal(code, 0, 'exit code 0')
  t.ok(elapsed < CLOSE_GRACE_MS, `exited within the grace period (${elapsed} ms)`)
  const errors = service.logs.filter((line) => Number(line['level']) >= 50)
  t.same(errors, [], 'no error logged')
  const stderr = service.stderr().split('\n').filter((line) => line.trim() !== '' && !/Deprecation|--trace-warnings/.test(line))
  t.same(stderr, [], 'nothing on stderr but deprecation notices')
})
