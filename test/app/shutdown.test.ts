// SIGTERM / SIGINT: server:shutdown to every client, then a clean exit 0 within 10 s.
import t from 'tap'
import { startServiceProcess } from '../support/service-process.js'
import { createClient, waitFor } from '../support/socket.js'
import type { AnyEnvelope } from '../../src/events.js'

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  t.test(`${signal} tells every client and exits 0`, async (t) => {
    const service = await startServiceProcess(t)
    const clients = [
      createClient(t, service.url),
      createClient(t, service.url),
      createClient(t, service.url, { transports: ['polling'] }),
    ]
    await Promise.all(clients.map((c) => waitFor(c, 'connected')))
    // One of them subscribes to nothing: server:shutdown goes to every socket anyway.
    const notices = clients.map((c) => waitFor<AnyEnvelope>(c, 'event', (e) => e.type === 'server:shutdown', 10_000))
    const startedAt = Date.now()
    service.child.kill(signal)
    const received = await Promise.all(notices)
    for (const envelope of received) t.match(envelope, { type: 'server:shutdown', data: { message: /shutting down/ } })
    const { code } = await service.exited
    t.equal(code, 0, 'exit code 0')
    t.ok(Date.now() - startedAt < 10_000, 'within 10 s')
  })
}
