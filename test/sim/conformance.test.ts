// The simulator held against every captured Kismet response it could have produced, for
// both captured servers: the same request (method, path, body, Content-Type, credential,
// from index.json) goes to a simulator holding the same devices and alerts, and the answer
// must match the capture in status, Content-Type, framing, Set-Cookie, and body (bytes for
// text bodies, key paths and JSON types for JSON; see shapeDifferences).
import t, { type Test } from 'tap'
import { KismetSimulator } from '../../sim/simulator.js'
import {
  FORM,
  fixtureIndex,
  flavorFile,
  rawRequest,
  readCapturedResponse,
  readFixtureJson,
  shapeDifferences,
  simAlertFromRecord,
  simDeviceFromRecord,
  type FixtureFlavor,
  type FixtureIndexEntry,
  type RawResponse,
} from '../support/fixtures.js'

const API_KEY = '5C5A3F0E9B1D4C2A8E7F6A5B4C3D2E1F'
const WRONG_KEY = '00000000000000000000000000000000'
const BASIC = `Basic ${Buffer.from('kismet:kismet').toString('base64')}`
const BASIC_WRONG = `Basic ${Buffer.from('kismet:wrong').toString('base64')}`

/** Captured requests to endpoints the simulator does not imitate (not needed by the service). */
const NOT_SIMULATED = [
  /^\/channels\//,
  /^\/phy\//,
  /^\/messagebus\//,
  /^\/packetchain\//,
  /^\/alerts\/definitions\.json/,
  /^\/auth\/apikey\//,
  /\.prettyjson$/,
  /\.ekjson$/,
]

/**
 * Captures stored as an excerpt, and the capture of the same answer in full: the .http file
 * keeps 2 of the 132 full records that POST with an unparsable json= returned (index.json
 * gives the original size); GET /devices/views/all/devices.json returned the same records.
 */
const EXCERPTS: Record<string, string> = {
  'auth/post_unparsable_json.http': 'small/devices_views_all_devices.json',
}

type KismetRecord = Record<string, unknown>

function object(value: unknown): KismetRecord {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as KismetRecord) : {}
}

interface Scenario {
  sim: KismetSimulator
  url: string
  setClock(ms: number): void
  /** The capture time of the device list the simulator holds (seconds). */
  devicesAt: number
  /** Moves every device's times by `seconds` (keeps relative ages when a fixture was captured later). */
  shiftDevices(seconds: number): void
}

/** A simulator holding the devices and alerts of a flavor's captures. */
export async function capturedScenario(t: Test, flavor: FixtureFlavor): Promise<Scenario> {
  let now = 0
  const sim = new KismetSimulator({ flavor, apiKey: API_KEY, user: 'kismet', password: 'kismet', clock: () => now })
  const url = await sim.listen()
  t.teardown(() => sim.close())
  const list = readFixtureJson(flavorFile(flavor, 'small/devices_views_all_devices.json')) as KismetRecord[]
  const index = fixtureIndex(flavor)
  const devicesAt = index.find((entry) => entry.file === 'small/devices_views_all_devices.json')?.captured_at ?? 0
  now = devicesAt * 1000
  const truths = list.map(simDeviceFromRecord)
  for (const truth of truths) sim.addDevice(truth)
  // addDevice counts a client onto its AP; the capture already has the real counts.
  for (const truth of truths) sim.updateDevice(truth.key, { clients: truth.clients ?? 0, lastTime: truth.lastTime, modTime: truth.modTime ?? truth.lastTime })
  for (const record of readFixtureJson(flavorFile(flavor, 'alerts/alerts_all_alerts.json')) as KismetRecord[]) sim.raiseAlert(simAlertFromRecord(record))
  return {
    sim,
    url,
    devicesAt,
    setClock: (ms) => {
      now = ms
    },
    shiftDevices: (seconds) => {
      if (seconds === 0) return
      for (const device of sim.devices()) {
        sim.updateDevice(device.key, { firstTime: device.firstTime + seconds, lastTime: device.lastTime + seconds, modTime: device.modTime + seconds })
      }
    },
  }
}

interface ReplayRequest {
  path: string
  method: string
  headers: Record<string, string>
  body?: string
}

