// The install-and-start path on a machine with no Kismet: the service comes up, serves
// /health, status and Socket.IO, and its log explains what is going on.
import t from 'tap'
import { startServiceProcess } from '../support/service-process.js'
import { createClient, waitFor } from '../support/socket.js'
import type { ConnectedData } from '../../src/events.js'
import { freePort } from '../support/ports.js'

t.test('with no Kismet reachable the service serves and explains itself', async (t) => {
  const kismetUrl = `http://127.0.0.1:${await freePort()}`
  const service = await startServiceProcess(t, { KISMET_ENABLED: 'true', KISMET_API_URL: kismetUrl })
  const health = await fetch(`${service.url}/health`)
  t.equal(health.status, 200)
  const status = (await (await fetch(`${service.url}/api/kismet/ws/status`)).json()) as { data: { kismet: { state: string } } }
  t.match(status.data.kismet.state, /connecting|backoff/)

  const client = createClient(t, service.url)
  const hello = await waitFor<ConnectedData>(client, 'connected')
  t.match(hello.kismet.state, /connecting|backoff/)

  const line = await service.waitForLog(/Kismet is not reachable/)
  t.match(line, `Kismet is not reachable at ${kismetUrl}`)
  t.match(line, /Retry 1 in 5 s/)
  t.match(line, /npm run demo/)
  service.child.kill('SIGTERM')
  t.equal((await service.exited).code, 0)
})
