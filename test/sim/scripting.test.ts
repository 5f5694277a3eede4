// The simulator's scripting API: devices appear, change, are heard and forgotten; alerts
// are raised into a ring of 50; the server restarts, goes down and comes back, answers
// slowly or badly; traffic is counted. Time is the test's clock throughout.
import t, { type Test } from 'tap'
import { DEVICE_FIELDS } from '../../src/kismet/wire.js'
import { deviceKeyForMac } from '../../sim/ids.js'
import { KismetSimulator, type SimulatorOptions } from '../../sim/simulator.js'
import { rawRequest, type RawResponse } from '../support/fixtures.js'

const KEY = '0F1E2D3C4B5A69788796A5B4C3D2E1F0'
const START_MS = 1_795_629_789_000
const START = START_MS / 1000

interface Harness {
  sim: KismetSimulator
  url: string
  advance(ms: number): void
  get(path: string): Promise<RawResponse>
  post(path: string, command: unknown): Promise<RawResponse>
}

async function harness(t: Test, options: SimulatorOptions = {}): Promise<Harness> {
  let now = START_MS
  const sim = new KismetSimulator({ apiKey: KEY, clock: () => now, ...options })
  const url = await sim.listen()
  t.teardown(() => sim.close())
  const headers = { Cookie: `KISMET=${KEY}` }
  return {
    sim,
    url,
    advance: (ms) => {
      now += ms
    },
    get: (path) => rawRequest(url + path, { headers }),
    post: (path, command) => rawRequest(url + path, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify(command) }),
  }
}

type Row = Record<string, unknown>
const rows = (res: RawResponse): Row[] => JSON.parse(res.text) as Row[]

t.test('addDevice: realistic defaults, times = now, the key derived from the MAC', async (t) => {
  const h = await harness(t)
  const device = h.sim.addDevice()
  t.equal(device.key, deviceKeyForMac(device.mac))
  t.same([device.firstTime, device.lastTime, device.modTime], [START, START, START])
  t.equal(device.phyname, 'IEEE802.11')
  t.ok(device.packets > 0)
  const ap = h.sim.addDevice({ mac: '00:40:96:ad:74:c7', type: 'Wi-Fi AP', ssid: 'Hotel-Lobby' })
  t.same(
    [ap.mac, ap.key, ap.manuf, ap.name, ap.commonname, ap.bssid],
    ['00:40:96:AD:74:C7', '4202770D00000000_C774AD964000', 'Cisco Systems, Inc', 'Hotel-Lobby', 'Hotel-Lobby', '00:40:96:AD:74:C7'],
    'MAC upper-cased, manuf from the OUI, name from the SSID, its own BSSID',
  )
  t.throws(() => h.sim.addDevice({ mac: '00:40:96:AD:74:C7' }), RangeError, 'a key exists once')
  const hidden = h.sim.addDevice({ type: 'Wi-Fi AP', ssid: '' })
  t.equal(hidden.commonname, hidden.mac, 'a hidden AP is called by its MAC')
  const client = h.sim.addDevice({ type: 'Wi-Fi Client', bssid: ap.mac })
  t.equal(h.sim.getDevice(ap.key)?.clients, 1, 'a client joining counts on its AP')
  t.same([client.ssid, client.crypt], [null, ''])
  const copy = h.sim.getDevice(ap.key)
  if (copy) copy.name = 'changed'
  t.equal(h.sim.getDevice(ap.key)?.name, 'Hotel-Lobby', 'getDevice returns a copy')
  t.equal(h.sim.getDevice('4202770D00000000_1'), undefined)
  t.equal(h.sim.devices().length, 4)
})

t.test('updateDevice: modTime = now, lastTime = now unless set; clients move between APs', async (t) => {
  const h = await harness(t)
  const a = h.sim.addDevice({ type: 'Wi-Fi AP', ssid: 'A' })
  const b = h.sim.addDevice({ type: 'Wi-Fi AP', ssid: 'B' })
  const client = h.sim.addDevice({ type: 'Wi-Fi Client', bssid: a.mac })
  h.advance(5000)
  const moved = h.sim.updateDevice(client.key, { bssid: b.mac })
  t.same([moved.lastTime, moved.modTime], [START + 5, START + 5])
  t.same([h.sim.getDevice(a.key)?.clients, h.sim.getDevice(b.key)?.clients], [0, 1])
  const set = h.sim.updateDevice(client.key, { lastTime: START + 1, name: 'laptop' })
  t.same([set.lastTime, set.modTime, set.name], [START + 1, START + 5, 'laptop'])
  const record = rows(await h.post(`/devices/last-time/${START}/devices.json`, { fields: ['kismet.device.base.key', 'kismet.device.base.name'] }))
  t.same(record.find((row) => row['kismet.device.base.key'] === client.key), { 'kismet.device.base.key': client.key, 'kismet.device.base.name': 'laptop' })
  t.throws(() => h.sim.updateDevice('4202770D00000000_1', {}), RangeError)
  t.throws(() => h.sim.updateDevice(client.key, { key: 'other' }), RangeError)
})

