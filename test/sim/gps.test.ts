// The simulator with a GPS, held against the captures of a real Kismet with a fixed GPS
// position (test/fixtures/kismet/gps/): the same devices, asked the same requests, answer the
// captured key paths, JSON types and location values — device locations (every sub-record
// in its own shape, `signal/peak_loc`, devices without a fix), /gps/location.json,
// /gps/all_gps.json and /gps/all_locations.json — on master, and the release's rules for
// what it leaves out.
import t, { type Test } from 'tap'
import { KismetSimulator, type SimDevice, type SimFlavor } from '../../sim/simulator.js'
import { rawRequest, readFixtureJson, shapeDifferences, shapeOf } from '../support/fixtures.js'

const KEY = '5C5A3F0E9B1D4C2A8E7F6A5B4C3D2E1F'
const AT = { lat: 38.8895, lon: -77.0353, alt: 20 }
const GPS_UUID = /^17180436-0000-0000-0000-0000[0-9A-F]{8}$/

type Json = Record<string, unknown>

interface IndexEntry {
  file: string
  method: string
  path: string
  body: Json | null
  captured: string
}

const index = readFixtureJson('gps/index.json') as IndexEntry[]
const entry = (file: string): IndexEntry => index.find((e) => e.file === file)!
const capturedAt = (file: string): number => Date.parse(entry(file).captured)

function object(value: unknown): Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {}
}

/** The ground truth of one captured record of the location-fields request. */
function truthOf(record: Json): Partial<SimDevice> & { key: string } {
  const avg = record['loc_avg']
  const peak = object(record['peak_loc'])
  const place = (triplet: unknown) => {
    const geopoint = object(triplet)['kismet.common.location.geopoint'] as [number, number]
    return { lon: geopoint[0], lat: geopoint[1], alt: object(triplet)['kismet.common.location.alt'] as number, fix: 3 }
  }
  const ssid = record['ssid']
  return {
    key: record['kismet.device.base.key'] as string,
    mac: record['kismet.device.base.macaddr'] as string,
    type: record['kismet.device.base.type'] as string,
    lastTime: record['kismet.device.base.last_time'] as number,
    signal: record['last_signal'] as number,
    location: avg === 0 ? null : place(avg),
    peakLocation: peak['kismet.common.location.fix'] === 0 ? null : place(peak),
    ...(typeof ssid === 'string' ? { ssid } : record['kismet.device.base.type'] === 'Wi-Fi AP' ? {} : { ssid: null }),
  }
}

async function gpsScenario(t: Test, flavor: SimFlavor = 'master') {
  let now = capturedAt('devices_last-time_-60.location-fields.json')
  const sim = new KismetSimulator({ flavor, apiKey: KEY, clock: () => now, location: AT, serverName: 'kismet-fixtures' })
  const url = await sim.listen()
  t.teardown(() => sim.close())
  const captured = readFixtureJson('gps/devices_last-time_-60.location-fields.json') as Json[]
  for (const record of captured) sim.addDevice(truthOf(record))
  const request = (e: IndexEntry) =>
    rawRequest(url + e.path, {
      method: e.method,
      headers: { Cookie: `KISMET=${KEY}`, ...(e.body ? { 'Content-Type': 'application/json' } : {}) },
      ...(e.body ? { body: JSON.stringify(e.body) } : {}),
    })
  return { sim, captured, request, setNow: (ms: number) => (now = ms) }
}

