// Refused Socket.IO connections are visible to the operator: each is counted by reason in
// /stats and /metrics, and logged as a warning with the origin or the address and the reason
// (never the token), at most once per minute per origin or address, with how many more there
// were. Time is a ManualClock: the minute passes when the test says so.
import t from 'tap'
import { ManualClock } from '../../src/clock.js'
import { RefusalLog } from '../../src/realtime/refusals.js'
import { startApp, testEnv, type TestLike } from '../helper.js'
import { LogCapture } from '../support/logs.js'
import { createClient, waitFor } from '../support/socket.js'

const TOKEN = 'the-secret-token-42'

async function refusedWith(t: TestLike, url: string, options: Parameters<typeof createClient>[2]): Promise<string> {
  const client = createClient(t, url, options)
  const error = await waitFor<Error>(client, 'connect_error')
  client.disconnect()
  return error.message
}

t.test('token refusals: one line per address per minute, with the count of the others, never the token', async (t) => {
  const clock = new ManualClock()
  const logs = new LogCapture()
  const { url, app } = await startApp(t, { clock, logs, env: testEnv({ API_TOKEN: TOKEN }) })
  for (let i = 0; i < 3; i++) t.equal(await refusedWith(t, url, {}), 'unauthorized')
  t.equal(await refusedWith(t, url, { auth: { token: 'a-wrong-token-99' } }), 'unauthorized')
  let lines = logs.warnings(/Refused a Socket\.IO connection/)
  t.equal(lines.length, 1, 'one line for four refusals within the minute')
  t.match(lines[0], { reason: 'token', address: '127.0.0.1', msg: /from 127\.0\.0\.1: no API token in the handshake/ })

  clock.advance(60_000)
  t.equal(await refusedWith(t, url, { auth: { token: 'a-wrong-token-99' } }), 'unauthorized')
  lines = logs.warnings(/Refused a Socket\.IO connection/)
  t.equal(lines.length, 2, 'the next minute, the next line')
  t.match(lines[1], { reason: 'token', repeated: 3, msg: /wrong API token; 3 more like it since the previous line/ })
  t.notMatch(logs.text(), /a-wrong-token-99|the-secret-token-42/, 'no token in any log line')

  t.same(app.stats.connectionsRefused, { origin: 0, token: 5, address_cap: 0 })
  const stats = (await app.inject({ url: '/api/kismet/ws/stats', headers: { authorization: `Bearer ${TOKEN}` } })).json()
  t.match(stats.data.clients, { refused: 5, refusedByReason: { origin: 0, token: 5, address_cap: 0 } })
  const metrics = (await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } })).body
  t.match(metrics, 'kismet_ws_connections_refused_total{reason="token"} 5')
  t.match(metrics, 'kismet_ws_connections_refused_total{reason="origin"} 0')
  t.match(metrics, 'kismet_ws_connections_refused_total{reason="address_cap"} 0')
})

t.test('origin refusals name the origin, one line per origin, over either transport', async (t) => {
  const clock = new ManualClock()
  const logs = new LogCapture()
  const { url, app } = await startApp(t, { clock, logs, env: testEnv({ CORS_ORIGIN: 'https://map.example' }) })
  for (const transport of ['websocket', 'polling', 'websocket'] as const) {
    t.equal(await refusedWith(t, url, { transports: [transport], extraHeaders: { origin: 'https://evil.example' } }), 'origin not allowed')
  }
  t.equal(await refusedWith(t, url, { extraHeaders: { origin: 'https://other.example' } }), 'origin not allowed')
  const lines = logs.warnings(/Refused a Socket\.IO connection/)
  t.equal(lines.length, 2, 'one line per origin')
  t.match(lines[0], { reason: 'origin', origin: 'https://evil.example', address: '127.0.0.1', msg: /from origin "https:\/\/evil\.example" \(address 127\.0\.0\.1\): not in CORS_ORIGIN/ })
  t.match(lines[1], { reason: 'origin', origin: 'https://other.example' })
  t.same(app.stats.connectionsRefused, { origin: 4, token: 0, address_cap: 0 })
  const metrics = (await app.inject('/metrics')).body
  t.match(metrics, 'kismet_ws_connections_refused_total{reason="origin"} 4')
})

t.test('cap refusals name the address and the cap', async (t) => {
  const logs = new LogCapture()
  const { url, app } = await startApp(t, { logs, socket: { maxConnectionsPerAddress: 1 } })
  const first = createClient(t, url)
  await waitFor(first, 'connected')
  t.equal(await refusedWith(t, url, {}), 'too many connections from this address')
  t.match(logs.warnings(/Refused a Socket\.IO connection/), [{ reason: 'address_cap', address: '127.0.0.1', msg: /it has 1 connections already \(the per-address cap\)/ }])
  t.same(app.stats.connectionsRefused, { origin: 0, token: 0, address_cap: 1 })
})

t.test('the log remembers a bounded number of origins and addresses', async (t) => {
  const clock = new ManualClock()
  const lines: Array<{ fields: Record<string, unknown>; msg: string }> = []
  const log = new RefusalLog({ clock, maxKeys: 3, log: { warn: (fields, msg) => lines.push({ fields: fields as Record<string, unknown>, msg }) } })
  for (let i = 0; i < 10; i++) log.refused({ reason: 'token', address: `10.0.0.${i}`, tokenSent: false })
  t.equal(lines.length, 4, 'three addresses logged, the others share one line')
  t.match(lines[3]!.msg, /too many distinct origins and addresses refused to log each one/)
  clock.advance(60_000)
  log.refused({ reason: 'token', address: '10.0.0.200', tokenSent: false })
  t.equal(lines.length, 5, 'after the minute the old entries are forgotten and a new address has its line')
  t.match(lines[4]!.fields, { address: '10.0.0.200' })
  const long = `https://${'x'.repeat(1000)}.example`
  log.refused({ reason: 'origin', address: '10.0.0.1', origin: long })
  t.ok(String(lines[5]!.fields['origin']).length <= 200, 'a long Origin header is shortened')
})
