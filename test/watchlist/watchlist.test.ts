// Watch lists: REST CRUD, persistence under DATA_DIR (a restart keeps the list; a corrupt
// file is reported, left untouched, the list empty and read-only), found/lost against the
// simulator once per transition across resyncs and restarts, and the webhook against a real
// local HTTP server that is down, then slow.
import t, { type Test } from 'tap'
import Fastify from 'fastify'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import app from '../../app.js'
import { ManualClock } from '../../src/clock.js'
import type { AnyEnvelope, Envelope, SubscriptionAck, WatchEntry } from '../../src/events.js'
import { KismetSimulator } from '../../sim/simulator.js'
import { startApp, TEST_API_KEY, testEnv, type TestLike } from '../helper.js'
import { envelopeErrors } from '../support/schemas.js'
import { createClient, EnvelopeRecorder, waitFor } from '../support/socket.js'

const HOUR = 3_600_000
const LOST_S = 60

function dataDir(t: TestLike): string {
  const dir = mkdtempSync(join(tmpdir(), 'kismet-ws-watch-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** The service against `sim` with time under the test's control; several may be started in turn on one DATA_DIR (a restart). */
async function service(t: TestLike, clock: ManualClock, sim: KismetSimulator, dir: string, env: Record<string, string> = {}, webhook?: { retryDelayMs?: number; timeoutMs?: number; maxQueue?: number; maxAttempts?: number }) {
  const started = await startApp(t, {
    clock,
    ...(webhook && { watchlist: { webhook } }),
    env: testEnv({
      KISMET_ENABLED: 'true',
      KISMET_API_URL: sim.url,
      KISMET_API_KEY: TEST_API_KEY,
      POLL_INTERVAL_MS: String(HOUR),
      HEARTBEAT_INTERVAL_MS: String(HOUR),
      RETRY_DELAY_MS: String(HOUR),
      DATA_DIR: dir,
      WATCH_LOST_S: String(LOST_S),
      ...env,
    }),
  })
  const watchEvents: Array<Envelope<'watch:found'> | Envelope<'watch:lost'>> = []
  started.app.events.subscribe((e) => {
    if (e.type === 'watch:found' || e.type === 'watch:lost') watchEvents.push(e as Envelope<'watch:found'> | Envelope<'watch:lost'>)
  })
  const cycle = () => started.app.sensors.get('default')!.poller.runCycle()
  const story = () => watchEvents.map((e) => `${e.type === 'watch:found' ? 'found' : 'lost'} ${e.data.entry.label} ${e.data.device.key}`)
  return { ...started, cycle, watchEvents, story }
}

async function simulator(t: TestLike, clock: ManualClock, devices = 6): Promise<KismetSimulator> {
  const sim = new KismetSimulator({ apiKey: TEST_API_KEY, seed: 5, devices, clock: () => clock.now() })
  await sim.listen()
  t.teardown(() => sim.close())
  return sim
}

t.test('CRUD: add, read, change, remove; refusals say why', async (t) => {
  const { app: a } = await startApp(t)
  const post = (body: unknown) => a.inject({ method: 'POST', url: '/api/kismet/ws/watchlist', payload: body as object })
  const mac = await post({ label: 'my phone', mac: 'da-a1-19-00-00-01' })
  t.equal(mac.statusCode, 201)
  const entry = (mac.json() as { data: WatchEntry }).data
  t.match(entry, { label: 'my phone', mac: 'DA:A1:19:00:00:01', id: /^[0-9a-f]{12}$/, createdAt: Number })
  t.equal((await post({ label: 'Espressif boards', oui: '24:0a:c4' })).json().data.oui, '24:0A:C4')
  t.equal((await post({ label: 'rogue', ssid: 'FreeWiFi' })).statusCode, 201)

  for (const [what, body, status] of [
    ['no matcher', { label: 'x' }, 400],
    ['two matchers', { label: 'x', mac: 'AA:BB:CC:DD:EE:FF', ssid: 'x' }, 400],
    ['a bad MAC', { label: 'x', mac: 'AA:BB' }, 400],
    ['no label', { mac: 'AA:BB:CC:DD:EE:FF' }, 400],
    ['a misspelt matcher (unknown fields are dropped, as everywhere in the REST API)', { label: 'x', MAC: 'AA:BB:CC:DD:EE:FF' }, 400],
  ] as const) {
    const response = await post(body)
    t.equal(response.statusCode, status, what)
    t.match(response.json(), { success: false, error: { code: 'BAD_REQUEST' } }, what)
  }

  const list = (await a.inject('/api/kismet/ws/watchlist')).json() as { data: { entries: WatchEntry[]; limit: number; persisted: boolean } }
  t.same(list.data.entries.map((e) => e.label), ['my phone', 'Espressif boards', 'rogue'])
  t.equal(list.data.limit, 1000)
  t.equal(list.data.persisted, false, 'no DATA_DIR: memory only')
  t.same((await a.inject(`/api/kismet/ws/watchlist/${entry.id}`)).json().data, entry)
  const changed = await a.inject({ method: 'PUT', url: `/api/kismet/ws/watchlist/${entry.id}`, payload: { label: 'my old phone', mac: 'DA:A1:19:00:00:01' } })
  t.match(changed.json().data, { id: entry.id, label: 'my old phone', createdAt: entry.createdAt }, 'same id and creation time')
  t.equal((await a.inject({ method: 'DELETE', url: `/api/kismet/ws/watchlist/${entry.id}` })).statusCode, 200)
  for (const method of ['GET', 'PUT', 'DELETE'] as const) {
    const response = await a.inject({ method, url: `/api/kismet/ws/watchlist/${entry.id}`, ...(method === 'PUT' && { payload: { label: 'x', ssid: 'x' } }) })
    t.equal(response.statusCode, 404, `${method} of a removed entry`)
  }

  const full = Array.from({ length: 1000 }, (_, i) => ({ label: `e${i}`, ssid: `net-${i}` }))
  const replaced = await a.inject({ method: 'PUT', url: '/api/kismet/ws/watchlist', payload: { entries: full } })
  t.equal(replaced.json().data.entries.length, 1000, 'PUT replaces the whole list')
  const over = await post({ label: 'one more', ssid: 'x' })
  t.equal(over.statusCode, 409)
  t.match(over.json(), { error: { code: 'WATCHLIST_FULL' } }, 'capped at 1000')
  t.equal((await a.inject({ method: 'PUT', url: '/api/kismet/ws/watchlist', payload: { entries: [...full, { label: 'x', ssid: 'y' }] } })).statusCode, 400, 'a list over the cap is refused')

  const doc = (await a.inject('/docs/json')).json() as { paths: Record<string, Record<string, unknown>> }
  t.same(Object.keys(doc.paths['/api/kismet/ws/watchlist'] ?? {}).sort(), ['get', 'post', 'put'], 'in the OpenAPI document')
  t.same(Object.keys(doc.paths['/api/kismet/ws/watchlist/{id}'] ?? {}).sort(), ['delete', 'get', 'put'])
})

t.test('persistence: the list survives a restart, written by atomic replace', async (t) => {
  const dir = dataDir(t)
  const first = await startApp(t, { env: testEnv({ DATA_DIR: dir }) })
  for (const body of [{ label: 'a', mac: 'AA:BB:CC:00:00:01' }, { label: 'b', ssid: 'Lab' }]) await first.app.inject({ method: 'POST', url: '/api/kismet/ws/watchlist', payload: body })
  const saved = JSON.parse(readFileSync(join(dir, 'watchlist.json'), 'utf8')) as { version: number; entries: WatchEntry[] }
  t.same(saved.entries.map((e) => e.label), ['a', 'b'], 'written before the answer')
  await first.app.close()
  // Checked once the service stopped: the watch state is written in the background meanwhile,
  // and a write in flight has its temporary file.
  t.same(readdirSync(dir).filter((f) => f.includes('.tmp')), [], 'no temporary file left')
  const second = await startApp(t, { env: testEnv({ DATA_DIR: dir }) })
  const list = (await second.app.inject('/api/kismet/ws/watchlist')).json() as { data: { entries: WatchEntry[]; persisted: boolean } }
  t.same(list.data.entries, saved.entries, 'read back at start')
  t.equal(list.data.persisted, true)
})

t.test('a corrupt file is reported at start, left untouched, and the service runs with an empty list', async (t) => {
  for (const [what, content] of [
    ['not JSON', '{"entries": [ {"label": "half'],
    ['the wrong shape', JSON.stringify({ entries: [{ label: 'no matcher', id: 'x', createdAt: 1 }] })],
    ['over the cap', JSON.stringify({ version: 1, entries: Array.from({ length: 1001 }, (_, i) => ({ id: String(i), label: 'x', ssid: 'x', createdAt: 1 })) })],
  ] as const) {
    const dir = dataDir(t)
    const file = join(dir, 'watchlist.json')
    writeFileSync(file, content)
    const lines: string[] = []
    const instance = Fastify({ logger: { level: 'error', stream: new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }) }, forceCloseConnections: true })
    t.teardown(() => instance.close())
    await instance.register(app, { env: testEnv({ DATA_DIR: dir, LOG_LEVEL: 'error' }) })
    await instance.ready()
    const logged = lines.map((line) => JSON.parse(line) as { level: number; msg: string }).find((line) => line.msg.includes('watch list file'))
    t.ok(logged && logged.level === 50, `${what}: one error line at start`)
    t.match(logged?.msg, new RegExp(`${file.replaceAll('/', '\\/')} .*left untouched`), `${what}: it names the file and what happens`)
    const list = (await instance.inject('/api/kismet/ws/watchlist')).json() as { data: { entries: unknown[]; persisted: boolean; problem?: string } }
    t.same([list.data.entries, list.data.persisted], [[], false], `${what}: empty`)
    t.match(list.data.problem, /left untouched/)
    const post = await instance.inject({ method: 'POST', url: '/api/kismet/ws/watchlist', payload: { label: 'x', ssid: 'x' } })
    t.equal(post.statusCode, 503, `${what}: changes are refused, they would replace the file`)
    t.match(post.json(), { error: { code: 'WATCHLIST_UNAVAILABLE' } })
    t.equal(readFileSync(file, 'utf8'), content, `${what}: the file is untouched`)
    t.equal((await instance.inject('/health')).statusCode, 200, `${what}: the service runs`)
  }
})

t.test('found and lost: once per transition, across resyncs and restarts', async (t) => {
  const clock = new ManualClock()
  const sim = await simulator(t, clock)
  const dir = dataDir(t)
  const [watched, other] = sim.devices()
  const s1 = await service(t, clock, sim, dir)
  const client = createClient(t, s1.url)
  const recorder = new EnvelopeRecorder(client)
  await waitFor(client, 'connected')
  await new Promise<SubscriptionAck>((resolve) => client.emit('subscribe', 'alerts', resolve))
  await s1.app.inject({ method: 'POST', url: '/api/kismet/ws/watchlist', payload: { label: 'target', mac: watched!.mac } })
  t.same(s1.story(), [], 'nothing before the service has heard it')
  await s1.cycle()
  t.same(s1.story(), [`found target ${watched!.key}`], 'heard for the first time: found')
  const found = await recorder.until((got) => got.some((e) => e.type === 'watch:found'))
  const envelope = found.find((e) => e.type === 'watch:found')!
  t.same(envelopeErrors(envelope), [], 'watch:found matches its schema')
  t.match(envelope, { sensor: 'default', data: { entry: { label: 'target', mac: watched!.mac }, device: { key: watched!.key } } }, 'on the alerts topic, with the device and the entry')

  // Heard again and again, a resync: no second found.
  for (let i = 0; i < 3; i++) {
    clock.advance(20_000)
    sim.touchDevice(watched!.key)
    await s1.cycle()
  }
  await s1.app.sensors.get('default')!.poller.refresh()
  t.same(s1.story(), [`found target ${watched!.key}`], 'heard again, resynced: still one found')

  // Silent for longer than WATCH_LOST_S: lost, once.
  for (let i = 0; i < 4; i++) {
    clock.advance(20_000)
    sim.touchDevice(other!.key)
    await s1.cycle()
  }
  t.same(s1.story().slice(1), [`lost target ${watched!.key}`], 'unheard for WATCH_LOST_S: lost')
  clock.advance(30_000)
  await s1.app.sensors.get('default')!.poller.refresh()
  t.equal(s1.story().length, 2, 'a resync of the silent device is no hearing: nothing more')

  // Heard again: found again.
  sim.touchDevice(watched!.key)
  await s1.cycle()
  t.same(s1.story().slice(2), [`found target ${watched!.key}`], 'heard again after being lost: found')
  await s1.app.watchlist.watcher.flush()
  await s1.app.close()

  // A restart: the initial load reports the device with the lastSeen already known: no found.
  clock.advance(5_000)
  const s2 = await service(t, clock, sim, dir)
  await s2.cycle()
  t.same(s2.story(), [], 'after a restart, a device still present is not found again')
  clock.advance(30_000)
  await s2.cycle()
  // Then it falls silent while the service is down: lost, once, after the next start.
  await s2.app.watchlist.watcher.flush()
  await s2.app.close()
  clock.advance(120_000)
  const s3 = await service(t, clock, sim, dir)
  clock.advance(1_000)
  t.same(s3.story(), [`lost target ${watched!.key}`], 'silent across a restart: lost, once')
  await s3.cycle()
  clock.advance(5_000)
  t.equal(s3.story().length, 1, 'not again')
})

t.test('an entry matches by prefix and by SSID, and an added entry sees the devices already there', async (t) => {
  const clock = new ManualClock()
  const sim = await simulator(t, clock, 4)
  const ap = sim.addDevice({ type: 'Wi-Fi AP', ssid: 'Lab-Net', mac: '24:0A:C4:10:20:30' })
  const s = await service(t, clock, sim, dataDir(t))
  await s.cycle()
  await s.app.inject({ method: 'POST', url: '/api/kismet/ws/watchlist', payload: { label: 'espressif', oui: '24:0A:C4' } })
  await s.app.inject({ method: 'POST', url: '/api/kismet/ws/watchlist', payload: { label: 'lab', ssid: 'lab-net' } })
  t.same(s.story().sort(), [`found espressif ${ap.key}`, `found lab ${ap.key}`], 'found at once: it is in the table')
  clock.advance(5_000)
  sim.touchDevice(ap.key, { signal: -40 })
  await s.cycle()
  t.equal(s.story().length, 2, 'a signal update is a hearing, not a transition')
})

/** A real local HTTP server for the webhook: `mode` decides how it answers. */
async function receiver(t: Test) {
  const received: AnyEnvelope[] = []
  const pending: ServerResponse[] = []
  const state = { mode: 'ok' as 'ok' | 'hang' | 'error' }
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let body = ''
    request.on('data', (chunk: Buffer) => (body += chunk.toString()))
    request.on('end', () => {
      if (state.mode === 'hang') {
        pending.push(response)
        return
      }
      if (state.mode === 'error') {
        response.writeHead(500).end()
        return
      }
      received.push(JSON.parse(body) as AnyEnvelope)
      response.writeHead(204).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const port = (server.address() as { port: number }).port
  const stop = () => {
    for (const response of pending) response.destroy()
    server.closeAllConnections()
    return new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()))
  }
  t.teardown(stop)
  return {
    url: `http://hook:s3cret@127.0.0.1:${port}/hook?token=abc`,
    received,
    state,
    /** Nothing listens on the port any more: connections are refused. */
    down: stop,
    up: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve())),
  }
}

