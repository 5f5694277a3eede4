// GET /api/kismet/ws/devices: the device table filtered like a subscription, as JSON pages
// and as CSV, GeoJSON and KML downloads, each parsed back (CSV with csv-parse, KML with a
// strict XML parser) with hostile SSIDs; streamed; the sensor in every row.
import t from 'tap'
import { parse as parseCsv } from 'csv-parse/sync'
import { SaxesParser } from 'saxes'
import { request } from 'node:http'
import type { WifiDevice } from '../../src/events.js'
import { CSV_COLUMNS, iso } from '../../src/exports/formats.js'
import { startApp } from '../helper.js'
import { makeDevice } from '../support/devices.js'
import { startSensors } from '../support/pipeline.js'

const HOSTILE_SSIDS = [
  'comma, inside',
  'quote " inside',
  '"quoted"',
  'new\nline',
  'carriage\r\nreturn',
  '=HYPERLINK("http://evil.example")',
  '+1-555',
  '@SUM(A1)',
  '<script>alert(1)</script>',
  ']]> & <![CDATA[',
  "it's & <b>",
  'ctrl\u0001\u0007\u001b',
  'lone \uD800 surrogate',
  'emoji 📡 ünïcödé',
  '',
]

/** Devices with hostile SSIDs, half of them geolocated, on the default sensor. */
function hostileDevices(): WifiDevice[] {
  return HOSTILE_SSIDS.map((ssid, i) =>
    makeDevice(i, {
      ssid,
      name: ssid === '' ? `hidden-${i}` : ssid,
      channel: i % 2 === 0 ? 6 : 36,
      frequency: i % 2 === 0 ? 2437 : 5180,
      location: i % 2 === 0 ? { lat: 48.85 + i / 1000, lon: 2.35 + i / 1000, alt: 35 + i, fix: 3 } : null,
    }),
  )
}

async function appWith(t: Parameters<typeof startApp>[0], devices: WifiDevice[]) {
  const started = await startApp(t)
  started.app.sensors.get('default')!.tracker.ingest(devices)
  return started
}

/** XML 1.0 cannot hold these: they come out as U+FFFD. */
const asXml = (text: string) => text.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')

t.test('JSON: pages of { sensor, device }, the filter as query parameters', async (t) => {
  const devices = Array.from({ length: 1200 }, (_, i) => makeDevice(i, { channel: [1, 6, 11][i % 3]!, frequency: [2412, 2437, 2462][i % 3]! }))
  const { app } = await appWith(t, devices)
  const first = await app.inject('/api/kismet/ws/devices')
  t.equal(first.statusCode, 200)
  t.match(first.headers['content-type'], /^application\/json/)
  const body = first.json() as { data: { devices: Array<{ sensor: string; device: WifiDevice }>; total: number; offset: number; limit: number; nextOffset: number | null } }
  t.same([body.data.total, body.data.offset, body.data.limit, body.data.nextOffset], [1200, 0, 500, 500], 'the first page of 500')
  t.ok(body.data.devices.every((row) => row.sensor === 'default'), 'every row names its sensor')
  const keys: string[] = []
  for (let offset: number | null = 0; offset !== null; ) {
    const page = (await app.inject(`/api/kismet/ws/devices?offset=${offset}&limit=250`)).json() as typeof body
    keys.push(...page.data.devices.map((row) => row.device.key))
    offset = page.data.nextOffset
  }
  t.same(keys, devices.map((d) => d.key), 'the pages together hold every device once, in table order')

  const filtered = (await app.inject('/api/kismet/ws/devices?channels=1,11&types=AP&limit=5000')).json() as typeof body
  t.equal(filtered.data.total, 800, 'channels 1 and 11 (comma-separated)')
  t.ok(filtered.data.devices.every((row) => row.device.channel === 1 || row.device.channel === 11))
  const repeated = (await app.inject('/api/kismet/ws/devices?channels=1&channels=11&bands=2.4&limit=1')).json() as typeof body
  t.equal(repeated.data.total, 800, 'the same with a repeated parameter')
  const none = (await app.inject('/api/kismet/ws/devices?minSignal=-10')).json() as typeof body
  t.same([none.data.total, none.data.devices, none.data.nextOffset], [0, [], null])
})

