// The simulator's eventbus (/eventbus/events.ws) held against the captures of a real Kismet
// (test/fixtures/kismet/eventbus/*.json, gps/eventbus_gps_location.json), the way
// conformance.test.ts holds REST: the same upgrade (path, credential) and the same commands
// go to a simulator of the captured server (master) holding the same devices and alerts, and
// what comes back must match the capture — status, headers and body of a refused upgrade;
// for frames their topic keys, their JSON (values where the simulator holds the same data,
// else key paths and types) and Kismet's JSON layout. Then what the captures do not show,
// from Kismet's eventbus.cc: UNSUBSCRIBE, a repeated SUBSCRIBE, a binary frame, commands that
// are JSON but not objects, the datasource events' bare UUID; and the scripted faults.
import t, { type Test } from 'tap'
import WebSocket from 'ws'
import { ManualClock } from '../../src/clock.js'
import { DEVICE_FIELDS } from '../../src/kismet/wire.js'
import { kismetJson } from '../../sim/eventbus.js'
import type { JsonValue } from '../../sim/json.js'
import { KismetSimulator, type SimulatorOptions } from '../../sim/simulator.js'
import { rawRequest, readFixtureJson, shapeDifferences, simAlertFromRecord, simDeviceFromRecord } from '../support/fixtures.js'
import { until } from '../support/pipeline.js'

const API_KEY = '5C5A3F0E9B1D4C2A8E7F6A5B4C3D2E1F'

type Message = Record<string, unknown>

/** A capture as the fixtures' README describes it. */
interface Capture {
  url: string
  sent: Array<Record<string, unknown>>
  received: Array<{ t: number; binary: boolean; bytes: number; message: Message }>
  counts?: Record<string, number>
  open?: boolean
  unexpected_response?: { status: number; headers: Record<string, string>; body: string }
}

function capture(file: string): Capture {
  return readFixtureJson(file) as Capture
}

function capturedOf(c: Capture, topic: string): unknown[] {
  return c.received.filter((r) => Object.keys(r.message).includes(topic)).map((r) => r.message[topic])
}

interface Harness {
  sim: KismetSimulator
  clock: ManualClock
  url: string
  wsUrl: string
}

async function simulator(t: Test, options: SimulatorOptions = {}): Promise<Harness> {
  const clock = new ManualClock(1_795_629_659_002)
  const sim = new KismetSimulator({ flavor: 'master', apiKey: API_KEY, user: 'kismet', password: 'kismet', clock: () => clock.now(), timers: clock, ...options })
  const url = await sim.listen()
  t.teardown(() => sim.close())
  return { sim, clock, url, wsUrl: url.replace(/^http/, 'ws') }
}

/** A websocket to the simulator that keeps every frame (text, parsed). */
class Client {
  readonly frames: Array<{ text: string; message: Message }> = []
  closed: { code: number } | undefined
  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const text = data.toString()
      this.frames.push({ text, message: JSON.parse(text) as Message })
    })
    ws.on('close', (code) => (this.closed = { code }))
  }

  static async open(t: Test, url: string, headers: Record<string, string> = { cookie: `KISMET=${API_KEY}` }): Promise<Client> {
    const ws = new WebSocket(url, { headers, perMessageDeflate: false })
    t.teardown(() => ws.terminate())
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
    })
    return new Client(ws)
  }

  send(command: unknown): void {
    this.ws.send(typeof command === 'string' ? command : JSON.stringify(command))
  }

  of(topic: string): unknown[] {
    return this.frames.filter((f) => Object.keys(f.message).includes(topic)).map((f) => f.message[topic])
  }
}

/** The simulator has read the client's commands once it lists a subscriber for `topic` (commands are processed in order). */
async function subscribed(h: Harness, topic: string, count = 1): Promise<void> {
  await until(() => h.sim.eventbusSubscribers(topic) >= count, `a subscriber of ${topic}`)
}

/** One second of the simulator's clock, and the frames it sent are read. */
async function second(h: Harness, client: Client, expected: number): Promise<void> {
  const before = client.frames.length
  h.clock.advance(1000)
  await until(() => client.frames.length >= before + expected, `${expected} frames`)
}

/** What a refused upgrade gives a ws client: the status, headers and body before any upgrade. */
function refusedUpgrade(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers })
    ws.on('unexpected-response', (_request, response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, headers: response.headers as Record<string, string>, body: Buffer.concat(chunks).toString('utf8') })
        ws.terminate()
      })
    })
    ws.on('open', () => reject(new Error('the upgrade was accepted')))
    ws.on('error', () => {})
  })
}

