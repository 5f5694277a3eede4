// What each endpoint answers, on data the test controls (its own clock and devices):
// last-time rules, views, pagination, sorting, search, fields and body parsing, lookups by
// key/MAC, alerts, status, datasources and Kismet's error answers.
import t, { type Test } from 'tap'
import { DATASOURCE_FIELDS, DEVICE_FIELDS, STATUS_FIELDS } from '../../src/kismet/wire.js'
import { KismetSimulator, type SimDevice, type SimulatorOptions } from '../../sim/simulator.js'
import { FORM, formBody, rawRequest, type RawResponse } from '../support/fixtures.js'

const KEY = 'A1B2C3D4E5F60718293A4B5C6D7E8F90'
const NOW_MS = 1_795_629_789_250
const NOW = Math.floor(NOW_MS / 1000)

interface Harness {
  sim: KismetSimulator
  url: string
  setNow(ms: number): void
  get(path: string, headers?: Record<string, string>): Promise<RawResponse>
  post(path: string, body: string, contentType?: string): Promise<RawResponse>
  postJson(path: string, command: unknown): Promise<RawResponse>
  json(res: RawResponse): unknown
}

async function harness(t: Test, options: SimulatorOptions = {}): Promise<Harness> {
  let now = NOW_MS
  const sim = new KismetSimulator({ apiKey: KEY, clock: () => now, ...options })
  const url = await sim.listen()
  t.teardown(() => sim.close())
  const cookie = { Cookie: `KISMET=${KEY}` }
  return {
    sim,
    url,
    setNow: (ms) => {
      now = ms
    },
    get: (path, headers = {}) => rawRequest(url + path, { headers: { ...cookie, ...headers } }),
    post: (path, body, contentType = FORM) => rawRequest(url + path, { method: 'POST', headers: { ...cookie, 'Content-Type': contentType }, body }),
    postJson: (path, command) => rawRequest(url + path, { method: 'POST', headers: { ...cookie, 'Content-Type': 'application/json' }, body: JSON.stringify(command) }),
    json: (res) => JSON.parse(res.text) as unknown,
  }
}

type Row = Record<string, unknown>

function macs(rows: unknown): string[] {
  return (rows as Row[]).map((row) => row['kismet.device.base.macaddr'] as string)
}

/** Devices heard at NOW-10 ... NOW (one per second), keyed by their offset. */
function devicesAtOffsets(h: Harness, offsets: number[]): Map<number, SimDevice> {
  const out = new Map<number, SimDevice>()
  for (const offset of offsets) {
    const mac = `02:00:00:00:00:${String(offset + 20).padStart(2, '0')}`
    out.set(offset, h.sim.addDevice({ mac, type: 'Wi-Fi Client', lastTime: NOW + offset, firstTime: NOW - 100 }))
  }
  return out
}

const MAC_ONLY = { fields: ['kismet.device.base.macaddr'] }

t.test('/devices/last-time/{ts}: strictly newer than ts; a negative ts counts back from now', async (t) => {
  const h = await harness(t)
  const devices = devicesAtOffsets(h, [-10, -6, -5, -4, 0])
  const mac = (offset: number): string => devices.get(offset)?.mac ?? ''
  t.same(macs(h.json(await h.postJson(`/devices/last-time/${NOW - 5}/devices.json`, MAC_ONLY))), [mac(-4), mac(0)], 'last_time > ts, not >=')
  t.same(macs(h.json(await h.postJson('/devices/last-time/-5/devices.json', MAC_ONLY))), [mac(-4), mac(0)], '-5 means now - 5, same rule')
  t.same(macs(h.json(await h.postJson('/devices/last-time/0/devices.json', MAC_ONLY))).length, 5, '0: every device')
  t.same(h.json(await h.get(`/devices/last-time/${NOW + 3600}/devices.json`)), [], 'the future: nothing')
  const garbage = await h.get('/devices/last-time/abc/devices.json')
  t.equal(garbage.status, 500)
  t.equal(garbage.headers['content-type'], 'application/json', 'the 500 follows the .json extension')
  t.equal(garbage.text, 'ERROR: unable to parse string value\n')
  h.setNow(NOW_MS + 2000)
  h.sim.touchDevice(devices.get(-10)?.key ?? '')
  t.same(macs(h.json(await h.postJson(`/devices/last-time/${NOW}/devices.json`, MAC_ONLY))), [mac(-10)], 'a device heard again shows up, in creation order')
})

