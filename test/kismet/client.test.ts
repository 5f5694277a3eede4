// The Kismet client over real HTTP: against the Kismet simulator for every operation and
// every error kind, and against a tiny hand-written server for what the simulator cannot
// produce (a server that ignores paging, pages that shift, wrong top-level shapes) and to
// see the exact requests on the wire.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { inspect } from 'node:util'
import t from 'tap'
import { KismetClient, type KismetClientOptions, type ResponseInfo } from '../../src/kismet/client.js'
import { KismetError, type KismetErrorKind } from '../../src/kismet/errors.js'
import { parseChannel } from '../../src/kismet/mapping.js'
import { DATASOURCE_FIELDS, DEVICE_FIELDS, STATUS_FIELDS } from '../../src/kismet/wire.js'
import { KismetSimulator, type SimDevice, type SimFlavor, type SimulatorOptions } from '../../sim/simulator.js'

const API_KEY = '5ecret-Api-Key-7f3c9e1d2b4a6c8e'
const USER = 'kismet'
const PASSWORD = 'S3cret-Passw0rd!'
const SECRETS = [API_KEY, PASSWORD, Buffer.from(`${USER}:${PASSWORD}`).toString('base64'), encodeURIComponent(PASSWORD)]
const T0 = 1795629789407 // epoch ms, the fixtures' capture time
const PREFIX = '/kismet'

/** Every error any client threw in this file, checked for secrets at the end. */
const thrown: unknown[] = []

/** What the helpers need from a tap test object. */
interface Tap {
  teardown(fn: () => unknown): void
  fail(message: string): unknown
  ok(value: unknown, message: string): unknown
  notOk(value: unknown, message: string): unknown
  equal(found: unknown, wanted: unknown, message: string): unknown
}

/** A simulator on an ephemeral port with a clock the test moves by hand. */
async function simulator(t: Tap, options: SimulatorOptions = {}) {
  const clock = { now: T0 }
  const sim = new KismetSimulator({
    apiKey: API_KEY,
    user: USER,
    password: PASSWORD,
    seed: 11,
    clock: () => clock.now,
    prefix: PREFIX,
    ...options,
  })
  const url = await sim.listen()
  t.teardown(() => sim.close())
  return { sim, url, clock, nowSec: () => Math.floor(clock.now / 1000) }
}

function client(t: Tap, options: Partial<KismetClientOptions> & { baseUrl: string }): KismetClient {
  const c = new KismetClient({ apiKey: API_KEY, timeoutMs: 5000, ...options })
  t.teardown(() => c.close())
  return c
}

/** Awaits a rejection and checks it is a KismetError of `kind` that carries no secret. */
async function rejects(t: Tap, promise: Promise<unknown>, kind: KismetErrorKind, what: string, status?: number): Promise<KismetError | undefined> {
  try {
    await promise
    t.fail(`${what}: expected a KismetError '${kind}'`)
    return undefined
  } catch (error) {
    thrown.push(error)
    if (!(error instanceof KismetError)) {
      t.fail(`${what}: expected a KismetError, got ${inspect(error)}`)
      return undefined
    }
    t.equal(error.kind, kind, `${what}: kind ${kind} (${error.message})`)
    if (status !== undefined) t.equal(error.status, status, `${what}: status ${status}`)
    t.ok(error.path.startsWith('/'), `${what}: names the path`)
    for (const secret of SECRETS) t.notOk(inspect(error, { showHidden: true, depth: 8 }).includes(secret), `${what}: no secret in the error`)
    return error
  }
}

/** The eight operations, each as a call on a client. */
function operations(c: KismetClient, nowSec: number): Array<[string, () => Promise<unknown>]> {
  return [
    ['checkSession', () => c.checkSession()],
    ['systemStatus', () => c.systemStatus()],
    ['serverTime', () => c.serverTime()],
    ['devicesSince', () => c.devicesSince(0)],
    ['devicesSeenWithin', () => c.devicesSeenWithin(300, nowSec)],
    ['alertsSince', () => c.alertsSince(0)],
    ['datasources', () => c.datasources()],
    ['gpsLocation', () => c.gpsLocation()],
  ]
}