t.test('device locations: the location-fields request answers the captured shapes and positions', async (t) => {
  const h = await gpsScenario(t)
  const e = entry('devices_last-time_-60.location-fields.json')
  const res = await h.request(e)
  t.equal(res.status, 200)
  const answered = JSON.parse(res.text) as Json[]
  t.equal(answered.length, h.captured.length, 'the same devices')
  t.same(shapeDifferences(answered, h.captured), [], 'every record has the captured key paths and JSON types')
  const byKey = new Map(answered.map((r) => [r['kismet.device.base.key'], r]))
  const differences: string[] = []
  for (const captured of h.captured) {
    const mine = byKey.get(captured['kismet.device.base.key'])!
    for (const alias of ['loc_last', 'loc_avg', 'loc_min', 'loc_max', 'loc_fix', 'peak_loc']) {
      const want = captured[alias]
      const got = mine[alias]
      const position = (v: unknown) => (typeof v === 'object' && v !== null ? [object(v)['kismet.common.location.geopoint'], object(v)['kismet.common.location.alt'], object(v)['kismet.common.location.fix']] : v)
      if (JSON.stringify(position(got)) !== JSON.stringify(position(want))) differences.push(`${String(captured['kismet.device.base.macaddr'])} ${alias}: ${JSON.stringify(position(got))} vs ${JSON.stringify(position(want))}`)
      // Each sub-record has its own keys: last has speed and heading, avg and peak a time, min and max neither.
      if (typeof want === 'object' && want !== null && typeof got === 'object' && got !== null) {
        const keys = (v: object) => Object.keys(v).filter((k) => k !== 'kismet.common.location.gps_uuid')
        if (JSON.stringify(keys(got)) !== JSON.stringify(keys(want))) differences.push(`${alias} keys: ${keys(got).join(',')} vs ${keys(want).join(',')}`)
      }
    }
  }
  t.same([...new Set(differences)], [], 'every location sub-record and peak_loc: the captured values and keys, in the captured order')
  const noFix = answered.filter((r) => r['loc_avg'] === 0)
  t.equal(noFix.length, 11, 'devices never heard with a fix: each location path answers 0')
  t.ok(noFix.every((r) => object(r['peak_loc'])['kismet.common.location.fix'] === 0), 'while their peak_loc is an object at [0, 0] with fix 0')
})

t.test('device locations: the whole sub-records and full records as captured', async (t) => {
  const h = await gpsScenario(t)
  const whole = readFixtureJson('gps/devices_last-time_-60.location-whole.json') as Json[]
  const res = await h.request(entry('devices_last-time_-60.location-whole.json'))
  const answered = JSON.parse(res.text) as Json[]
  // The capture was made a moment later: by then every device had a location record, those
  // without a fix holding loc_fix 0 alone. Compare the sub-records of the devices that had one.
  const byKey = new Map(answered.map((r) => [r['kismet.device.base.key'], r]))
  const pairs = whole.map((r) => [byKey.get(r['kismet.device.base.key']), r] as const).filter(([mine]) => mine !== undefined)
  t.equal(pairs.length, whole.length, 'the same devices')
  t.same(shapeDifferences(pairs.map(([mine]) => object(mine)['kismet.device.base.location']), whole.map((r) => r['kismet.device.base.location'])), [], 'kismet.device.base.location: the captured shapes ({loc_fix: 0} alone without a fix)')
  const peaks = (records: readonly unknown[]) => records.map((r) => object(object(r)['kismet.device.base.signal'])['kismet.common.signal.peak_loc'])
  t.same(shapeDifferences(peaks(pairs.map(([mine]) => mine)), peaks(whole)), [], 'signal/peak_loc: the captured shape')

  for (const file of ['device_by-key_ap.json', 'device_by-key_client.json'] as const) {
    const captured = readFixtureJson(`gps/${file}`) as Json
    const key = captured['kismet.device.base.key'] as string
    if (!h.sim.getDevice(key)) {
      // The full records were captured a moment after the list: add the one the list missed.
      h.sim.addDevice(truthOf({ ...captured, loc_avg: object(captured['kismet.device.base.location'])['kismet.common.location.avg_loc'], peak_loc: object(captured['kismet.device.base.signal'])['kismet.common.signal.peak_loc'], last_signal: -50 }))
    }
    const mine = JSON.parse((await rawRequest(`${h.sim.url}/devices/by-key/${key}/device.json`, { headers: { Cookie: `KISMET=${KEY}` } })).text) as Json
    t.same(shapeDifferences([mine['kismet.device.base.location']], [captured['kismet.device.base.location']]).filter((d) => !d.includes('gps_uuid')), [], `${file}: the location record`)
    t.same(shapeDifferences(peaks([mine]), peaks([captured])), [], `${file}: peak_loc`)
  }
})

