// Connection middleware: the `connected` greeting, the API token, origins and the per-address cap.
// (How refusals are logged: refusals.test.ts.)
import t from 'tap'
import { startApp, testEnv } from '../helper.js'
import { createClient, waitFor } from '../support/socket.js'
import { TOPICS, type ConnectedData } from '../../src/events.js'

t.test('a client is greeted with its id, the topics and the Kismet state', async (t) => {
  const { url } = await startApp(t)
  const client = createClient(t, url)
  const hello = await waitFor<ConnectedData>(client, 'connected')
  t.equal(hello.id, client.id)
  t.same(hello.topics, [...TOPICS])
  t.same(hello.kismet, { state: 'disabled' })
})

t.test('the polling transport works too', async (t) => {
  const { url } = await startApp(t)
  const client = createClient(t, url, { transports: ['polling'] })
  const hello = await waitFor<ConnectedData>(client, 'connected')
  t.equal(hello.kismet.state, 'disabled')
})

t.test('with API_TOKEN set, a handshake needs auth.token', async (t) => {
  const { url, app } = await startApp(t, { env: testEnv({ API_TOKEN: 'secret-token-1' }) })
  const anonymous = createClient(t, url)
  const refused = await waitFor<Error>(anonymous, 'connect_error')
  t.equal(refused.message, 'unauthorized')

  const wrong = createClient(t, url, { auth: { token: 'secret-token-2' } })
  t.equal((await waitFor<Error>(wrong, 'connect_error')).message, 'unauthorized')

  const right = createClient(t, url, { auth: { token: 'secret-token-1' } })
  await waitFor(right, 'connected')
  t.same(app.stats.connectionsRefused, { origin: 0, token: 2, address_cap: 0 }, 'counted by reason')
})

t.test('a browser from a disallowed origin gets connect_error "origin not allowed", over websocket and long-polling alike', async (t) => {
  const { url, app } = await startApp(t, { env: testEnv({ CORS_ORIGIN: 'https://map.example, https://ops.example' }) })
  for (const transport of ['websocket', 'polling'] as const) {
    const evil = createClient(t, url, { transports: [transport], extraHeaders: { origin: 'https://evil.example' } })
    const error = await waitFor<Error>(evil, 'connect_error')
    t.equal(error.message, 'origin not allowed', `${transport}: the reason`)
    const friend = createClient(t, url, { transports: [transport], extraHeaders: { origin: 'https://ops.example' } })
    await waitFor(friend, 'connected')
  }
  t.same(app.stats.connectionsRefused, { origin: 2, token: 0, address_cap: 0 }, 'counted by reason')

  // What a browser's long-polling sees: engine.io's handshake answers any origin with CORS
  // headers, so the page can read the refusal that follows its CONNECT (and nothing else).
  const handshake = await fetch(`${url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: 'https://evil.example' } })
  t.equal(handshake.status, 200)
  t.equal(handshake.headers.get('access-control-allow-origin'), 'https://evil.example')
  const { sid } = JSON.parse((await handshake.text()).slice(1)) as { sid: string }
  const polling = `${url}/socket.io/?EIO=4&transport=polling&sid=${sid}`
  await (await fetch(polling, { method: 'POST', body: '40', headers: { origin: 'https://evil.example' } })).text()
  const answer = await fetch(polling, { headers: { origin: 'https://evil.example' } })
  t.equal(answer.headers.get('access-control-allow-origin'), 'https://evil.example', 'readable by the page')
  t.equal(await answer.text(), '44{"message":"origin not allowed"}', 'the Socket.IO CONNECT_ERROR with the reason')
  // As the client does after a refusal: close the session (else engine.io holds it for 30 s at close).
  await (await fetch(polling, { method: 'POST', body: '1', headers: { origin: 'https://evil.example' } })).text()
  t.equal(app.io.of('/').sockets.size, 2, 'only the allowed clients are sockets of the app')
})

t.test('connections per address are capped', async (t) => {
  const { url, app } = await startApp(t, { socket: { maxConnectionsPerAddress: 3 } })
  const first = [createClient(t, url), createClient(t, url), createClient(t, url)]
  await Promise.all(first.map((c) => waitFor(c, 'connected')))
  const fourth = createClient(t, url)
  t.equal((await waitFor<Error>(fourth, 'connect_error')).message, 'too many connections from this address')

  // A place frees up when a client leaves.
  first[0]!.disconnect()
  await t.resolves(
    (async () => {
      for (;;) {
        const retry = createClient(t, url)
        const outcome = await Promise.race([
          waitFor(retry, 'connected').then(() => 'connected'),
          waitFor(retry, 'connect_error').then(() => 'refused'),
        ])
        if (outcome === 'connected') return
        await new Promise((r) => setImmediate(r))
      }
    })(),
  )
  t.ok(app.stats.connectionsRefused.address_cap >= 1, 'counted as address_cap')
})

/** A polling handshake, then one POST carrying a CONNECT packet followed by an engine.io close. */
async function connectThenClose(url: string): Promise<void> {
  const handshake = await fetch(`${url}/socket.io/?EIO=4&transport=polling`)
  const text = await handshake.text()
  const { sid } = JSON.parse(text.slice(1)) as { sid: string }
  // engine.io v4 polling payload: packets separated by \x1e; "40" = message + Socket.IO CONNECT, "1" = close.
  const post = await fetch(`${url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, { method: 'POST', body: '40\x1e1' })
  await post.text()
}

t.test('a connection that closes between the middleware and the connection event gives its place back', async (t) => {
  const { url, app } = await startApp(t, { socket: { maxConnectionsPerAddress: 3 } })
  for (let i = 0; i < 3; i++) await connectThenClose(url)
  // The engine has seen each close by now; no socket of the app exists.
  await t.resolves(
    (async () => {
      while (app.io.engine.clientsCount > 0) await new Promise((r) => setImmediate(r))
    })(),
  )
  t.equal(app.io.of('/').sockets.size, 0, 'no socket exists')
  const client = createClient(t, url)
  const outcome = await Promise.race([
    waitFor(client, 'connected').then(() => 'connected'),
    waitFor<Error>(client, 'connect_error').then((e) => `refused: ${e.message}`),
  ])
  t.equal(outcome, 'connected', 'the address is not locked out')
})