/** What the client must make of a simulated device (SPEC 3), for the fields this test compares. */
function expected(d: SimDevice) {
  const types: Record<string, string> = { 'Wi-Fi AP': 'AP', 'Wi-Fi Client': 'Client', 'Wi-Fi Ad-Hoc': 'Ad-Hoc', 'Wi-Fi Bridged': 'Bridged', 'Wi-Fi Device': 'Device' }
  const type = types[d.type] ?? 'Unknown'
  return {
    key: d.key,
    mac: d.mac,
    type,
    name: d.commonname,
    channel: parseChannel(d.channel),
    frequency: d.frequency === 0 ? null : d.frequency / 1000,
    signal: d.signal === 0 ? null : d.signal,
    encryption: d.crypt === '' ? null : d.crypt,
    manufacturer: d.manuf === '' || d.manuf === 'Unknown' ? null : d.manuf,
    firstSeen: d.firstTime * 1000,
    lastSeen: d.lastTime * 1000,
    packets: d.packets,
    dataBytes: d.dataBytes,
    ...(type === 'AP' ? { ssid: d.ssid, clients: d.clients } : {}),
    ...(type === 'Client' ? { ssid: d.probedSsid || null, bssid: d.bssid } : {}),
  }
}

// ---------------------------------------------------------------------------------------