t.test('master answers an unparsable timestamp with the value and C++ type in the message', async (t) => {
  const h = await harness(t, { flavor: 'master' })
  const res = await h.get('/devices/last-time/abc/devices.json')
  t.equal(res.text, "ERROR: unable to parse string value 'abc' as l\n")
  t.equal((await h.get('/devices/by-key/nonsense/device.json')).text, "ERROR: unable to parse string value 'nonsense' as 10device_key\n")
})

t.test('/devices/views/{view}/last-time/{ts}: inclusive, relative when negative, view-filtered', async (t) => {
  const h = await harness(t)
  const devices = devicesAtOffsets(h, [-6, -5, -4])
  const ap = h.sim.addDevice({ type: 'Wi-Fi AP', ssid: 'Lab', lastTime: NOW - 5 })
  const mac = (offset: number): string => devices.get(offset)?.mac ?? ''
  t.same(macs(h.json(await h.postJson(`/devices/views/all/last-time/${NOW - 5}/devices.json`, MAC_ONLY))), [mac(-5), mac(-4), ap.mac], 'last_time >= ts')
  t.same(macs(h.json(await h.postJson('/devices/views/all/last-time/-5/devices.json', MAC_ONLY))), [mac(-5), mac(-4), ap.mac])
  t.same(macs(h.json(await h.postJson('/devices/views/phydot11_accesspoints/last-time/-5/devices.json', MAC_ONLY))), [ap.mac], 'only access points')
  const paged = await h.postJson(`/devices/views/all/last-time/${NOW - 5}/devices.json?page=0&length=1`, MAC_ONLY)
  t.equal(macs(h.json(paged)).length, 3, 'no paging on this endpoint (Kismet issue #456)')
})

t.test('views list: sizes follow the table; unknown views are 404, known empty ones []', async (t) => {
  const h = await harness(t, { devices: 30 })
  const views = h.json(await h.get('/devices/views/all_views.json')) as Row[]
  const size = (id: string): unknown => views.find((view) => view['kismet.devices.view.id'] === id)?.['kismet.devices.view.size']
  const aps = h.sim.devices().filter((d) => d.type === 'Wi-Fi AP' || d.type === 'Wi-Fi Ad-Hoc').length
  t.equal(size('all'), 30)
  t.equal(size('phy-IEEE802.11'), 30)
  t.equal(size('phydot11_accesspoints'), aps)
  t.equal(size(`seenby-${h.sim.datasources()[0]?.uuid}`), 30)
  t.equal(size('phy-Bluetooth'), 0)
  t.same(h.json(await h.get('/devices/views/phy-Bluetooth/devices.json')), [])
  t.equal((await h.get(`/devices/views/seenby-${h.sim.datasources()[0]?.uuid}/devices.json`)).status, 200)
  const unknown = await h.get('/devices/views/no-such-view/devices.json')
  t.equal(unknown.status, 404)
  t.equal(unknown.headers['content-type'], 'text/html')
})

t.test('views: body last_time is absolute and inclusive; 0 or negative disables it', async (t) => {
  const h = await harness(t)
  devicesAtOffsets(h, [-10, -5, -1])
  const count = async (command: unknown): Promise<number> => macs(h.json(await h.post('/devices/views/all/devices.json', formBody(command)))).length
  t.equal(await count({ ...MAC_ONLY, last_time: NOW - 5 }), 2, '>= NOW-5')
  t.equal(await count({ ...MAC_ONLY, last_time: -5 }), 3, 'negative: not relative here, the filter is off')
  t.equal(await count({ ...MAC_ONLY, last_time: 0 }), 3)
})