t.test('touchDevice: heard now, packets grow, the signal drifts unless given', async (t) => {
  const h = await harness(t, { devices: 20 })
  const [device] = h.sim.devices()
  if (!device) throw new Error('no device')
  const packetsBefore = h.sim.datasources()[0]?.numPackets ?? 0
  h.advance(2000)
  const heard = h.sim.touchDevice(device.key, { packets: 7, dataBytes: 700 })
  t.same([heard.lastTime, heard.modTime, heard.packets, heard.dataBytes], [START + 2, START + 2, device.packets + 7, device.dataBytes + 700])
  t.ok(Math.abs(heard.signal - device.signal) <= 3, 'drift of a few dB')
  t.equal(h.sim.touchDevice(device.key, { signal: -42 }).signal, -42)
  t.ok((h.sim.datasources()[0]?.numPackets ?? 0) > packetsBefore + 7, 'the capture source counted the packets')
  const changed = rows(await h.post(`/devices/last-time/${START + 1}/devices.json`, { fields: DEVICE_FIELDS }))
  t.same(changed.map((row) => row['kismet.device.base.key']), [device.key], 'only the touched device is newer')
  t.equal(changed[0]?.['signal.last'], -42)
})

t.test('removeDevice: Kismet forgets it; its AP loses a client', async (t) => {
  const h = await harness(t)
  const ap = h.sim.addDevice({ type: 'Wi-Fi AP', ssid: 'A' })
  const client = h.sim.addDevice({ type: 'Wi-Fi Client', bssid: ap.mac })
  h.sim.removeDevice(client.key)
  h.sim.removeDevice(client.key)
  t.equal(h.sim.getDevice(client.key), undefined)
  t.equal(h.sim.getDevice(ap.key)?.clients, 0)
  t.equal((await h.get(`/devices/by-key/${client.key}/device.json`)).text, 'ERROR: nonexistent device key\n')
  t.same(rows(await h.get('/devices/last-time/0/devices.json')).map((row) => row['kismet.device.base.key']), [ap.key])
})

t.test('raiseAlert: clock timestamps with microseconds, unique hashes, a ring of 50', async (t) => {
  const h = await harness(t, { devices: 10 })
  const alerts = Array.from({ length: 60 }, () => h.sim.raiseAlert())
  t.ok(alerts.every((alert) => Math.floor(alert.timestamp) === START), 'timestamps come from the clock')
  t.ok(alerts.every((alert, i) => i === 0 || alert.timestamp > (alerts[i - 1]?.timestamp ?? 0)), 'strictly increasing, even within one millisecond')
  t.equal(new Set(alerts.map((alert) => alert.hash)).size, 60, 'unique hashes')
  const kept = h.sim.alerts()
  t.equal(kept.length, 50, 'alertbacklog = 50')
  t.same(kept.map((alert) => alert.hash), alerts.slice(10).map((alert) => alert.hash), 'the oldest are gone')
  t.equal((await h.get(`/alerts/by-id/${alerts[0]?.hash}/alert.json`)).status, 404, 'a dropped alert is not found')
  t.equal(rows(await h.get('/alerts/all_alerts.json')).length, 50)
  const chosen = h.sim.raiseAlert({ header: 'BCASTDISCON', text: 'custom', hash: 12345 })
  t.same([chosen.header, chosen.class, chosen.severity, chosen.text, chosen.hash], ['BCASTDISCON', 'DENIAL', 10, 'custom', 12345])
  t.ok(h.sim.alerts().every((alert) => alert.header !== 'NOCLIENTMFP' || h.sim.flavor === 'release-2025-09-R1'))
})