t.test('/gps/location.json, /gps/all_gps.json, /gps/all_locations.json as captured', async (t) => {
  const h = await gpsScenario(t)
  const get = async (path: string) => JSON.parse((await rawRequest(h.sim.url + path, { headers: { Cookie: `KISMET=${KEY}` } })).text) as unknown
  const now = capturedAt('gps_location.json')
  h.setNow(now)

  const location = object(await get('/gps/location.json'))
  const capturedLocation = readFixtureJson('gps/gps_location.json') as Json
  t.same(shapeDifferences([location], [capturedLocation]), [], 'location.json: the captured key paths and types')
  t.same(Object.keys(location), Object.keys(capturedLocation), 'in the captured order')
  t.same(location['kismet.common.location.geopoint'], [AT.lon, AT.lat], 'geopoint [lon, lat]')
  t.match(location, { 'kismet.common.location.alt': 20, 'kismet.common.location.fix': 3, 'kismet.common.location.time_sec': Math.floor(now / 1000) })
  t.match(location['kismet.common.location.gps_uuid'], GPS_UUID, "Kismet's GPS UUID shape (checksum of kismet_gps, then of the definition)")

  const allGps = (await get('/gps/all_gps.json')) as unknown[]
  const capturedGps = readFixtureJson('gps/gps_all_gps.json') as Json[]
  t.same(shapeDifferences(allGps, capturedGps), [], 'all_gps.json: the captured key paths and types')
  t.match(allGps[0], {
    'kismet.gps.name': 'fixed',
    'kismet.gps.description': 'Virtual GPS at 38.8895,-77.0353 @ 20m',
    'kismet.gps.definition': 'virtual:name=fixed,lat=38.8895,lon=-77.0353,alt=20',
    'kismet.gps.uuid': location['kismet.common.location.gps_uuid'],
    'kismet.gps.location': { 'kismet.common.location.geopoint': [AT.lon, AT.lat], 'kismet.common.location.time_sec': 0 },
  })

  const all = object(await get('/gps/all_locations.json'))
  const capturedAll = readFixtureJson('gps/gps_all_locations.json') as Json
  t.same(shapeDifferences([all], [capturedAll]), [], 'all_locations.json: keyed by the GPS UUID, the captured triplet')
  t.same(Object.keys(all), [location['kismet.common.location.gps_uuid']])

  // The GPS moves, then loses its fix, then is gone.
  h.sim.setGps({ lat: 38.9, lon: -77.04, alt: 25 })
  t.same(object(await get('/gps/location.json'))['kismet.common.location.geopoint'], [-77.04, 38.9], 'the sensor moved')
  h.sim.setGps({ lat: 38.9, lon: -77.04, fix: 1 })
  t.same(await get('/gps/location.json'), { 'kismet.common.location.geopoint': [0, 0] }, 'no fix: the bare [0, 0] triplet (gpstracker.cc)')
  h.sim.setGps(null)
  t.same(await get('/gps/all_gps.json'), [], 'no GPS configured')
  t.same(await get('/gps/all_locations.json'), {})
  const fields = await rawRequest(`${h.sim.url}/gps/location.json`, { method: 'POST', headers: { Cookie: `KISMET=${KEY}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ fields: ['kismet.common.location.fix'] }) })
  t.same(JSON.parse(fields.text), { 'kismet.common.location.fix': 0 }, 'fields work here too (an absent key is 0)')
})

t.test('release 2025-09-R1: a device without a fix has neither location nor peak_loc; one with a fix has both', async (t) => {
  const h = await gpsScenario(t, 'release-2025-09-R1')
  const get = async (key: string) => JSON.parse((await rawRequest(`${h.sim.url}/devices/by-key/${key}/device.json`, { headers: { Cookie: `KISMET=${KEY}` } })).text) as Json
  const withFix = h.captured.find((r) => r['loc_avg'] !== 0 && object(r['peak_loc'])['kismet.common.location.fix'] === 3)!
  const withoutFix = h.captured.find((r) => r['loc_avg'] === 0)!
  const located = await get(withFix['kismet.device.base.key'] as string)
  t.same(shapeOf(located['kismet.device.base.location']), shapeOf((readFixtureJson('gps/device_by-key_ap.json') as Json)['kismet.device.base.location']), 'the location record')
  t.ok(object(located['kismet.device.base.signal'])['kismet.common.signal.peak_loc'], 'peak_loc: the strongest packet came with a position')
  const unlocated = await get(withoutFix['kismet.device.base.key'] as string)
  t.notOk('kismet.device.base.location' in unlocated, 'no location key')
  t.notOk('kismet.common.signal.peak_loc' in object(unlocated['kismet.device.base.signal']), 'no peak_loc (devicetracker_component.cc creates it with a GPS position)')
})