t.test('views: page/length (or size) wrap the answer; filter, then sort, then slice', async (t) => {
  const h = await harness(t)
  const offsets = Array.from({ length: 25 }, (_, i) => -i)
  devicesAtOffsets(h, offsets)
  const page = async (query: string, command: unknown = MAC_ONLY): Promise<Row> => h.json(await h.post(`/devices/views/all/devices.json?${query}`, formBody(command))) as Row
  const first = await page('page=0&length=10')
  t.same(Object.keys(first), ['data', 'last_page', 'last_row', 'total_row'])
  t.same([first['last_page'], first['last_row'], first['total_row'], (first['data'] as Row[]).length], [3, 25, 25, 10])
  const last = await page('page=2&size=10')
  t.equal((last['data'] as Row[]).length, 5, 'size works like length')
  t.same(((await page('page=9&length=10'))['data'] as Row[]), [], 'past the end: no rows')
  const filtered = await page('page=0&length=10', { ...MAC_ONLY, last_time: NOW - 4 })
  t.same([filtered['last_page'], filtered['last_row'], filtered['total_row']], [1, 5, 25], 'last_row counts the filtered rows, total_row the view')
  // form variables in the body work as well as query variables
  const form = h.json(await h.post('/devices/views/all/devices.json', `${formBody(MAC_ONLY)}&page=1&length=20`)) as Row
  t.equal((form['data'] as Row[]).length, 5)
})

t.test('views: sort_dir is inverted as on the real server (only asc sorts descending)', async (t) => {
  const h = await harness(t)
  devicesAtOffsets(h, [-3, -9, -1, -7])
  const times = async (dir: string): Promise<number[]> => {
    const res = await h.postJson(`/devices/views/all/devices.json?sort=kismet.device.base.last_time&sort_dir=${dir}&page=0&length=10`, { fields: ['kismet.device.base.last_time'] })
    return ((h.json(res) as Row)['data'] as Row[]).map((row) => row['kismet.device.base.last_time'] as number)
  }
  t.same(await times('desc'), [NOW - 9, NOW - 7, NOW - 3, NOW - 1], 'desc gives ascending')
  t.same(await times('asc'), [NOW - 1, NOW - 3, NOW - 7, NOW - 9], 'asc gives descending')
})

t.test('views: search matches the requested fields case-insensitively', async (t) => {
  const h = await harness(t)
  h.sim.addDevice({ type: 'Wi-Fi AP', ssid: 'CoffeeHouse', name: 'CoffeeHouse' })
  h.sim.addDevice({ type: 'Wi-Fi AP', ssid: 'Library', name: 'Library' })
  const res = await h.postJson('/devices/views/all/devices.json?search=coffee&page=0&length=10', { fields: ['kismet.device.base.name'] })
  t.same((h.json(res) as Row)['data'], [{ 'kismet.device.base.name': 'CoffeeHouse' }])
})

t.test('regex filters: any pair matching any string the path reaches', async (t) => {
  const h = await harness(t)
  const lab = h.sim.addDevice({ type: 'Wi-Fi AP', ssid: 'Lab-Secure', name: 'Lab-Secure' })
  h.sim.addDevice({ type: 'Wi-Fi AP', ssid: 'Guest', name: 'Guest' })
  const command = { ...MAC_ONLY, regex: [['dot11.device/dot11.device.advertised_ssid_map/dot11.advertisedssid.ssid', '^Lab']] }
  t.same(macs(h.json(await h.postJson('/devices/views/all/devices.json', command))), [lab.mac])
  t.same(macs(h.json(await h.postJson('/devices/last-time/0/devices.json', command))), [lab.mac])
  const bad = await h.postJson('/devices/views/all/devices.json', { regex: [['kismet.device.base.name', '(']] })
  t.equal(bad.status, 400)
})

