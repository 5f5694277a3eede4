// The REST API: every route answers with its schema; errors share one shape; the token,
// the refresh limit and the disabled case.
import t from 'tap'
import { buildApp, startApp, testEnv } from '../helper.js'
import { createClient, waitFor } from '../support/socket.js'
import { schemaErrors } from '../support/schemas.js'
import {
  ErrorResponseSchema,
  HealthResponseSchema,
  NotReadyResponseSchema,
  ReadyResponseSchema,
  StatsResponseSchema,
  StatusResponseSchema,
} from '../../src/api-schemas.js'
import type { SubscriptionAck } from '../../src/events.js'

t.test('GET /health answers 200 with no Kismet at all', async (t) => {
  const app = await buildApp(t, { env: testEnv({ KISMET_ENABLED: 'true', KISMET_API_URL: 'http://127.0.0.1:9' }) })
  const res = await app.inject('/health')
  t.equal(res.statusCode, 200)
  t.same(schemaErrors(HealthResponseSchema, res.json()), [])
})

t.test('GET /ready: 200 when Kismet is disabled, 503 with the state while connecting', async (t) => {
  const disabled = await buildApp(t)
  const ok = await disabled.inject('/ready')
  t.equal(ok.statusCode, 200)
  t.same(ok.json(), { success: true, ready: true, kismet: 'disabled', sensors: [{ name: 'default', state: 'disabled' }] })
  t.same(schemaErrors(ReadyResponseSchema, ok.json()), [])

  const waiting = await buildApp(t, { env: testEnv({ KISMET_ENABLED: 'true', KISMET_API_URL: 'http://127.0.0.1:9' }) })
  const res = await waiting.inject('/ready')
  t.equal(res.statusCode, 503)
  t.same(schemaErrors(NotReadyResponseSchema, res.json()), [])
  t.match(res.json(), { ready: false, kismet: /connecting|backoff/ })
  // The same envelope on 200 and 503: success, ready, kismet, sensors (and the error on 503).
  t.same(Object.keys(ok.json()).sort(), ['kismet', 'ready', 'sensors', 'success'])
  t.same(Object.keys(res.json()).sort(), ['error', 'kismet', 'ready', 'sensors', 'success'])
})

t.test('GET /api/kismet/ws/status lists the clients and their rooms', async (t) => {
  const { app, url } = await startApp(t)
  const client = createClient(t, url)
  await waitFor(client, 'connected')
  await new Promise<SubscriptionAck>((resolve) => client.emit('subscribe', ['devices', 'alerts'], resolve))
  const res = await app.inject('/api/kismet/ws/status')
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.same(schemaErrors(StatusResponseSchema, body), [])
  t.match(body.data, {
    kismet: { connected: false, state: 'disabled', retries: 0, deviceCount: 0, lastPoll: null },
    websocket: { clients: 1, rooms: { devices: 1, alerts: 1, system: 0, scan: 0, tak: 0 } },
  })
  t.equal(body.data.websocket.clientDetails[0].id, client.id)
  t.equal(body.data.websocket.clientDetails[0].address, '127.0.0.1')
  t.same(body.data.websocket.clientDetails[0].topics.sort(), ['alerts', 'devices'])
})

t.test('GET /api/kismet/ws/stats has every counter', async (t) => {
  const app = await buildApp(t)
  const res = await app.inject('/api/kismet/ws/stats')
  t.equal(res.statusCode, 200)
  t.same(schemaErrors(StatsResponseSchema, res.json()), [])
})

t.test('POST /api/kismet/ws/refresh is 503 with a clear error when Kismet is disabled', async (t) => {
  const app = await buildApp(t)
  const res = await app.inject({ method: 'POST', url: '/api/kismet/ws/refresh' })
  t.equal(res.statusCode, 503)
  t.same(schemaErrors(ErrorResponseSchema, res.json()), [])
  t.match(res.json(), { success: false, error: { code: 'KISMET_DISABLED', message: /KISMET_ENABLED=false/ } })
})

t.test('POST /api/kismet/ws/refresh is rate-limited with a JSON 429', async (t) => {
  const app = await buildApp(t, { env: testEnv({ KISMET_ENABLED: 'true', KISMET_API_URL: 'http://127.0.0.1:9' }) })
  const first = await app.inject({ method: 'POST', url: '/api/kismet/ws/refresh' })
  t.equal(first.statusCode, 200)
  t.same(first.json(), { success: true, message: 'Data refresh initiated' })
  const second = await app.inject({ method: 'POST', url: '/api/kismet/ws/refresh', remoteAddress: '10.0.0.2' })
  t.equal(second.statusCode, 429, 'the limit holds whoever asks')
  t.same(schemaErrors(ErrorResponseSchema, second.json()), [])
  t.equal(second.json().error.code, 'RATE_LIMITED')
})