t.test('restart: a new start time, alerts gone, login cookies invalid, devices gone unless kept', async (t) => {
  const h = await harness(t, { devices: 5, logDisabledAlert: true })
  t.same(h.sim.alerts().map((alert) => alert.header), ['LOGDISABLED'], 'the -n startup alert')
  h.sim.raiseAlert()
  h.advance(60_000)
  h.sim.restart({ keepDevices: true })
  const status = JSON.parse((await h.get('/system/status.json')).text) as Row
  t.equal(status['kismet.system.timestamp.start_sec'], START + 60)
  t.equal(h.sim.startSec, START + 60)
  t.equal(h.sim.devices().length, 5, 'kept')
  t.same(h.sim.alerts().map((alert) => alert.header), ['LOGDISABLED'])
  h.sim.restart()
  t.equal(h.sim.devices().length, 0, 'a plain restart forgets every device')
  t.equal(rows(await h.get('/devices/last-time/0/devices.json')).length, 0)
})

t.test('goDown refuses connections; comeUp listens again on the same port', async (t) => {
  const h = await harness(t, { devices: 2 })
  const port = h.sim.port
  await h.sim.goDown()
  await t.rejects(h.get('/system/timestamp.json'), { code: 'ECONNREFUSED' })
  await h.sim.comeUp()
  t.equal(h.sim.port, port)
  t.equal((await h.get('/system/timestamp.json')).status, 200)
})

t.test('setLatency delays every answer', async (t) => {
  const h = await harness(t)
  h.sim.setLatency(150)
  const started = performance.now()
  t.equal((await h.get('/system/timestamp.json')).status, 200)
  t.ok(performance.now() - started >= 140, 'answered after the latency')
  h.sim.setLatency(0)
})