t.test('fields: the service’s own field list, aliases, nested paths, and 0 for what does not resolve', async (t) => {
  const h = await harness(t)
  const ap = h.sim.addDevice({ type: 'Wi-Fi AP', ssid: 'Hotel-Lobby', crypt: 'Open', signal: -40, channel: '6' })
  const client = h.sim.addDevice({ type: 'Wi-Fi Client', bssid: ap.mac, probedSsid: 'Hotel-Lobby', signal: -70 })
  const rows = h.json(await h.postJson('/devices/last-time/0/devices.json', { fields: DEVICE_FIELDS })) as Row[]
  const byMac = new Map(rows.map((row) => [row['kismet.device.base.macaddr'], row]))
  const apRow = byMac.get(ap.mac) ?? {}
  const clientRow = byMac.get(client.mac) ?? {}
  t.same(Object.keys(apRow), DEVICE_FIELDS.map((spec) => (typeof spec === 'string' ? spec : spec[1])), 'one key per field, in order')
  t.same([apRow['dot11.ssid'], apRow['dot11.clients'], apRow['dot11.bssid'], apRow['signal.last'], apRow['location.avg']], ['Hotel-Lobby', 1, ap.mac, -40, 0])
  t.same([clientRow['dot11.ssid'], clientRow['dot11.probed_ssid'], clientRow['dot11.bssid'], clientRow['kismet.device.base.crypt']], [0, 'Hotel-Lobby', ap.mac, ''])
  t.equal(apRow['kismet.device.base.frequency'], 2_437_000, 'kHz')
  const nested = h.json(await h.postJson(`/devices/by-key/${ap.key}/device.json`, { fields: ['dot11.device/dot11.device.last_beaconed_ssid_record/dot11.advertisedssid.crypt_string', 'no.such/path'] }))
  t.same(nested, { 'dot11.advertisedssid.crypt_string': 'Open', path: 0 }, 'a nested path is named by its last segment; unknown is 0')
  const bad = await h.postJson('/devices/last-time/0/devices.json', { fields: 'kismet.device.base.key' })
  t.equal(bad.status, 500)
  t.match(bad.text, /^ERROR: /)
})

t.test('POST bodies: only the four exact Content-Types are read; anything else is ignored', async (t) => {
  const h = await harness(t, { devices: 3 })
  const isSimplified = (res: RawResponse): boolean => (h.json(res) as Row[]).every((row) => Object.keys(row).length === 1)
  const json = JSON.stringify(MAC_ONLY)
  const cases: Array<[string, string, boolean]> = [
    ['application/json', json, true],
    ['Application/JSON; charset=UTF-8', json, true],
    ['application/json; charset=utf-8', json, true],
    ['application/x-www-form-urlencoded', formBody(MAC_ONLY), true],
    ['application/x-www-form-urlencoded; charset=UTF-8', formBody(MAC_ONLY), true],
    ['application/x-www-form-urlencoded;charset=UTF-8', formBody(MAC_ONLY), false],
    ['application/json;charset=UTF-8', json, false],
    ['text/plain;charset=UTF-8', json, false],
    ['multipart/form-data', formBody(MAC_ONLY), false],
  ]
  for (const [contentType, body, read] of cases) {
    const res = await h.post('/devices/last-time/0/devices.json', body, contentType)
    t.equal(res.status, 200)
    t.equal(isSimplified(res), read, `${contentType}: ${read ? 'read' : 'silently ignored (full records)'}`)
  }
  const malformed = await h.post('/devices/last-time/0/devices.json', 'json={not json')
  t.equal(isSimplified(malformed), false, 'a json= that does not parse is ignored')
  const query = await h.get(`/devices/last-time/0/devices.json?json=${encodeURIComponent(json)}`)
  t.equal(isSimplified(query), false, 'fields come only from a POST body')
})

t.test('by key, by MAC, multikey', async (t) => {
  const h = await harness(t, { devices: 5 })
  const [first, second] = h.sim.devices()
  if (!first || !second) throw new Error('no devices')
  const one = h.json(await h.get(`/devices/by-key/${first.key}/device.json`)) as Row
  t.equal(one['kismet.device.base.key'], first.key, 'one full record')
  t.equal((h.json(await h.get(`/devices/by-key/${first.key.toLowerCase()}/device.json`)) as Row)['kismet.device.base.key'], first.key, 'keys parse as hex numbers: case does not matter')
  const unknown = await h.get('/devices/by-key/4202770D00000000_000000000001/device.json')
  t.same([unknown.status, unknown.headers['content-type'], unknown.text], [500, 'application/json', 'ERROR: nonexistent device key\n'])
  const byMac = h.json(await h.postJson(`/devices/by-mac/${first.mac}/devices.json`, MAC_ONLY))
  t.same(byMac, [{ 'kismet.device.base.macaddr': first.mac }], 'an array, simplified')
  t.same(h.json(await h.get('/devices/by-mac/02:00:00:00:00:99/devices.json')), [])
  t.equal((await h.get('/devices/by-mac/nonsense/devices.json')).status, 500)
  const multi = h.json(await h.postJson('/devices/multikey/devices.json', { devices: [second.key, '4202770D00000000_000000000001', 'junk', first.key], fields: ['kismet.device.base.key'] }))
  t.same(multi, [{ 'kismet.device.base.key': second.key }, { 'kismet.device.base.key': first.key }], 'unknown keys are skipped')
  t.equal((await h.get('/devices/multikey/devices.json')).status, 405)
  t.equal((await h.postJson('/devices/multikey/devices.json', MAC_ONLY)).status, 500, 'no devices list')
})