for (const flavor of ['release-2025-09-R1', 'master'] as SimFlavor[]) {
  t.test(`every operation against the simulator (${flavor})`, async (t) => {
    const { sim, url, clock, nowSec } = await simulator(t, { flavor, devices: 60, logDisabledAlert: true })
    const responses: ResponseInfo[] = []
    const c = client(t, { baseUrl: url, onResponse: (info) => responses.push(info) })
    const bytesBefore = sim.stats.bytesSent

    await c.checkSession()
    t.pass('checkSession resolves with the API key')

    const status = await c.systemStatus()
    t.match(status['kismet.system.version'], flavor === 'master' ? /^2026\./ : /^2025\.09\.0-/)
    t.equal(status['kismet.system.timestamp.sec'], nowSec())
    t.equal(status['kismet.system.timestamp.start_sec'], sim.startSec)
    t.equal(status['kismet.system.devices.count'], sim.devices().length)
    t.same(Object.keys(status).sort(), [...STATUS_FIELDS].sort(), 'exactly the requested fields')

    t.equal(await c.serverTime(), T0, 'Kismet clock in epoch ms')

    // Initial load: everything seen in the last 300 s, mapped from the fields we asked for.
    for (const d of sim.devices().slice(-5)) sim.updateDevice(d.key, { lastTime: nowSec() - 301 })
    const truth = sim.devices()
    const recent = truth.filter((d) => d.lastTime >= nowSec() - 300)
    t.ok(recent.length > 10 && recent.length <= truth.length - 5, `${recent.length} of ${truth.length} devices seen within 300 s`)
    const initial = await c.devicesSeenWithin(300, nowSec())
    t.equal(initial.malformed, 0)
    t.same(initial.devices.map((d) => d.key).sort(), recent.map((d) => d.key).sort(), 'exactly the devices seen within the window')
    const byKey = new Map(initial.devices.map((d) => [d.key, d]))
    for (const d of recent) t.match(byKey.get(d.key), expected(d), `${d.type} ${d.mac}`)
    t.ok(initial.devices.some((d) => d.signal !== null) && initial.devices.some((d) => d.type === 'AP' && d.ssid), 'fields applied: signals and SSIDs are there')

    // Incremental: only what moved after T0 (strict >, whole seconds).
    const [a, b] = recent
    clock.now += 10_000
    sim.touchDevice(a!.key, { signal: -41, packets: 5 })
    sim.updateDevice(b!.key, { signal: -77 })
    const added = sim.addDevice({ mac: '02:11:22:33:44:55', type: 'Wi-Fi Client', probedSsid: 'Cafe <b>&"Wi-Fi"</b>', bssid: null })
    const since = await c.devicesSince(Math.floor(T0 / 1000))
    t.same(since.devices.map((d) => d.key).sort(), [a!.key, b!.key, added.key].sort(), 'the three devices that changed')
    const changed = new Map(since.devices.map((d) => [d.key, d]))
    t.match(changed.get(a!.key), { signal: -41, packets: a!.packets + 5, lastSeen: clock.now - (clock.now % 1000) })
    t.match(changed.get(b!.key), { signal: -77 })
    t.match(changed.get(added.key), { type: 'Client', mac: '02:11:22:33:44:55', ssid: 'Cafe <b>&"Wi-Fi"</b>', bssid: null })
    t.same((await c.devicesSince(nowSec())).devices, [], 'nothing newer than now (strict >)')

    // A record Kismet-side that cannot be mapped is skipped and counted; the rest is used.
    sim.addDevice({ key: '4202770D00000000_BAD', mac: 'not a mac' })
    const withBad = await c.devicesSince(Math.floor(T0 / 1000))
    t.equal(withBad.malformed, 1, 'one malformed record counted')
    t.equal(withBad.devices.length, 3, 'the others kept')
    t.equal((await c.devicesSeenWithin(300, nowSec())).malformed, 1, 'initial load counts it too')

    // Alerts: absolute seconds.micro, strict >, newest raw timestamp returned.
    const first = sim.alerts()[0]
    t.equal(first?.header, 'LOGDISABLED')
    clock.now += 1_000
    const deauth = sim.raiseAlert({ header: 'DEAUTHFLOOD', class: 'DENIAL', severity: 10, deviceKey: a!.key })
    clock.now += 1_000
    const mfp = sim.raiseAlert({ header: 'NOCLIENTMFP', class: 'SPOOF', severity: 5, deviceKey: '00_0', transmitterMac: '00:00:00:00:00:00', sourceMac: '5c:41:5a:4f:99:42' })
    const all = await c.alertsSince(0)
    t.equal(all.malformed, 0)
    t.same(all.alerts.map((x) => x.header), ['LOGDISABLED', 'DEAUTHFLOOD', 'NOCLIENTMFP'])
    t.equal(all.latestTimestamp, mfp.timestamp, 'latestTimestamp is the raw Kismet timestamp of the newest')
    t.match(all.alerts[0], { id: String(first!.hash), severity: 'high', class: 'SYSTEM', type: 'kismet', read: false })
    t.notOk('mac' in all.alerts[0]! || 'deviceKey' in all.alerts[0]!, 'the system alert names no device')
    t.match(all.alerts[1], { id: String(deauth.hash), severity: 'medium', deviceKey: a!.key, timestamp: Math.round(deauth.timestamp * 1000) })
    t.match(all.alerts[2], { severity: 'low', mac: '5C:41:5A:4F:99:42' })
    t.notOk('deviceKey' in all.alerts[2]!)
    const after = await c.alertsSince(deauth.timestamp)
    t.same(after.alerts.map((x) => x.id), [String(mfp.hash)], 'strictly after the given alert, to the microsecond')
    const none = await c.alertsSince(all.latestTimestamp)
    t.same(none, { alerts: [], latestTimestamp: all.latestTimestamp, malformed: 0 }, 'nothing new: the since is given back')

    // Datasources.
    sim.setDatasources([
      { name: 'wlan0', hopping: true, numPackets: 1234 },
      { name: 'wlan1', hopping: false, channel: '6HT40+', paused: true },
      { name: 'wlan2', running: false, error: true, errorReason: 'Interface wlan2 vanished' },
    ])
    const sources = await c.datasources()
    t.equal(sources.length, 3)
    t.match(sources[0], { 'kismet.datasource.name': 'wlan0', 'kismet.datasource.running': 1, 'kismet.datasource.hopping': 1, 'kismet.datasource.num_packets': 1234 })
    t.match(sources[1], { 'kismet.datasource.hopping': 0, 'kismet.datasource.channel': '6HT40+', 'kismet.datasource.paused': 1 })
    t.match(sources[2], { 'kismet.datasource.running': 0, 'kismet.datasource.error': 1, 'kismet.datasource.error_reason': 'Interface wlan2 vanished' })
    t.same(Object.keys(sources[0]!).sort(), [...DATASOURCE_FIELDS].sort())

    // The sensor's own position: none without a GPS, the fix once it has one, none when it loses it.
    t.equal(await c.gpsLocation(), null, 'no GPS: no position')
    sim.setGps({ lat: 38.8895, lon: -77.0353, alt: 20 })
    t.same(await c.gpsLocation(), { lat: 38.8895, lon: -77.0353, alt: 20, fix: 3 }, 'a 3D fix: [lon, lat] read the right way round')
    sim.setGps({ lat: 38.8895, lon: -77.0353, fix: 1 })
    t.equal(await c.gpsLocation(), null, 'the fix lost: no position')

    // A Kismet restart shows as a new start time.
    clock.now += 60_000
    sim.restart({ keepDevices: true })
    t.equal((await c.systemStatus())['kismet.system.timestamp.start_sec'], nowSec(), 'restart: new start_sec')

    // onResponse saw every answer, with the bytes the simulator sent.
    t.ok(responses.length >= 12)
    t.ok(responses.every((r) => r.status === 200 && r.bytes > 0 && r.ms >= 0 && r.path.startsWith('/') && !r.path.includes('?')))
    t.equal(
      responses.reduce((sum, r) => sum + r.bytes, 0),
      sim.stats.bytesSent - bytesBefore,
      'bytes received = bytes the simulator sent',
    )
  })
}