t.test('a bad filter or an unknown sensor is a 400 that says what is wrong', async (t) => {
  const { app } = await appWith(t, [makeDevice(1)])
  for (const query of ['macs=nope', 'bands=60', 'encryption=wpa9', 'channels=six', 'types=Router', 'sensors=elsewhere', 'format=xls', 'limit=0', 'randomized=perhaps']) {
    const response = await app.inject(`/api/kismet/ws/devices?${query}`)
    t.equal(response.statusCode, 400, query)
    t.match(response.json(), { success: false, error: { code: 'BAD_REQUEST', message: /.+/ } }, query)
  }
})

t.test('CSV: a header, one row per device with its sensor, hostile SSIDs parsed back exactly, never a formula', async (t) => {
  const devices = hostileDevices()
  const { app } = await appWith(t, devices)
  const response = await app.inject('/api/kismet/ws/devices?format=csv')
  t.equal(response.statusCode, 200)
  t.equal(response.headers['content-type'], 'text/csv; charset=utf-8')
  t.match(response.headers['content-disposition'], /^attachment; filename="kismet-devices-\d{8}T\d{6}Z\.csv"$/)
  const records = parseCsv(response.body, { columns: true, relax_column_count: false }) as Array<Record<string, string>>
  t.same(Object.keys(records[0]!), [...CSV_COLUMNS], 'the columns')
  t.equal(records.length, devices.length, 'one row per device')
  for (const [i, device] of devices.entries()) {
    const row = records[i]!
    const ssid = device.ssid!.replace(/\uD800/g, '\uFFFD')
    const shown = /^[=+\-@]/.test(ssid) ? `'${ssid}` : ssid
    t.equal(row['ssid'], shown, `ssid ${JSON.stringify(device.ssid)}`)
    t.equal(row['sensor'], 'default')
    t.equal(row['key'], device.key)
    t.equal(row['lastSeen'], new Date(device.lastSeen).toISOString())
    t.equal(row['lat'], device.location ? String(device.location.lat) : '')
  }
})

t.test('GeoJSON: a FeatureCollection of the geolocated devices, hostile SSIDs intact', async (t) => {
  const devices = hostileDevices()
  const { app } = await appWith(t, devices)
  const response = await app.inject('/api/kismet/ws/devices?format=geojson')
  t.equal(response.headers['content-type'], 'application/geo+json; charset=utf-8')
  t.match(response.headers['content-disposition'], /filename="kismet-devices-.*\.geojson"/)
  const collection = JSON.parse(response.body) as { type: string; features: Array<{ type: string; id: string; geometry: { type: string; coordinates: number[] }; properties: Record<string, unknown> }> }
  t.equal(collection.type, 'FeatureCollection')
  const located = devices.filter((d) => d.location)
  t.equal(collection.features.length, located.length, 'only the geolocated devices')
  for (const [i, feature] of collection.features.entries()) {
    const device = located[i]!
    t.same(feature.geometry, { type: 'Point', coordinates: [device.location!.lon, device.location!.lat, device.location!.alt!] })
    t.equal(feature.properties['ssid'], device.ssid, `ssid ${JSON.stringify(device.ssid)} (JSON escapes even a lone surrogate)`)
    t.equal(feature.properties['sensor'], 'default')
    t.equal(feature.id, `default/${device.key}`)
  }
  const filtered = JSON.parse((await app.inject('/api/kismet/ws/devices?format=geojson&ssid=QUOTE')).body) as typeof collection
  t.same(filtered.features.map((f) => f.properties['ssid']), ['"quoted"'], 'filtered like the rest (of the two SSIDs with "quote", the geolocated one)')
})

t.test('KML: well-formed for a strict XML parser with hostile SSIDs, names and data read back', async (t) => {
  const devices = hostileDevices()
  const { app } = await appWith(t, devices)
  const response = await app.inject('/api/kismet/ws/devices?format=kml')
  t.equal(response.headers['content-type'], 'application/vnd.google-earth.kml+xml; charset=utf-8')
  t.match(response.headers['content-disposition'], /filename="kismet-devices-.*\.kml"/)
  const parser = new SaxesParser({ xmlns: true })
  const errors: string[] = []
  const placemarks: Array<{ name: string; data: Record<string, string>; coordinates: string }> = []
  const path: string[] = []
  let text = ''
  let dataName = ''
  parser.on('error', (error) => errors.push(error.message))
  parser.on('opentag', (tag) => {
    path.push(tag.local)
    text = ''
    if (tag.local === 'Placemark') placemarks.push({ name: '', data: {}, coordinates: '' })
    if (tag.local === 'Data') dataName = String(tag.attributes['name']?.value ?? '')
  })
  parser.on('text', (chunk) => (text += chunk))
  parser.on('closetag', (tag) => {
    const current = placemarks.at(-1)
    if (current && tag.local === 'name' && path.at(-2) === 'Placemark') current.name = text
    if (current && tag.local === 'value') current.data[dataName] = text
    if (current && tag.local === 'coordinates') current.coordinates = text
    path.pop()
  })
  parser.write(response.body).close()
  t.same(errors, [], 'well-formed XML')
  const located = devices.filter((d) => d.location)
  t.equal(placemarks.length, located.length, 'a Placemark per geolocated device')
  for (const [i, placemark] of placemarks.entries()) {
    const device = located[i]!
    t.equal(placemark.name, asXml(device.ssid || device.name), `name ${JSON.stringify(device.ssid)}`)
    t.equal(placemark.data['sensor'], 'default')
    t.equal(placemark.data['key'], device.key)
    t.equal(placemark.coordinates, `${device.location!.lon},${device.location!.lat},${device.location!.alt}`)
  }
})