t.test('refused upgrades answer plain HTTP before any upgrade, as captured', async (t) => {
  const h = await simulator(t)
  for (const [file, url, headers] of [
    ['eventbus/no-auth.json', `${h.wsUrl}/eventbus/events.ws`, {}],
    ['eventbus/bad-apikey.json', `${h.wsUrl}/eventbus/events.ws?KISMET=00000000000000000000000000000000`, {}],
    ['eventbus/no-ws-extension.json', `${h.wsUrl}/eventbus/events?KISMET=${API_KEY}`, {}],
  ] as const) {
    const captured = capture(file).unexpected_response!
    const got = await refusedUpgrade(url, headers)
    t.equal(got.status, captured.status, `${file}: status`)
    t.same(
      { server: got.headers['server'], 'content-type': got.headers['content-type'], 'content-length': got.headers['content-length'] },
      captured.headers,
      `${file}: headers`,
    )
    t.equal(got.body, captured.body, `${file}: body, byte for byte`)
  }
})

t.test('TIMESTAMP every second, with the cookie, and in ekjson', async (t) => {
  const h = await simulator(t)
  const cookie = await Client.open(t, `${h.wsUrl}/eventbus/events.ws`)
  const ek = await Client.open(t, `${h.wsUrl}/eventbus/events.ws?KISMET=${API_KEY}`, {})
  cookie.send({ SUBSCRIBE: 'TIMESTAMP' })
  ek.send({ SUBSCRIBE: 'TIMESTAMP', format: 'ekjson' })
  await subscribed(h, 'TIMESTAMP', 2)
  await second(h, cookie, 1)
  await second(h, cookie, 1)
  await until(() => ek.frames.length >= 2, 'the ekjson frames')
  const plain = capture('eventbus/timestamp_cookie-auth.json')
  t.same(shapeDifferences(cookie.of('TIMESTAMP'), capturedOf(plain, 'TIMESTAMP')), [], 'TIMESTAMP: the captured shape')
  t.same(cookie.frames.map((f) => Object.keys(f.message)), [['TIMESTAMP'], ['TIMESTAMP']], 'one topic key per frame, nothing else (no acknowledgement)')
  t.same(cookie.of('TIMESTAMP')[1], { 'kismet.system.timestamp.sec': 1_795_629_661, 'kismet.system.timestamp.usec': 2000 }, "the simulator's clock")
  t.same(shapeDifferences(ek.of('TIMESTAMP'), capturedOf(capture('eventbus/timestamp_ekjson.json'), 'TIMESTAMP')), [], 'ekjson: dots become underscores')
  for (const { text, message } of cookie.frames) t.equal(text, kismetJson(message as JsonValue), "Kismet's JSON layout")
  for (const r of plain.received) t.equal(Buffer.byteLength(kismetJson(r.message as JsonValue)), r.bytes, 'the layout gives the captured sizes')
})

t.test('invalid JSON and unknown topics are ignored without a reply; TIMESTAMP still works', async (t) => {
  const h = await simulator(t)
  const client = await Client.open(t, `${h.wsUrl}/eventbus/events.ws?KISMET=${API_KEY}`, {})
  for (const command of capture('eventbus/bad-subscribe-message.json').sent) client.send('_raw' in command ? String(command['_raw']) : command)
  await subscribed(h, 'TIMESTAMP')
  await second(h, client, 1)
  t.same(client.frames.map((f) => Object.keys(f.message)), [['TIMESTAMP']])
  t.equal(client.closed, undefined, 'still open')
})