t.test('full records: an AP with clients lists them; a client names its AP', async (t) => {
  const h = await harness(t)
  const ap = h.sim.addDevice({ type: 'Wi-Fi AP', ssid: 'Office', crypt: 'WPA2 WPA2-PSK AES-CCMP' })
  const client = h.sim.addDevice({ type: 'Wi-Fi Client', bssid: ap.mac })
  const apRecord = h.json(await h.get(`/devices/by-key/${ap.key}/device.json`)) as Record<string, Row>
  t.same(apRecord['dot11.device']?.['dot11.device.associated_client_map'], { [client.mac]: client.key })
  t.equal(apRecord['dot11.device']?.['dot11.device.num_associated_clients'], 1)
  const ssid = apRecord['dot11.device']?.['dot11.device.last_beaconed_ssid_record'] as Row
  t.same([ssid['dot11.advertisedssid.ssid'], ssid['dot11.advertisedssid.crypt_string'], ssid['dot11.advertisedssid.crypt_set']], ['Office', 'WPA2 WPA2-PSK AES-CCMP', 268436160])
  const clientRecord = h.json(await h.get(`/devices/by-key/${client.key}/device.json`)) as Record<string, Row>
  const entry = (clientRecord['dot11.device']?.['dot11.device.client_map'] as Record<string, Row>)[ap.mac]
  t.same([entry?.['dot11.client.bssid'], entry?.['dot11.client.bssid_key']], [ap.mac, ap.key])
  t.notOk('kismet.device.base.location' in clientRecord, 'release flavor: no location key without GPS')
  const located = h.sim.addDevice({ location: { lat: 48.1, lon: 11.6, alt: 520, fix: 3 } })
  const loc = (h.json(await h.get(`/devices/by-key/${located.key}/device.json`)) as Record<string, Row>)['kismet.device.base.location']
  t.same((loc?.['kismet.common.location.avg_loc'] as Row)['kismet.common.location.geopoint'], [11.6, 48.1], 'geopoint is [lon, lat]')
})

t.test('alerts: absolute last-time (strict, negative = all), wrapped form, by id', async (t) => {
  const h = await harness(t, { devices: 10 })
  const first = h.sim.raiseAlert({ header: 'DEAUTHFLOOD' })
  h.setNow(NOW_MS + 1500)
  const second = h.sim.raiseAlert()
  const ids = (rows: unknown): number[] => (rows as Row[]).map((row) => row['kismet.alert.hash'] as number)
  t.same(ids(h.json(await h.get('/alerts/all_alerts.json'))), [first.hash, second.hash], 'oldest first')
  t.same(ids(h.json(await h.get(`/alerts/last-time/${first.timestamp.toFixed(6)}/alerts.json`))), [second.hash], 'timestamp > ts')
  t.same(ids(h.json(await h.get(`/alerts/last-time/${Math.floor(first.timestamp)}/alerts.json`))), [first.hash, second.hash], 'whole seconds work')
  t.same(ids(h.json(await h.get('/alerts/last-time/-30/alerts.json'))), [first.hash, second.hash], 'negative is not relative: every alert')
  const wrapped = h.json(await h.get(`/alerts/wrapped/last-time/${first.timestamp.toFixed(6)}/alerts.json`)) as Row
  t.same(Object.keys(wrapped), ['kismet.alert.list', 'kismet.alert.timestamp'])
  t.same(ids(wrapped['kismet.alert.list']), [second.hash])
  t.equal(wrapped['kismet.alert.timestamp'], (NOW_MS + 1500) / 1000, 'server now, sec.usec')
  const one = h.json(await h.get(`/alerts/by-id/${second.hash}/alert.json`)) as Row
  t.equal(one['kismet.alert.text'], second.text)
  t.same(Object.keys(one['kismet.alert.location'] as Row), ['kismet.common.location.geopoint'], 'release: the alert location is only a geopoint')
  const missing = await h.get('/alerts/by-id/1/alert.json')
  t.same([missing.status, missing.headers['content-type'], missing.text], [404, 'application/json', '{}'])
  const simplified = h.json(await h.postJson('/alerts/all_alerts.json', { fields: ['kismet.alert.header', 'kismet.alert.severity'] }))
  t.same(simplified, [{ 'kismet.alert.header': 'DEAUTHFLOOD', 'kismet.alert.severity': 10 }, { 'kismet.alert.header': second.header, 'kismet.alert.severity': second.severity }])
})