t.test('the initial load pages through a large table and drops old devices', async (t) => {
  const { sim, url, clock, nowSec } = await simulator(t, { devices: 1234, seed: 5 })
  const c = client(t, { baseUrl: url })
  clock.now += 5_000
  const truth = sim.devices()
  // 30 devices not heard for an hour, 20 heard right now.
  for (const d of truth.slice(0, 30)) sim.updateDevice(d.key, { lastTime: nowSec() - 3600 })
  for (const d of truth.slice(30, 50)) sim.touchDevice(d.key)
  const logBefore = sim.requestLog.length
  const batch = await c.devicesSeenWithin(1800, nowSec())
  const windowStart = nowSec() - 1800
  const wanted = sim.devices().filter((d) => d.lastTime >= windowStart)
  t.equal(batch.malformed, 0)
  t.equal(batch.devices.length, wanted.length, `${wanted.length} devices seen within 30 min`)
  t.same(new Set(batch.devices.map((d) => d.key)), new Set(wanted.map((d) => d.key)))
  t.ok(batch.devices.every((d) => d.lastSeen >= windowStart * 1000))
  const requests = sim.requestLog.slice(logBefore)
  const pages = Math.ceil(wanted.length / 500)
  t.equal(requests.length, pages, `${pages} pages of 500`)
  requests.forEach((r, i) => {
    t.equal(r.method, 'POST')
    t.equal(r.path, `${PREFIX}/devices/views/all/devices.json?page=${i}&length=500`)
  })
})

