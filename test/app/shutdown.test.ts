// SIGTERM / SIGINT: server:shutdown to every client, then a clean exit 0; a shutdown that
// hangs is given up after CLOSE_GRACE_MS (exit 1), inside docker stop's 10 s.
import t from 'tap'
import { startServiceProcess } from '../support/service-process.js'
import { createClient, waitFor } from '../support/socket.js'
import { fileURLToPath } from 'node:url'
import type { AnyEnvelope } from '../../src/events.js'
import { CLOSE_GRACE_MS, DOCKER_STOP_TIMEOUT_MS } from '../../plugins/app/shutdown.js'

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
    t.ok(Date.now() - startedAt < CLOSE_GRACE_MS, 'within the grace period')
  })
}

t.test('a shutdown that hangs is given up after the grace period, before docker stop would kill it', { timeout: 30_000 }, async (t) => {
  const hang = fileURLToPath(new URL('../support/hang-on-close.mjs', import.meta.url))
  const service = await startServiceProcess(t, { NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} --import ${hang}`.trim() })
  const startedAt = Date.now()
  service.child.kill('SIGTERM')
  const { code, signal } = await service.exited
  const elapsed = Date.now() - startedAt
  t.equal(signal, null, 'it ended itself, no signal killed it')
  t.equal(code, 1, 'exit status 1: the shutdown did not complete')
  t.match(service.stderr(), `killed by timeout (${CLOSE_GRACE_MS}ms)`, 'and says why')
  t.ok(elapsed >= CLOSE_GRACE_MS && elapsed < DOCKER_STOP_TIMEOUT_MS, `after ${elapsed} ms: the grace period, short of docker stop's ${DOCKER_STOP_TIMEOUT_MS} ms`)
})