t.test('unknown routes answer the common error shape', async (t) => {
  const app = await buildApp(t)
  const res = await app.inject('/api/nothing')
  t.equal(res.statusCode, 404)
  t.same(schemaErrors(ErrorResponseSchema, res.json()), [])
})

t.test('with API_TOKEN, REST needs the bearer token except /health and the docs', async (t) => {
  const app = await buildApp(t, { env: testEnv({ API_TOKEN: 'a-long-secret' }) })
  t.equal((await app.inject('/health')).statusCode, 200)
  t.equal((await app.inject('/docs/json')).statusCode, 200)
  for (const url of ['/api/kismet/ws/status', '/api/kismet/ws/stats', '/ready', '/metrics']) {
    const res = await app.inject(url)
    t.equal(res.statusCode, 401, `${url} without token`)
    t.same(schemaErrors(ErrorResponseSchema, res.json()), [])
    t.notMatch(res.body, /a-long-secret/)
    const wrong = await app.inject({ url, headers: { authorization: 'Bearer a-long-secreT' } })
    t.equal(wrong.statusCode, 401, `${url} with a wrong token`)
    const right = await app.inject({ url, headers: { authorization: 'Bearer a-long-secret' } })
    t.equal(right.statusCode, 200, `${url} with the token`)
  }
})

t.test('CORS headers follow CORS_ORIGIN on REST', async (t) => {
  const app = await buildApp(t, { env: testEnv({ CORS_ORIGIN: 'https://map.example' }) })
  const allowed = await app.inject({ url: '/health', headers: { origin: 'https://map.example' } })
  t.equal(allowed.headers['access-control-allow-origin'], 'https://map.example')
  const other = await app.inject({ url: '/health', headers: { origin: 'https://evil.example' } })
  t.equal(other.headers['access-control-allow-origin'], undefined)
})

t.test('/docs serves the OpenAPI document generated from the schemas', async (t) => {
  const app = await buildApp(t)
  const res = await app.inject('/docs/json')
  t.equal(res.statusCode, 200)
  const doc = res.json()
  t.equal(doc.openapi.startsWith('3.'), true)
  for (const path of ['/api/kismet/ws/status', '/api/kismet/ws/refresh', '/api/kismet/ws/stats', '/health', '/ready']) {
    t.ok(doc.paths[path], `${path} documented`)
  }
  t.ok(doc.paths['/api/kismet/ws/refresh'].post.responses['429'], 'error responses documented')
  const ui = await app.inject('/docs')
  t.ok([200, 302].includes(ui.statusCode))
})

t.test('/metrics exposes Prometheus text with our series', async (t) => {
  const app = await buildApp(t)
  const res = await app.inject('/metrics')
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /text\/plain/)
  for (const series of ['kismet_ws_clients', 'kismet_ws_events_total', 'kismet_ws_poll_duration_seconds', 'kismet_ws_kismet_state{sensor="default",state="disabled"} 1', 'kismet_ws_kismet_errors_total']) {
    t.match(res.body, series)
  }
})

t.test('every 4xx gets a client error code; only 5xx are INTERNAL', async (t) => {
  const cases = [
    { name: 'a body of another content type', headers: { 'content-type': 'text/xml' }, payload: '<refresh/>', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
    { name: 'a body over the limit', headers: { 'content-type': 'application/json' }, payload: `"${'x'.repeat(1_100_000)}"`, status: 413, code: 'PAYLOAD_TOO_LARGE' },
    { name: 'a body that is not JSON', headers: { 'content-type': 'application/json' }, payload: '{not json', status: 400, code: 'BAD_REQUEST' },
  ]
  for (const c of cases) {
    // A fresh app each: refresh is rate-limited to one call per window.
    const app = await buildApp(t)
    const res = await app.inject({ method: 'POST', url: '/api/kismet/ws/refresh', headers: c.headers, payload: c.payload })
    t.equal(res.statusCode, c.status, `${c.name}: ${c.status}`)
    t.same(schemaErrors(ErrorResponseSchema, res.json()), [])
    t.equal(res.json().error.code, c.code, `${c.name}: ${c.code}`)
  }
})