t.test('credentials', async (t) => {
  const { sim, url } = await simulator(t, { devices: 3 })
  const port = new URL(url).port

  await client(t, { baseUrl: url }).checkSession()
  t.pass('API key as the KISMET cookie')
  await client(t, { baseUrl: url, apiKey: undefined, user: USER, password: PASSWORD }).systemStatus()
  t.pass('admin login as HTTP Basic')
  const inUrl = client(t, { baseUrl: `http://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}${PREFIX}/`, apiKey: undefined })
  await inUrl.serverTime()
  t.pass('login written into the URL, trailing slash')
  t.equal(inUrl.baseUrl, `http://127.0.0.1:${port}${PREFIX}`, 'the URL shown carries no credential')
  await client(t, { baseUrl: url, user: USER, password: 'wrong' }).checkSession()
  t.pass('the API key wins over a login (no Basic header sent with it)')
  await rejects(t, client(t, { baseUrl: url, apiKey: 'wrong-key', user: USER, password: PASSWORD }).checkSession(), 'unauthorized', 'a wrong key with a right login', 401)

  for (const [what, options] of [
    ['wrong API key', { apiKey: 'not-the-key' }],
    ['wrong password', { apiKey: undefined, user: USER, password: 'not-the-password' }],
    ['no credential', { apiKey: undefined }],
  ] as const) {
    const c = client(t, { baseUrl: url, ...options })
    for (const [name, op] of operations(c, Math.floor(T0 / 1000))) await rejects(t, op(), 'unauthorized', `${what}: ${name}`, 401)
  }

  const wrongPrefix = client(t, { baseUrl: url.replace(PREFIX, '/elsewhere') })
  await rejects(t, wrongPrefix.systemStatus(), 'http', 'a wrong path prefix', 404)
  t.ok(sim.requestLog.every((r) => !r.path.includes(API_KEY)), 'the key never travels in a URL')
})

t.test('every error kind for every operation', async (t) => {
  const { sim, url, nowSec } = await simulator(t, { devices: 20, logDisabledAlert: true })
  const c = client(t, { baseUrl: url, maxResponseBytes: 100_000 })
  const ops = operations(c, nowSec())
  const jsonOps = ops.filter(([name]) => name !== 'checkSession') // check_session answers text, never parsed

  const requestsFor = async (op: () => Promise<unknown>) => {
    const before = sim.stats.requests
    try {
      await op()
    } catch {
      // counted below
    }
    return sim.stats.requests - before
  }

  for (const [name, op] of ops) {
    sim.setFault({ kind: 'unauthorized' }, { times: 1 })
    await rejects(t, op(), 'unauthorized', `${name}: 401`, 401)
    sim.setFault({ kind: 'status', status: 500 }, { times: 1 })
    const e500 = await rejects(t, op(), 'http', `${name}: 500`, 500)
    t.match(e500?.message, /ERROR: simulated server failure/, `${name}: Kismet's reason kept`)
    sim.setFault({ kind: 'status', status: 503 }, { times: 1 })
    await rejects(t, op(), 'http', `${name}: 503 from a proxy`, 503)
    sim.setFault({ kind: 'status', status: 403 }, { times: 1 })
    await rejects(t, op(), 'unauthorized', `${name}: 403 from a proxy`, 403)
    sim.setFault({ kind: 'huge', bytes: 300_000 }, { times: 1 })
    if (name === 'checkSession') await op()
    else await rejects(t, op(), 'bad_body', `${name}: answer larger than maxResponseBytes`, 200)
    sim.setFault(null)
    await op()
    t.pass(`${name}: works again once the fault is gone`)
    sim.setFault({ kind: 'status', status: 500 })
    t.equal(await requestsFor(op), 1, `${name}: exactly one request, no retry inside the client`)
    sim.setFault(null)
  }

  for (const [name, op] of jsonOps) {
    sim.setFault({ kind: 'garbage' }, { times: 1 })
    await rejects(t, op(), 'bad_body', `${name}: garbage`, 200)
    sim.setFault({ kind: 'truncated' }, { times: 1 })
    const cut = await rejects(t, op(), 'bad_body', `${name}: truncated with Kismet's ERROR: tail`, 200)
    t.match(cut?.message, /ERROR:/, `${name}: the tail is reported`)
  }

  // A huge body that is valid JSON is refused by size, whatever it contains.
  const big = client(t, { baseUrl: url, maxResponseBytes: 2_000 })
  await rejects(t, big.devicesSince(0), 'bad_body', 'a device list over the limit')

  // Timeouts: the simulator answers after 400 ms, the client waits 100.
  const impatient = client(t, { baseUrl: url, timeoutMs: 100 })
  sim.setLatency(400)
  for (const [name, op] of operations(impatient, nowSec())) await rejects(t, op(), 'timeout', `${name}: timeout`)
  sim.setLatency(0)
  await impatient.serverTime()
  t.pass('answers again when the latency is gone')

  // Kismet down, then back.
  await sim.goDown()
  for (const [name, op] of ops) await rejects(t, op(), 'unreachable', `${name}: Kismet down`)
  await sim.comeUp()
  for (const [name, op] of ops) {
    await op()
    t.pass(`${name}: Kismet back`)
  }
})