t.test('ALERT: the whole record, and with fields, as captured', async (t) => {
  const h = await simulator(t)
  const whole = await Client.open(t, `${h.wsUrl}/eventbus/events.ws`)
  const fields = await Client.open(t, `${h.wsUrl}/eventbus/events.ws`)
  const full = capture('eventbus/alert_topic.json')
  const simplified = capture('eventbus/alert_topic.fields.json')
  whole.send(full.sent[0])
  fields.send(simplified.sent[0])
  await subscribed(h, 'ALERT', 2)
  const records = capturedOf(full, 'ALERT') as Array<Record<string, unknown>>
  for (const record of records) {
    h.sim.raiseAlert(simAlertFromRecord(record))
  }
  await until(() => whole.frames.length === records.length && fields.frames.length === records.length, 'one frame per alert on each socket')
  // The master build prints some alerts' location in full and others as a bare geopoint (the
  // REST captures show the same mix); the simulator always prints it in full.
  const withoutLocation = (list: unknown[]) => list.map((record) => ({ ...(record as Record<string, unknown>), 'kismet.alert.location': undefined }))
  t.same(withoutLocation(whole.of('ALERT')), withoutLocation(records), 'the whole records, value for value (location aside)')
  t.same(shapeDifferences(whole.of('ALERT'), records), [], 'the captured shape, location included')
  t.same(fields.of('ALERT'), capturedOf(simplified, 'ALERT'), '`fields` applied to each value')
  // Kismet prints an alert's timestamp with six decimals (1795630099.006890); JSON numbers
  // have no trailing zeros, so the layout is compared on the captured values.
  t.same(
    fields.frames.map((f) => f.text),
    simplified.received.map((r) => kismetJson(r.message as JsonValue)),
    "the captured frames in Kismet's layout",
  )
})

t.test('NEW_DEVICE at creation: the whole record, and with fields, as captured', async (t) => {
  const h = await simulator(t)
  const whole = await Client.open(t, `${h.wsUrl}/eventbus/events.ws`)
  const multi = await Client.open(t, `${h.wsUrl}/eventbus/events.ws`)
  const service = await Client.open(t, `${h.wsUrl}/eventbus/events.ws`)
  whole.send({ SUBSCRIBE: 'NEW_DEVICE' })
  const topics = capture('eventbus/multi_topics.json')
  for (const command of topics.sent) multi.send(command)
  service.send({ SUBSCRIBE: 'NEW_DEVICE', fields: DEVICE_FIELDS })
  await subscribed(h, 'NEW_DEVICE', 3)
  await subscribed(h, 'DOT11_NEW_SSID_BASEDEV')

  const full = capture('eventbus/new_device_full.json')
  const records = capturedOf(full, 'NEW_DEVICE') as Array<Record<string, unknown>>
  for (const record of records) h.sim.addDevice({ ...simDeviceFromRecord(record), location: null })
  const added = new Set(records.map((record) => record['kismet.device.base.key']))
  const withFields = (capturedOf(topics, 'NEW_DEVICE') as Array<Record<string, unknown>>).filter((record) => !added.has(record['kismet.device.base.key']))
  for (const record of withFields) {
    h.sim.addDevice({
      key: record['kismet.device.base.key'] as string,
      mac: record['kismet.device.base.macaddr'] as string,
      type: record['kismet.device.base.type'] as string,
      firstTime: record['kismet.device.base.first_time'] as number,
      lastTime: record['kismet.device.base.first_time'] as number,
    })
  }
  const total = records.length + withFields.length
  await until(() => whole.frames.length === total && multi.frames.length === total && service.frames.length === total, 'one NEW_DEVICE per device on each socket')
  t.same(shapeDifferences(whole.of('NEW_DEVICE').slice(0, records.length), records), [], 'whole records: the captured shape')
  t.same(multi.of('NEW_DEVICE').slice(records.length), withFields, 'with fields: the captured values')
  t.same(
    multi.frames.map((f) => Object.keys(f.message)),
    Array.from({ length: total }, () => ['NEW_DEVICE']),
    'of the 14 subscriptions only NEW_DEVICE fired (the other topics are not simulated; DOT11_NEW_SSID_BASEDEV is no topic)',
  )
  const serviceRecord = service.of('NEW_DEVICE')[0] as Record<string, unknown>
  t.same(Object.keys(serviceRecord), DEVICE_FIELDS.map((f) => (typeof f === 'string' ? f : f[1])), "the service's fields, aliases as keys")
})

