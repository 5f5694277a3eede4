// The transport's own connection handling, against hand-written servers doing what the
// simulator never does.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { KismetError } from '../../src/kismet/errors.js'
import { KismetTransport } from '../../src/kismet/transport.js'

async function server(t: Test, handler: (req: IncomingMessage, res: ServerResponse, nth: number) => void): Promise<string> {
  const perSocket = new WeakMap<object, number>()
  const s = createServer((req, res) => {
    const nth = (perSocket.get(req.socket) ?? 0) + 1
    perSocket.set(req.socket, nth)
    handler(req, res, nth)
  })
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { s.closeAllConnections(); s.close(() => resolve()) }))
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`
}

t.test('a kept-alive connection Kismet closed while idle: the request goes again on a new one', async (t) => {
  // The server closes a connection when a second request arrives on it, unanswered: what a
  // request meets when it is written to a connection the server's keep-alive timeout closed.
  let answered = 0
  const url = await server(t, (_req, res, nth) => {
    if (nth > 1) return res.socket?.destroy()
    answered += 1
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ n: answered }))
  })
  const transport = new KismetTransport({ baseUrl: url, timeoutMs: 2000 })
  t.teardown(() => transport.close())
  t.same(await transport.json('GET', '/a.json'), { n: 1 })
  t.same(await transport.json('GET', '/b.json'), { n: 2 }, 'answered on a new connection')
  t.equal(answered, 2)
})

t.test('a connection reset on a new connection is no stale one: unreachable, sent once', async (t) => {
  let requests = 0
  const url = await server(t, (_req, res) => {
    requests += 1
    res.socket?.destroy()
  })
  const transport = new KismetTransport({ baseUrl: url, timeoutMs: 2000 })
  t.teardown(() => transport.close())
  const error = await transport.json('GET', '/a.json').catch((e: unknown) => e)
  t.ok(error instanceof KismetError && error.kind === 'unreachable', 'unreachable')
  t.equal(requests, 1, 'not sent again')
})