t.test('webhook: a JSON POST per event; an absent receiver is retried with backoff, failures counted', async (t) => {
  const clock = new ManualClock()
  const sim = await simulator(t, clock)
  const hook = await receiver(t)
  await hook.down()
  const s = await service(t, clock, sim, dataDir(t), { WATCH_WEBHOOK_URL: hook.url }, { retryDelayMs: 1000, timeoutMs: 2000 })
  const webhook = s.app.watchlist.webhook!
  const [device] = sim.devices()
  await s.app.inject({ method: 'POST', url: '/api/kismet/ws/watchlist', payload: { label: 'target', mac: device!.mac } })
  let attempt = webhook.nextAttempt()
  await s.cycle()
  t.equal(s.watchEvents.length, 1, 'the event is published at once, whatever the webhook')
  await attempt
  t.same([webhook.counters.failures, webhook.counters.delivered, webhook.counters.queued], [1, 0, 1], 'connection refused: a failure; the event stays queued')
  await hook.up()
  hook.state.mode = 'error'
  attempt = webhook.nextAttempt()
  clock.advance(1000)
  await attempt
  t.equal(webhook.counters.failures, 2, 'retried after 1 s; a 500 is a failure too')
  hook.state.mode = 'ok'
  attempt = webhook.nextAttempt()
  clock.advance(2000)
  await attempt
  t.same([webhook.counters.delivered, webhook.counters.queued], [1, 0], 'delivered once the receiver answers (after 2 s: the delay doubles)')
  t.match(hook.received[0], { type: 'watch:found', sensor: 'default', data: { entry: { label: 'target' }, device: { key: device!.key } } }, 'the envelope as JSON')
  const stats = (await s.app.inject('/api/kismet/ws/stats')).json() as { data: { watch: { found: number; webhook: { target: string; failures: number; delivered: number } } } }
  t.match(stats.data.watch, { found: 1, webhook: { failures: 2, delivered: 1 } }, '/stats counts them')
  t.notMatch(stats.data.watch.webhook.target, /s3cret|token/, 'no credential in /stats')
})