t.test('SUBSCRIBE "*": every topic, GPS_LOCATION a zero geopoint without a fix; with a fix, the captured triplet', async (t) => {
  const h = await simulator(t)
  const all = await Client.open(t, `${h.wsUrl}/eventbus/events.ws`)
  all.send({ SUBSCRIBE: '*' })
  await subscribed(h, 'TIMESTAMP')
  await second(h, all, 2)
  const wildcard = capture('eventbus/subscribe_wildcard.json')
  t.same(all.frames.map((f) => Object.keys(f.message)[0]), ['TIMESTAMP', 'GPS_LOCATION'], 'TIMESTAMP, then GPS_LOCATION, each second')
  t.same(all.of('GPS_LOCATION'), [capturedOf(wildcard, 'GPS_LOCATION')[0]], 'no GPS: the captured zero geopoint')
  t.same(shapeDifferences(all.of('TIMESTAMP'), capturedOf(wildcard, 'TIMESTAMP')), [])

  h.sim.setGps({ lat: 38.8895, lon: -77.0353, alt: 20, fix: 3 })
  const gps = await Client.open(t, `${h.wsUrl}/eventbus/events.ws`)
  gps.send({ SUBSCRIBE: 'GPS_LOCATION' })
  await subscribed(h, 'GPS_LOCATION', 2)
  await second(h, gps, 1)
  const captured = capturedOf(capture('gps/eventbus_gps_location.json'), 'GPS_LOCATION')
  t.same(shapeDifferences(gps.of('GPS_LOCATION'), captured), [], 'the captured triplet (with gps_uuid)')
  t.match(gps.of('GPS_LOCATION')[0], { 'kismet.common.location.geopoint': [-77.0353, 38.8895], 'kismet.common.location.alt': 20, 'kismet.common.location.fix': 3 })
  h.sim.addDevice()
  await until(() => all.of('NEW_DEVICE').length === 1, 'the wildcard gets NEW_DEVICE too')
})

t.test("from Kismet's source: UNSUBSCRIBE, SUBSCRIBE again replaces, topic and * both fire, no reply ever", async (t) => {
  const h = await simulator(t)
  const client = await Client.open(t, `${h.wsUrl}/eventbus/events.ws`)
  client.send({ SUBSCRIBE: 'ALERT', fields: ['kismet.alert.header'] })
  client.send({ SUBSCRIBE: 'ALERT', fields: ['kismet.alert.hash', 'kismet.alert.no_such_field'] })
  await subscribed(h, 'ALERT')
  const alert = h.sim.raiseAlert()
  await until(() => client.frames.length === 1, 'the alert')
  t.same(client.of('ALERT'), [{ 'kismet.alert.hash': alert.hash, 'kismet.alert.no_such_field': 0 }], 'the second field set replaced the first; a missing field is 0')
  client.send({ SUBSCRIBE: '*' })
  await subscribed(h, 'ANYTHING')
  h.sim.raiseAlert()
  await until(() => client.frames.length === 3, 'the alert twice: once for ALERT, once for *')
  client.send({ UNSUBSCRIBE: 'ALERT' })
  client.send({ UNSUBSCRIBE: '*' })
  await until(() => h.sim.eventbusSubscribers('ALERT') === 0, 'the unsubscription')
  h.sim.raiseAlert()
  h.clock.advance(1000)
  // A ping round trip: anything the simulator sent before answering it has arrived.
  await new Promise<void>((resolve) => {
    client.ws.once('pong', () => resolve())
    client.ws.ping()
  })
  t.equal(client.frames.length, 3, 'nothing after UNSUBSCRIBE')
})

t.test('datasource events carry the bare UUID; by-uuid/source.json answers the source', async (t) => {
  const h = await simulator(t)
  const client = await Client.open(t, `${h.wsUrl}/eventbus/events.ws`)
  const zeros = await Client.open(t, `${h.wsUrl}/eventbus/events.ws`)
  for (const topic of ['DATASOURCE_OPENED', 'DATASOURCE_CLOSED', 'DATASOURCE_ERROR', 'DATASOURCE_PAUSED', 'DATASOURCE_RESUMED']) client.send({ SUBSCRIBE: topic })
  zeros.send({ SUBSCRIBE: 'DATASOURCE_PAUSED', fields: ['kismet.datasource.uuid'] })
  await subscribed(h, 'DATASOURCE_RESUMED')
  await subscribed(h, 'DATASOURCE_PAUSED', 2)
  const { uuid } = h.sim.datasources()[0]!
  h.sim.updateDatasource(uuid, { paused: true })
  h.sim.updateDatasource(uuid, { paused: true }) // already paused: no event
  h.sim.updateDatasource(uuid, { paused: false })
  h.sim.updateDatasource(uuid, { error: true, errorReason: 'interface went away' })
  h.sim.updateDatasource(uuid, { error: false, errorReason: '', running: true })
  h.sim.updateDatasource(uuid, { running: false })
  await until(() => client.frames.length === 5, 'five events')
  t.same(
    client.frames.map((f) => f.message),
    [{ DATASOURCE_PAUSED: uuid }, { DATASOURCE_RESUMED: uuid }, { DATASOURCE_ERROR: uuid }, { DATASOURCE_OPENED: uuid }, { DATASOURCE_CLOSED: uuid }],
  )
  await until(() => zeros.frames.length === 1, 'the frame with fields')
  t.same(zeros.of('DATASOURCE_PAUSED'), [{ 'kismet.datasource.uuid': 0 }], 'fields over a bare value give zeros (KISMET-API.md 5.1)')

  const headers = { cookie: `KISMET=${API_KEY}` }
  const one = await rawRequest(`${h.url}/datasource/by-uuid/${uuid.toLowerCase()}/source.json`, { headers })
  const list = await rawRequest(`${h.url}/datasource/all_sources.json`, { headers })
  t.equal(one.status, 200)
  t.same(JSON.parse(one.text), (JSON.parse(list.text) as unknown[])[0], 'the same record as in all_sources.json')
  const unknown = await rawRequest(`${h.url}/datasource/by-uuid/00000000-0000-0000-0000-000000000000/source.json`, { headers })
  t.same([unknown.status, unknown.text], [500, 'ERROR: no such datasource\n'])
  const bad = await rawRequest(`${h.url}/datasource/by-uuid/not-a-uuid/source.json`, { headers })
  t.same([bad.status, bad.text], [500, 'ERROR: invalid uuid\n'])
})