t.test('a closed port, and close() during a request', async (t) => {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  const c = client(t, { baseUrl: `http://127.0.0.1:${port}` })
  for (const [name, op] of operations(c, 0)) await rejects(t, op(), 'unreachable', `${name}: connection refused`)

  const { sim, url } = await simulator(t, { devices: 3 })
  const closing = client(t, { baseUrl: url })
  sim.setLatency(5_000)
  const pending = closing.systemStatus()
  // The simulator holds every answer for 5 s, so the request is still in flight here.
  await new Promise<void>((resolve) => setImmediate(resolve))
  closing.close()
  await rejects(t, pending, 'unreachable', 'aborted by close()')
  await rejects(t, closing.serverTime(), 'unreachable', 'called after close()')
  sim.setLatency(0)
})

// ---------------------------------------------------------------------------------------
// A hand-written server: exact requests on the wire, and answers the simulator never gives.

interface Seen {
  method: string
  url: string
  headers: IncomingHttpHeaders
  body: string
}

async function stub(t: Tap, answer: (req: Seen) => { status?: number; body: string; contentType?: string }) {
  const seen: Seen[] = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }
      seen.push(request)
      const { status = 200, body, contentType = 'application/json' } = answer(request)
      res.writeHead(status, { 'content-type': contentType })
      res.end(body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/prefix`, seen }
}

function kismetDevice(mac: string, lastTime: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'kismet.device.base.key': `4202770D00000000_${mac.replace(/:/g, '')}`,
    'kismet.device.base.macaddr': mac,
    'kismet.device.base.commonname': mac,
    'kismet.device.base.type': 'Wi-Fi Client',
    'kismet.device.base.phyname': 'IEEE802.11',
    'kismet.device.base.manuf': 'Unknown',
    'kismet.device.base.channel': '6',
    'kismet.device.base.frequency': 2437000,
    'kismet.device.base.crypt': '',
    'kismet.device.base.first_time': lastTime - 100,
    'kismet.device.base.last_time': lastTime,
    'kismet.device.base.packets.total': 10,
    'kismet.device.base.datasize': 0,
    'signal.last': -60,
    'location.avg': 0,
    'dot11.ssid': 0,
    'dot11.probed_ssid': 0,
    'dot11.clients': 0,
    'dot11.bssid': 0,
    ...extra,
  }
}

t.test('the requests on the wire', async (t) => {
  const { url, seen } = await stub(t, (req) => ({
    body: req.url.includes('check_session') ? 'Session valid\n' : req.url.includes('timestamp') || req.url.includes('status') ? '{}' : '[]',
  }))
  const c = client(t, { baseUrl: url })
  await c.checkSession()
  await rejects(t, c.systemStatus(), 'bad_body', 'a status without timestamps')
  await c.devicesSince(1795629779.9)
  await c.devicesSeenWithin(300, 1795629789)
  await c.alertsSince(1795630037.617954)
  await c.alertsSince(-30)
  await c.datasources()

  t.same(
    seen.map((r) => `${r.method} ${r.url}`),
    [
      'GET /prefix/session/check_session',
      'POST /prefix/system/status.json',
      'POST /prefix/devices/last-time/1795629779/devices.json',
      'POST /prefix/devices/views/all/devices.json?page=0&length=500',
      'GET /prefix/alerts/last-time/1795630037.617954/alerts.json',
      'GET /prefix/alerts/last-time/0.000000/alerts.json',
      'POST /prefix/datasource/all_sources.json',
    ],
  )
  for (const r of seen) {
    t.equal(r.headers.cookie, `KISMET=${API_KEY}`, `${r.url}: the API key as the KISMET cookie`)
    t.notOk(r.headers.authorization, 'no Basic alongside the key')
    if (r.method === 'POST') t.equal(r.headers['content-type'], 'application/json', `${r.url}: exactly application/json`)
  }
  t.same(JSON.parse(seen[1]!.body), { fields: STATUS_FIELDS })
  t.same(JSON.parse(seen[2]!.body), { fields: DEVICE_FIELDS })
  t.same(JSON.parse(seen[3]!.body), { fields: DEVICE_FIELDS, last_time: 1795629789 - 300 })
  t.same(JSON.parse(seen[6]!.body), { fields: DATASOURCE_FIELDS })

  const basic = client(t, { baseUrl: url, apiKey: undefined, user: USER, password: PASSWORD })
  await basic.checkSession()
  const last = seen[seen.length - 1]!
  t.equal(last.headers.authorization, `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`)
  t.notOk(last.headers.cookie, 'no cookie with a login')
})

t.test('a server before 2025-09 ignores paging: its plain array is the whole list', async (t) => {
  const now = 1795629789
  const list = [
    kismetDevice('AA:00:00:00:00:01', now - 10),
    kismetDevice('AA:00:00:00:00:02', now - 299),
    kismetDevice('AA:00:00:00:00:03', now - 301), // older than the window: dropped here
    kismetDevice('AA:00:00:00:00:01', now - 5), // the same device twice: the newest wins
    { 'kismet.device.base.key': 'x' }, // malformed
  ]
  const { url, seen } = await stub(t, () => ({ body: JSON.stringify(list) }))
  const batch = await client(t, { baseUrl: url }).devicesSeenWithin(300, now)
  t.equal(seen.length, 1, 'one request')
  t.same(batch.devices.map((d) => d.mac).sort(), ['AA:00:00:00:00:01', 'AA:00:00:00:00:02'])
  t.equal(batch.devices.find((d) => d.mac === 'AA:00:00:00:00:01')?.lastSeen, (now - 5) * 1000)
  t.equal(batch.malformed, 1)
})

t.test('pages that shift while being read are de-duplicated by key', async (t) => {
  const now = 1795629789
  // 1001 devices, 3 pages; between page 0 and page 1 a device moves down one place.
  const table = Array.from({ length: 1001 }, (_, i) => kismetDevice(`BB:00:00:00:${String(Math.floor(i / 256)).padStart(2, '0')}:${(i % 256).toString(16).padStart(2, '0').toUpperCase()}`, now - 1))
  let calls = 0
  const { url, seen } = await stub(t, (req) => {
    const page = Number(new URL(req.url, 'http://x').searchParams.get('page'))
    const rows = calls++ === 0 ? table : [kismetDevice('BB:FF:00:00:00:01', now), ...table] // a new device at the top shifts everyone down
    return { body: JSON.stringify({ data: rows.slice(page * 500, page * 500 + 500), last_page: Math.ceil(rows.length / 500), last_row: rows.length, total_row: rows.length }) }
  })
  const batch = await client(t, { baseUrl: url }).devicesSeenWithin(300, now)
  t.equal(seen.length, 3, 'three pages')
  t.equal(batch.devices.length, 1001, 'every device once')
  t.equal(new Set(batch.devices.map((d) => d.key)).size, 1001)
})

t.test('answers of the wrong shape are bad bodies', async (t) => {
  const bodies: Record<string, string> = {}
  const { url } = await stub(t, (req) => ({ body: bodies[new URL(req.url, 'http://x').pathname.replace('/prefix', '')] ?? '' }))
  const c = client(t, { baseUrl: url })
  const cases: Array<[string, string, () => Promise<unknown>]> = [
    ['/system/status.json', '[]', () => c.systemStatus()],
    ['/system/status.json', '{"kismet.system.timestamp.sec": "now"}', () => c.systemStatus()],
    ['/system/timestamp.json', '[1795629789]', () => c.serverTime()],
    ['/system/timestamp.json', '', () => c.serverTime()],
    ['/devices/last-time/0/devices.json', '{"data": []}', () => c.devicesSince(0)],
    ['/devices/last-time/0/devices.json', 'null', () => c.devicesSince(0)],
    ['/devices/views/all/devices.json', '{"kismet.device.base.key": "x"}', () => c.devicesSeenWithin(300, 1795629789)],
    ['/devices/views/all/devices.json', '{"data": [], "last_page": "1"}', () => c.devicesSeenWithin(300, 1795629789)],
    ['/alerts/last-time/0.000000/alerts.json', '{"kismet.alert.list": []}', () => c.alertsSince(0)],
    ['/datasource/all_sources.json', '[{"kismet.datasource.name": "wlan0"}]', () => c.datasources()],
    ['/datasource/all_sources.json', '[{"kismet.datasource.uuid": "u"},{"kismet', () => c.datasources()],
    ['/gps/location.json', '[]', () => c.gpsLocation()],
    ['/gps/location.json', '{"kismet.common.location.geopoint": ["-77.0353", "38.8895"], "kismet.common.location.fix": 3}', () => c.gpsLocation()],
  ]
  for (const [path, body, op] of cases) {
    bodies[path] = body
    await rejects(t, op(), 'bad_body', `${path} answering ${JSON.stringify(body).slice(0, 40)}`)
  }
})

t.test('alerts: malformed records are counted, their timestamps still move the cursor', async (t) => {
  const alert = (hash: unknown, ts: number) => ({ 'kismet.alert.hash': hash, 'kismet.alert.header': 'APSPOOF', 'kismet.alert.class': 'SPOOF', 'kismet.alert.severity': 15, 'kismet.alert.timestamp': ts, 'kismet.alert.text': 'x' })
  const { url } = await stub(t, () => ({ body: JSON.stringify([alert(1, 1795630037.5), alert('garbage', 1795630040.25), 'not an alert']) }))
  const batch = await client(t, { baseUrl: url }).alertsSince(1795630000)
  t.equal(batch.alerts.length, 1)
  t.equal(batch.malformed, 2)
  t.equal(batch.latestTimestamp, 1795630040.25, 'a bad record is not fetched again and again')
})

t.test('no error ever carried a credential', async (t) => {
  t.ok(thrown.length > 100, `${thrown.length} errors checked`)
  for (const error of thrown) {
    const text = `${String(error)} ${JSON.stringify(error)} ${inspect(error, { showHidden: true, depth: 8 })}`
    for (const secret of SECRETS) if (text.includes(secret)) t.fail(`an error carries a secret: ${String(error)}`)
  }
  t.pass('none')
})

t.test('paths join the base URL without a doubled slash, with or without a trailing slash', async (t) => {
  const { url, seen } = await stub(t, () => ({ body: '{"kismet.system.timestamp.sec": 1795629789, "kismet.system.timestamp.usec": 0}' }))
  const origin = url.replace(/\/prefix$/, '')
  for (const base of [origin, `${origin}/`, `${origin}/prefix/`]) {
    const client = new KismetClient({ baseUrl: base, apiKey: 'ABCDEF0123456789ABCDEF0123456789', timeoutMs: 2000 })
    await client.serverTime()
    client.close()
  }
  t.same(
    seen.map((r) => r.url),
    ['/system/timestamp.json', '/system/timestamp.json', '/prefix/system/timestamp.json'],
  )
})