t.test('webhook: a slow receiver never holds the stream; the queue is bounded', async (t) => {
  const clock = new ManualClock()
  const sim = await simulator(t, clock, 8)
  const hook = await receiver(t)
  hook.state.mode = 'hang'
  const s = await service(t, clock, sim, dataDir(t), { WATCH_WEBHOOK_URL: hook.url }, { retryDelayMs: 1000, timeoutMs: 1000, maxQueue: 3 })
  const webhook = s.app.watchlist.webhook!
  const client = createClient(t, s.url)
  const recorder = new EnvelopeRecorder(client)
  await waitFor(client, 'connected')
  await new Promise<SubscriptionAck>((resolve) => client.emit('subscribe', ['devices', 'alerts'], resolve))
  const devices = sim.devices()
  await s.app.inject({ method: 'PUT', url: '/api/kismet/ws/watchlist', payload: { entries: devices.map((d, i) => ({ label: `d${i}`, mac: d.mac })) } })
  await s.cycle()
  t.equal(s.watchEvents.length, devices.length, 'every device found')
  // The first POST hangs at the receiver; everything else waits in the queue, at most 3.
  t.same([webhook.counters.queued, webhook.counters.dropped], [3, devices.length - 3], 'the queue holds 3; the oldest beyond are dropped and counted')
  const added = sim.addDevice()
  clock.advance(1000)
  await s.cycle()
  await recorder.until((got) => got.some((e) => e.type === 'device:update' && e.data.device.key === added.key))
  t.pass('a new device reaches the client while the webhook is stuck')
  t.equal(webhook.counters.delivered, 0, 'nothing delivered to the hanging receiver meanwhile')
  if (webhook.counters.failures === 0) await webhook.nextAttempt()
  t.equal(webhook.counters.failures, 1, 'the request that got no answer within its time limit is a failure')
  t.equal(webhook.counters.queued, 3, 'what waits stays queued for the retry')
})