t.test('a binary frame, or a command that is JSON but not an object, closes the socket', async (t) => {
  const h = await simulator(t)
  for (const send of [(c: Client) => c.ws.send(Buffer.from([1, 2, 3]), { binary: true }), (c: Client) => c.send('[1, 2]'), (c: Client) => c.send({ SUBSCRIBE: 7 })]) {
    const client = await Client.open(t, `${h.wsUrl}/eventbus/events.ws`)
    send(client)
    await until(() => client.closed !== undefined, 'the close')
    t.pass(`closed (code ${client.closed?.code})`)
  }
})

t.test('scripted while REST stays up: refuse 401/404, stall (held, then sent), garbage, drop', async (t) => {
  const h = await simulator(t)
  const headers = { cookie: `KISMET=${API_KEY}` }
  h.sim.setEventbusFault({ kind: 'refuse', status: 401 })
  t.equal((await refusedUpgrade(`${h.wsUrl}/eventbus/events.ws`, headers)).status, 401)
  h.sim.setEventbusFault({ kind: 'refuse', status: 404 })
  const notFound = await refusedUpgrade(`${h.wsUrl}/eventbus/events.ws`, headers)
  t.same([notFound.status, notFound.body], [404, capture('eventbus/no-ws-extension.json').unexpected_response!.body.replace('events</code>', 'events.ws</code>')])
  t.equal((await rawRequest(`${h.url}/system/timestamp.json`, { headers })).status, 200, 'REST answers')
  h.sim.setEventbusFault(null)

  const client = await Client.open(t, `${h.wsUrl}/eventbus/events.ws`)
  client.send({ SUBSCRIBE: 'TIMESTAMP' })
  client.send({ SUBSCRIBE: 'ALERT' })
  await subscribed(h, 'ALERT')
  h.sim.setEventbusFault({ kind: 'stall' })
  h.clock.advance(3000)
  h.sim.raiseAlert()
  await new Promise<void>((resolve) => {
    client.ws.once('pong', () => resolve())
    client.ws.ping()
  })
  t.equal(client.frames.length, 0, 'stalled: nothing sent, TIMESTAMP included')
  h.sim.setEventbusFault(null)
  await until(() => client.frames.length === 4, 'the held frames')
  t.same(client.frames.map((f) => Object.keys(f.message)[0]), ['TIMESTAMP', 'TIMESTAMP', 'TIMESTAMP', 'ALERT'], 'in order, once the stall ends')

  h.sim.setEventbusFault({ kind: 'garbage' })
  const texts: string[] = []
  client.ws.removeAllListeners('message')
  client.ws.on('message', (data) => texts.push(data.toString()))
  h.clock.advance(1000)
  await until(() => texts.length === 1, 'a garbage frame')
  t.throws(() => JSON.parse(texts[0]!), 'garbage is not JSON')
  h.sim.setEventbusFault(null)

  h.sim.dropEventbus()
  await until(() => client.closed !== undefined, 'the drop')
  t.equal(client.closed?.code, 1006, 'cut without a close frame')
  t.equal(h.sim.eventbusClients, 0)
})