t.test('faults', async (t) => {
  const h = await harness(t, { devices: 20 })

  h.sim.setFault({ kind: 'garbage' }, { times: 1 })
  const garbage = await h.get('/system/status.json')
  t.same([garbage.status, garbage.headers['content-type']], [200, 'application/json'])
  t.throws(() => JSON.parse(garbage.text), 'garbage is not JSON')
  t.equal((await h.get('/system/status.json')).status, 200, 'times: 1 applies once')

  const whole = (await h.get('/devices/last-time/0/devices.json')).text
  h.sim.setFault({ kind: 'truncated' }, { times: 1 })
  const truncated = await h.get('/devices/last-time/0/devices.json')
  t.equal(truncated.status, 200)
  const cut = truncated.text.indexOf('\nERROR: ')
  t.ok(cut > 0, 'ends with an ERROR: line')
  t.ok(whole.startsWith(truncated.text.slice(0, cut)), 'what came before is the start of the real answer')
  t.ok(cut < whole.length, 'cut short')
  t.throws(() => JSON.parse(truncated.text))

  h.sim.setFault({ kind: 'unauthorized' })
  const refused = await h.get('/session/check_setup_ok')
  t.same([refused.status, refused.headers['content-type'], refused.headers['content-length']], [401, 'text/html', '165'], 'even unauthenticated endpoints')
  h.sim.setFault(null)
  t.equal((await h.get('/session/check_setup_ok')).status, 200, 'cleared')

  h.sim.setFault({ kind: 'status', status: 500 }, { times: 2 })
  const failed = await h.get('/system/status.json')
  t.same([failed.status, failed.headers['content-type']], [500, 'application/json'])
  t.match(failed.text, /^ERROR: /)
  t.equal((await h.get('/system/status.json')).status, 500)
  t.equal((await h.get('/system/status.json')).status, 200, 'times: 2 applies twice')

  h.sim.setFault({ kind: 'status', status: 404 }, { times: 1 })
  const missing = await h.get('/system/status.json')
  t.same([missing.status, missing.headers['content-type']], [404, 'text/html'])
  t.match(missing.text, /Could not find <code>&#x2F;system&#x2F;status.json<\/code>/, "a 404 is Kismet's own page")

  h.sim.setFault({ kind: 'status', status: 503 }, { paths: /^\/alerts\// })
  t.equal((await h.get('/alerts/all_alerts.json')).status, 503)
  t.equal((await h.get('/system/timestamp.json')).status, 200, 'only matching paths')
  h.sim.setFault(null)

  h.sim.setFault({ kind: 'huge', bytes: 1_500_000 }, { times: 2 })
  const huge = await h.post('/devices/last-time/0/devices.json', { fields: DEVICE_FIELDS })
  t.ok(huge.body.length >= 1_500_000 && huge.body.length < 1_600_000, `about the asked size (${huge.body.length})`)
  const records = JSON.parse(huge.text) as Row[]
  const known = new Set(h.sim.devices().map((device) => device.key))
  t.ok(records.length > 1000, 'padded with extra records')
  t.ok(records.every((record) => Object.keys(record).length === DEVICE_FIELDS.length), 'every record has the requested fields')
  t.equal(new Set(records.map((record) => record['kismet.device.base.key'])).size, records.length, 'no key twice')
  t.equal(records.filter((record) => known.has(record['kismet.device.base.key'] as string)).length, 20, 'the real devices come first, then fakes')
  const status = await h.get('/system/status.json')
  t.ok(status.body.length >= 1_500_000, 'an object answer is padded with whitespace')
  t.equal(typeof (JSON.parse(status.text) as Row)['kismet.system.version'], 'string', 'and still parses')
})

t.test('datasources: scriptable state as /datasource/all_sources.json reports it', async (t) => {
  const h = await harness(t)
  const [source] = h.sim.datasources()
  t.same([source?.driver, source?.running, source?.hopping, source?.channel], ['linuxwifi', true, true, ''])
  h.sim.setDatasources([
    { name: 'wlan0', error: true, running: false, errorReason: 'Interface wlan0 went away' },
    { name: 'wlan1', hopping: false, channel: '6', numPackets: 42 },
  ])
  const records = rows(await h.post('/datasource/all_sources.json', { fields: ['kismet.datasource.name', 'kismet.datasource.running', 'kismet.datasource.error', 'kismet.datasource.error_reason', 'kismet.datasource.hopping', 'kismet.datasource.channel', 'kismet.datasource.num_packets'] }))
  t.same(records, [
    { 'kismet.datasource.name': 'wlan0', 'kismet.datasource.running': 0, 'kismet.datasource.error': 1, 'kismet.datasource.error_reason': 'Interface wlan0 went away', 'kismet.datasource.hopping': 1, 'kismet.datasource.channel': '', 'kismet.datasource.num_packets': 0 },
    { 'kismet.datasource.name': 'wlan1', 'kismet.datasource.running': 1, 'kismet.datasource.error': 0, 'kismet.datasource.error_reason': '', 'kismet.datasource.hopping': 0, 'kismet.datasource.channel': '6', 'kismet.datasource.num_packets': 42 },
  ])
  h.sim.addDevice({ packets: 10 })
  t.equal(h.sim.datasources()[1]?.numPackets, 52, 'packets go to the first source that is running')
})

t.test('tick: devices are heard, appear, leave; alerts; all reproducible by seed', async (t) => {
  const h = await harness(t, { devices: 40, seed: 3 })
  h.advance(1000)
  h.sim.tick({ heard: 1, join: 0, leave: 0, alert: 0 })
  t.ok(h.sim.devices().every((device) => device.lastTime === START + 1), 'heard: 1 touches every device')
  h.sim.tick({ heard: 0, join: 1, leave: 1, alert: 1 })
  t.equal(h.sim.devices().length, 40, 'one joined, one left')
  t.equal(h.sim.alerts().length, 1)

  const twin = await harness(t, { devices: 40, seed: 3 })
  twin.advance(1000)
  twin.sim.tick({ heard: 1, join: 0, leave: 0, alert: 0 })
  twin.sim.tick({ heard: 0, join: 1, leave: 1, alert: 1 })
  t.same(twin.sim.devices(), h.sim.devices(), 'the same seed and steps give the same world')
})

t.test('stats and the request log', async (t) => {
  const h = await harness(t, { devices: 3 })
  const a = await h.get('/system/timestamp.json')
  const b = await h.get('/devices/last-time/0/devices.json')
  await rawRequest(`${h.url}/system/timestamp.json?KISMET=${KEY}`)
  t.equal(h.sim.stats.requests, 3)
  t.equal(h.sim.stats.bytesSent, a.body.length * 2 + b.body.length)
  t.same(h.sim.stats.byPath['/devices/last-time/{ts}/devices.json'], { requests: 1, bytes: b.body.length })
  t.ok(h.sim.stats.cpuMs >= 0)
  t.same(h.sim.requestLog.map((entry) => [entry.method, entry.path, entry.status]), [
    ['GET', '/system/timestamp.json', 200],
    ['GET', '/devices/last-time/0/devices.json', 200],
    ['GET', '/system/timestamp.json?KISMET=***', 200],
  ], 'keys never reach the log')
  for (let i = 0; i < 1005; i++) await h.get('/nope')
  t.equal(h.sim.requestLog.length, 1000, 'bounded')
  t.equal(h.sim.stats.byPath['(not found)']?.requests, 1005)
})