t.test('status and timestamp come from the clock; fields work on status and datasources', async (t) => {
  const h = await harness(t, { devices: 7 })
  const status = h.json(await h.postJson('/system/status.json', { fields: STATUS_FIELDS })) as Row
  t.same(Object.keys(status), [...STATUS_FIELDS])
  t.same(
    [status['kismet.system.version'], status['kismet.system.timestamp.sec'], status['kismet.system.timestamp.usec'], status['kismet.system.timestamp.start_sec'], status['kismet.system.devices.count']],
    ['2025.09.0-b5d5a2d04', NOW, 250_000, NOW, 7],
  )
  t.same(h.json(await h.get('/system/timestamp.json')), { 'kismet.system.timestamp.sec': NOW, 'kismet.system.timestamp.usec': 250_000 })
  const sources = h.json(await h.postJson('/datasource/all_sources.json', { fields: DATASOURCE_FIELDS })) as Row[]
  t.equal(sources.length, 1)
  t.same(Object.keys(sources[0] ?? {}), [...DATASOURCE_FIELDS])
  t.same([sources[0]?.['kismet.datasource.running'], sources[0]?.['kismet.datasource.hopping'], sources[0]?.['kismet.datasource.error']], [1, 1, 0], 'a running, hopping Wi-Fi card')
  const master = await harness(t, { flavor: 'master' })
  const masterStatus = h.json(await master.get('/system/status.json')) as Row
  t.equal(masterStatus['kismet.system.build_time'], 'Wed Nov 25 17:01:20 UTC 2026')
  t.equal((h.json(await h.get('/system/status.json')) as Row)['kismet.system.build_time'], '2025-09-R1', 'the release names itself, not a date')
})

t.test('errors: 404 page with the escaped path, 405 page, both with a Content-Length', async (t) => {
  const h = await harness(t)
  const notFound = await h.get('/nonexistent/endpoint.json')
  t.equal(notFound.status, 404)
  t.equal(notFound.text, '<html><head><title>404 not found</title></head><body><h1>404 Not Found</h1><br><p>Could not find <code>&#x2F;nonexistent&#x2F;endpoint.json</code></p></body></html>\n')
  t.equal(notFound.headers['content-length'], '165')
  const wrong = await rawRequest(`${h.url}/system/status.json`, { method: 'DELETE', headers: { Cookie: `KISMET=${KEY}` } })
  t.same([wrong.status, wrong.headers['content-type'], wrong.headers['content-length']], [405, 'text/html', '158'])
  t.equal((await h.get('/devices/all_devices.json')).status, 404, 'like Kismet, no .json bulk dump')
  const ok = await h.get('/system/timestamp.json')
  t.equal(ok.headers['transfer-encoding'], 'chunked', 'handler answers are chunked')
  t.equal((await h.get('//system//timestamp.json')).status, 200, 'repeated slashes collapse')
})

t.test('a URI prefix (httpd_uri_prefix) is part of every path', async (t) => {
  const h = await harness(t, { prefix: '/kismet' })
  t.match(h.url, /\/kismet$/)
  t.equal((await h.get('/system/timestamp.json')).status, 200)
  t.equal((await rawRequest(h.url.replace(/\/kismet$/, '/system/timestamp.json'), { headers: { Cookie: `KISMET=${KEY}` } })).status, 404)
})