t.test('a large table is streamed: chunked, in many pieces, every row there', async (t) => {
  const devices = Array.from({ length: 20_000 }, (_, i) => makeDevice(i))
  const { url } = await appWith(t, devices)
  const { chunks, body, headers } = await new Promise<{ chunks: number; body: string; headers: Record<string, unknown> }>((resolve, reject) => {
    request(`${url}/api/kismet/ws/devices?format=csv`, (res) => {
      let chunks = 0
      const parts: Buffer[] = []
      res.on('data', (part: Buffer) => {
        chunks += 1
        parts.push(part)
      })
      res.on('end', () => resolve({ chunks, body: Buffer.concat(parts).toString('utf8'), headers: res.headers }))
      res.on('error', reject)
    })
      .on('error', reject)
      .end()
  })
  t.equal(headers['transfer-encoding'], 'chunked', 'no content-length: written as it is made')
  t.ok(chunks > 10, `arrived in ${chunks} pieces`)
  t.equal(body.trimEnd().split('\r\n').length, devices.length + 1, 'a header and every device')
})

t.test('several sensors: every row names its sensor, and the export equals each Kismet', async (t) => {
  const h = await startSensors(t, ['north', 'south'], { devices: 15 })
  await h.cycle()
  const page = (await h.app.inject('/api/kismet/ws/devices?limit=5000')).json() as { data: { devices: Array<{ sensor: string; device: WifiDevice }> } }
  for (const sensor of ['north', 'south']) {
    const truth = (await h.truth(sensor)).map((d) => d.key).sort()
    t.same(page.data.devices.filter((row) => row.sensor === sensor).map((row) => row.device.key).sort(), truth, `${sensor}'s devices, tagged ${sensor}`)
  }
  const south = parseCsv((await h.app.inject('/api/kismet/ws/devices?format=csv&sensors=south')).body, { columns: true }) as Array<Record<string, string>>
  t.same([...new Set(south.map((row) => row['sensor']))], ['south'], 'sensors=south: south only')
  t.equal(south.length, (await h.truth('south')).length)
})

t.test('the export is in the OpenAPI document', async (t) => {
  const { app } = await startApp(t)
  const doc = (await app.inject('/docs/json')).json() as { paths: Record<string, { get?: { parameters?: Array<{ name: string }>; responses: Record<string, { content?: Record<string, unknown> }> } }> }
  const route = doc.paths['/api/kismet/ws/devices']?.get
  t.ok(route, 'documented')
  t.same(Object.keys(route?.responses['200']?.content ?? {}).sort(), ['application/geo+json', 'application/json', 'application/vnd.google-earth.kml+xml', 'text/csv'])
  for (const name of ['format', 'macs', 'ouis', 'ssid', 'types', 'minSignal', 'bands', 'channels', 'encryption', 'randomized', 'sensors', 'offset', 'limit']) {
    t.ok(route?.parameters?.some((p) => p.name === name), `parameter ${name}`)
  }
})

t.test('the fast ISO 8601 formatter of the exports agrees with Date#toISOString', async (t) => {
  const samples = [0, 999, 1000, 86_399_999, 86_400_000, 951_782_400_000, 1_795_629_789_000, 1_795_629_789_123, 4_102_444_799_999]
  for (let i = 0; i < 5000; i++) samples.push(Math.floor(((i * 2_654_435_761) % 4_294_967_296) * 1000 + i))
  const wrong = samples.filter((ms) => iso(ms) !== new Date(ms).toISOString())
  t.same(wrong, [], `${samples.length} instants`)
})