/** The request index.json describes, with this test's credentials. */
function replayRequest(entry: FixtureIndexEntry): ReplayRequest {
  const headers: Record<string, string> = {}
  let path = entry.path
  const key = entry.file.includes('bad-apikey') ? WRONG_KEY : API_KEY
  switch (entry.auth) {
    case 'apikey-cookie':
      headers['Cookie'] = `KISMET=${key}`
      break
    case 'apikey-query':
      path += `${path.includes('?') ? '&' : '?'}KISMET=${key}`
      if (entry.file.includes('unrelated-cookie')) headers['Cookie'] = 'theme=dark'
      break
    case 'basic':
      headers['Authorization'] = BASIC
      break
    case 'basic-bad':
      headers['Authorization'] = BASIC_WRONG
      break
    default:
      if (entry.file.includes('bearer')) headers['Authorization'] = `Bearer ${API_KEY}`
  }
  const request: ReplayRequest = { path, method: entry.method, headers }
  if (entry.body !== null) {
    request.body = entry.body
    headers['Content-Type'] = entry.content_type_sent ?? FORM
  }
  return request
}

function isSimulated(entry: FixtureIndexEntry): boolean {
  const path = entry.path.split('?')[0] ?? ''
  return !NOT_SIMULATED.some((pattern) => pattern.test(path))
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** Compares JSON bodies: records by shape; wrappers by their keys, then their lists. */
function compareJson(t: Test, simValue: unknown, captured: unknown, entry: FixtureIndexEntry): void {
  if (Array.isArray(captured)) {
    if (!t.ok(Array.isArray(simValue), 'an array, as captured')) return
    const sim = simValue as unknown[]
    t.equal(sim.length === 0, captured.length === 0, `empty exactly when the capture is (${sim.length} vs ${captured.length})`)
    t.same(shapeDifferences(sim, captured), [], 'every record has the captured key paths and JSON types')
    return
  }
  const capturedObject = object(captured)
  const simObject = object(simValue)
  if (Array.isArray(capturedObject['data']) || Array.isArray(capturedObject['kismet.alert.list'])) {
    const listKey = Array.isArray(capturedObject['data']) ? 'data' : 'kismet.alert.list'
    t.same(Object.keys(simObject).sort(), Object.keys(capturedObject).sort(), 'the wrapper has the captured keys')
    for (const key of Object.keys(capturedObject)) {
      if (key !== listKey) t.equal(typeof simObject[key], typeof capturedObject[key], `${key} has the captured type`)
    }
    compareJson(t, simObject[listKey], capturedObject[listKey], entry)
    return
  }
  t.same(shapeDifferences([simValue], [captured]), [], 'the record has exactly the captured key paths and JSON types')
}

function compareHeaders(t: Test, res: RawResponse, captured: ReturnType<typeof readCapturedResponse>, entry: FixtureIndexEntry): void {
  t.equal(res.headers['server'], 'Kismet', 'Server: Kismet')
  const errorPage = [401, 404, 405].includes(entry.status) && entry.response_content_type === 'text/html'
  if (errorPage) {
    t.equal(res.headers['content-length'], String(res.body.length), 'error pages carry a Content-Length')
    t.notOk(res.headers['transfer-encoding'], 'error pages are not chunked')
  } else {
    t.equal(res.headers['transfer-encoding'], 'chunked', 'handler answers are chunked')
  }
  if (!entry.file_has_headers) return
  for (const name of ['cache-control', 'pragma', 'expires']) {
    t.equal(res.headers[name], captured.headers.get(name)?.[0], `${name} as captured`)
  }
  const cookie = captured.headers.get('set-cookie')?.[0]
  const simCookie = res.headers['set-cookie']?.[0]
  if (cookie === undefined) t.equal(simCookie, undefined, 'no Set-Cookie, as captured')
  else if (cookie.startsWith('KISMET=eyJ')) t.match(simCookie, /^KISMET=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXUyJ9\.[\w-]+\.[\w-]+; Path=\/$/, 'a login JWT cookie, as captured')
  else t.equal(simCookie, `KISMET=${API_KEY}; Path=/`, 'the API key echoed, as captured')
}

for (const flavor of ['master', 'release-2025-09-R1'] as const) {
  t.test(`${flavor}: every captured response the simulator could have produced`, async (t) => {
    const index = fixtureIndex(flavor)
    const scenario = await capturedScenario(t, flavor)
    let shifted = 0
    const simulated = index.filter(isSimulated)
    t.ok(simulated.length >= 60, `${simulated.length} captured responses to compare`)
    for (const entry of simulated) {
      await t.test(`${entry.method} ${entry.path} (${entry.file})`, async (t) => {
        // Keep the devices as old relative to this capture as they were when the list was captured.
        const shift = Math.round(entry.captured_at - scenario.devicesAt)
        scenario.shiftDevices(shift - shifted)
        shifted = shift
        scenario.setClock(Math.round(entry.captured_at * 1000))
        const request = replayRequest(entry)
        const res = await rawRequest(scenario.url + request.path, request)
        const captured = readCapturedResponse(flavorFile(flavor, entry.file), entry)
        t.equal(res.status, entry.status, 'status as captured')
        t.equal(res.headers['content-type'], entry.response_content_type, 'Content-Type as captured')
        compareHeaders(t, res, captured, entry)
        const whole = EXCERPTS[entry.file]
        const capturedBody = whole === undefined ? captured.body : readCapturedResponse(flavorFile(flavor, whole)).body
        const capturedJson = entry.response_content_type === 'application/json' ? parseJson(capturedBody.toString('utf8')) : undefined
        if (capturedJson === undefined) {
          t.equal(res.text, captured.body.toString('utf8'), 'the body, byte for byte')
        } else {
          compareJson(t, parseJson(res.text), capturedJson, entry)
        }
      })
    }
  })
}

t.test('every fixture request is either compared above or knowingly not simulated', async (t) => {
  for (const flavor of ['master', 'release-2025-09-R1'] as const) {
    const notSimulated = fixtureIndex(flavor).filter((entry) => !isSimulated(entry)).map((entry) => entry.path.split('?')[0])
    t.same(
      [...new Set(notSimulated)].sort(),
      [
        '/alerts/definitions.json',
        '/auth/apikey/generate.cmd',
        '/auth/apikey/list.json',
        '/auth/apikey/revoke.cmd',
        '/channels/channels.json',
        '/devices/views/all/devices.prettyjson',
        '/messagebus/last-time/0/messages.json',
        '/phy/all_phys.json',
        '/system/status.ekjson',
        ...(flavor === 'master' ? ['/packetchain/packet_stats.json'] : []),
      ].sort(),
      `${flavor}: only these captured endpoints are outside the simulator`,
    )
  }
})

t.test('fields values: the simulator answers the captured simplified list with the captured values', async (t) => {
  for (const flavor of ['master', 'release-2025-09-R1'] as const) {
    const scenario = await capturedScenario(t, flavor)
    const entry = fixtureIndex(flavor).find((candidate) => candidate.file === 'small/devices_views_all_devices.fields.json')
    if (!entry) throw new Error('fields fixture missing')
    scenario.setClock(Math.round(entry.captured_at * 1000))
    const request = replayRequest(entry)
    const res = await rawRequest(scenario.url + request.path, request)
    const sim = new Map((JSON.parse(res.text) as KismetRecord[]).map((record) => [record['kismet.device.base.key'], record]))
    const captured = readFixtureJson(flavorFile(flavor, entry.file)) as KismetRecord[]
    // Values that do not move between two captures a few milliseconds apart.
    const stable = [
      'kismet.device.base.key', 'kismet.device.base.macaddr', 'kismet.device.base.name', 'kismet.device.base.commonname',
      'kismet.device.base.type', 'kismet.device.base.phyname', 'kismet.device.base.manuf', 'kismet.device.base.channel',
      'kismet.device.base.frequency', 'kismet.device.base.crypt', 'kismet.device.base.first_time',
      'dot11.advertisedssid.ssid', 'dot11.device.num_associated_clients', 'dot11.device.last_bssid',
    ]
    const mismatches: string[] = []
    let compared = 0
    for (const record of captured) {
      const mine = sim.get(record['kismet.device.base.key'])
      if (!mine) {
        mismatches.push(`missing ${String(record['kismet.device.base.key'])}`)
        continue
      }
      // A device heard between the two captures may have moved channel or AP: compare the rest.
      if (mine['kismet.device.base.last_time'] !== record['kismet.device.base.last_time']) continue
      compared++
      for (const key of stable) if (mine[key] !== record[key]) mismatches.push(`${String(record['kismet.device.base.key'])} ${key}: ${String(mine[key])} vs ${String(record[key])}`)
    }
    t.equal(sim.size, captured.length, `${flavor}: the same ${captured.length} devices`)
    t.ok(compared >= 100, `${flavor}: ${compared} devices unchanged between the two captures compared`)
    t.same(mismatches, [], `${flavor}: every stable field has the captured value (SSID 0 for clients, own MAC as an AP's BSSID, zero MAC for none)`)
  }
})
