// The real Kismet captures vendored in test/fixtures/kismet (see its README): reading them,
// replaying their requests over raw HTTP, and describing JSON by its shape (key paths and
// value types) so a simulator answer can be held against a captured one.
import { readFileSync } from 'node:fs'
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { SimAlert, SimDevice } from '../../sim/simulator.js'

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const fixturesRoot = path.resolve(repoRoot, 'test', 'fixtures', 'kismet')

/** The folder of each captured server: master at the top, the release in its own folder. */
export const FLAVOR_FOLDERS = { master: '', 'release-2025-09-R1': 'release-2025-09-R1' } as const
export type FixtureFlavor = keyof typeof FLAVOR_FOLDERS

export function fixturePath(relative: string): string {
  return path.join(fixturesRoot, relative)
}

export function readFixture(relative: string): Buffer {
  return readFileSync(fixturePath(relative))
}

export function readFixtureJson(relative: string): unknown {
  return JSON.parse(readFixture(relative).toString('utf8'))
}

/** One entry of index.json: the exact request that produced a file, and what came back. */
export interface FixtureIndexEntry {
  file: string
  method: string
  path: string
  body: string | null
  content_type_sent: string | null
  auth: string
  status: number
  file_has_headers: boolean
  response_content_type: string
  bytes: number
  captured_at: number
  scenario: string
  note: string
}

export function fixtureIndex(flavor: FixtureFlavor): FixtureIndexEntry[] {
  const folder = FLAVOR_FOLDERS[flavor]
  return readFixtureJson(path.join(folder, 'index.json')) as FixtureIndexEntry[]
}

/** A fixture file relative to the fixtures root (index paths are relative to their flavor folder). */
export function flavorFile(flavor: FixtureFlavor, file: string): string {
  return path.join(FLAVOR_FOLDERS[flavor], file)
}

/** A captured response: from a .http file (status line, headers, body) or a bare body file. */
export interface CapturedResponse {
  status: number
  headers: Map<string, string[]>
  body: Buffer
}

export function readCapturedResponse(relative: string, entry?: FixtureIndexEntry): CapturedResponse {
  const raw = readFixture(relative)
  if (!relative.endsWith('.http')) {
    return { status: entry?.status ?? 200, headers: new Map(), body: raw }
  }
  // The captures store the head with LF line ends (CRLF accepted too).
  const crlf = raw.indexOf('\r\n\r\n')
  const lf = raw.indexOf('\n\n')
  const useCrlf = crlf >= 0 && (lf < 0 || crlf < lf)
  const split = useCrlf ? crlf : lf
  const head = raw.subarray(0, split).toString('latin1').split(useCrlf ? '\r\n' : '\n')
  const status = Number((head[0] ?? '').split(' ')[1])
  const headers = new Map<string, string[]>()
  for (const line of head.slice(1)) {
    const colon = line.indexOf(':')
    const name = line.slice(0, colon).toLowerCase()
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()])
  }
  return { status, headers, body: raw.subarray(split + (useCrlf ? 4 : 2)) }
}

// ---------------------------------------------------------------------------------------
// Captured records as simulator ground truth.

type KismetRecord = Record<string, unknown>
const ZERO_MAC = '00:00:00:00:00:00'

function object(value: unknown): KismetRecord {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as KismetRecord) : {}
}

/** The ground truth of a captured full device record. */
export function simDeviceFromRecord(record: KismetRecord): Partial<SimDevice> & { key: string; lastTime: number } {
  const dot11 = object(record['dot11.device'])
  const signal = object(record['kismet.device.base.signal'])
  const beaconed = record['dot11.device'] && dot11['dot11.device.last_beaconed_ssid_record']
  const probed = dot11['dot11.device.last_probed_ssid_record']
  const bssid = dot11['dot11.device.last_bssid'] as string
  return {
    key: record['kismet.device.base.key'] as string,
    mac: record['kismet.device.base.macaddr'] as string,
    phyname: record['kismet.device.base.phyname'] as string,
    type: record['kismet.device.base.type'] as string,
    name: record['kismet.device.base.name'] as string,
    commonname: record['kismet.device.base.commonname'] as string,
    manuf: record['kismet.device.base.manuf'] as string,
    channel: record['kismet.device.base.channel'] as string,
    frequency: record['kismet.device.base.frequency'] as number,
    crypt: record['kismet.device.base.crypt'] as string,
    firstTime: record['kismet.device.base.first_time'] as number,
    lastTime: record['kismet.device.base.last_time'] as number,
    modTime: record['kismet.device.base.mod_time'] as number,
    packets: record['kismet.device.base.packets.total'] as number,
    dataBytes: record['kismet.device.base.datasize'] as number,
    signal: (signal['kismet.common.signal.last_signal'] as number | undefined) ?? 0,
    location: null,
    ssid: beaconed ? (object(beaconed)['dot11.advertisedssid.ssid'] as string) : null,
    probedSsid: probed ? (object(probed)['dot11.probedssid.ssid'] as string) : null,
    clients: dot11['dot11.device.num_associated_clients'] as number,
    bssid: bssid === ZERO_MAC ? null : bssid,
  }
}

/** The ground truth of a captured alert record. */
export function simAlertFromRecord(record: KismetRecord): SimAlert {
  return {
    hash: record['kismet.alert.hash'] as number,
    header: record['kismet.alert.header'] as string,
    class: record['kismet.alert.class'] as string,
    severity: record['kismet.alert.severity'] as number,
    timestamp: record['kismet.alert.timestamp'] as number,
    text: record['kismet.alert.text'] as string,
    deviceKey: record['kismet.alert.device_key'] as string,
    transmitterMac: record['kismet.alert.transmitter_mac'] as string,
    sourceMac: record['kismet.alert.source_mac'] as string,
    destMac: record['kismet.alert.dest_mac'] as string,
    otherMac: record['kismet.alert.other_mac'] as string,
    channel: record['kismet.alert.channel'] as string,
    frequency: record['kismet.alert.frequency'] as number,
    phyId: record['kismet.alert.phy_id'] as number,
  }
}

// ---------------------------------------------------------------------------------------
// Raw HTTP, so a test sees exactly what went over the wire (framing headers, bytes).

export interface RawResponse {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
  text: string
}

export interface RawRequest {
  method?: string
  headers?: Record<string, string>
  body?: string | Buffer
}

export function rawRequest(url: string, options: RawRequest = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => {
        const body = Buffer.concat(chunks)
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    if (options.body !== undefined) req.write(options.body)
    req.end()
  })
}

/** A form body as the fixtures' requests sent it: json=<urlencoded JSON>. */
export function formBody(command: unknown): string {
  return `json=${encodeURIComponent(JSON.stringify(command))}`
}

export const FORM = 'application/x-www-form-urlencoded'

// ---------------------------------------------------------------------------------------
// JSON shapes: key paths with the JSON types seen there. Array elements are merged into
// `path[]`; map keys that are data (MACs, device keys, UUIDs, numbers such as frequencies)
// collapse to a placeholder, as the release README's comparison did.

export type JsonType = 'string' | 'number' | 'boolean' | 'null' | 'array' | 'object'
export type Shape = Map<string, Set<JsonType>>

const MAC_KEY = /^[0-9A-F]{2}(:[0-9A-F]{2}){5}$/i
const DEVICE_KEY = /^[0-9A-F]{16}_[0-9A-F]+$/i
const UUID_KEY = /^[0-9A-F]{8}-[0-9A-F]{4}-/i
const NUMBER_KEY = /^-?\d+(\.\d+)?$/

export function collapseKey(key: string): string {
  if (MAC_KEY.test(key)) return '<mac>'
  if (DEVICE_KEY.test(key)) return '<device-key>'
  if (UUID_KEY.test(key)) return '<uuid>'
  if (NUMBER_KEY.test(key)) return '<number>'
  return key
}

export function jsonType(value: unknown): JsonType {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  const type = typeof value
  if (type === 'string' || type === 'number' || type === 'boolean') return type
  return 'object'
}

/** The shape of one value (paths relative to it, '' for the value itself). */
export function shapeOf(value: unknown, into: Shape = new Map(), at = ''): Shape {
  const types = into.get(at) ?? new Set<JsonType>()
  types.add(jsonType(value))
  into.set(at, types)
  if (Array.isArray(value)) {
    for (const item of value) shapeOf(item, into, `${at}[]`)
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) shapeOf(item, into, `${at}/${collapseKey(key)}`)
  }
  return into
}

/** Merges shapes (the union of paths and types). */
export function mergeShapes(shapes: Iterable<Shape>): Shape {
  const out: Shape = new Map()
  for (const shape of shapes) {
    for (const [key, types] of shape) {
      const merged = out.get(key) ?? new Set<JsonType>()
      for (const type of types) merged.add(type)
      out.set(key, merged)
    }
  }
  return out
}

/** The paths present in every one of the shapes. */
export function commonPaths(shapes: readonly Shape[]): Set<string> {
  const [first, ...rest] = shapes
  if (!first) return new Set()
  return new Set([...first.keys()].filter((key) => rest.every((shape) => shape.has(key))))
}

/**
 * Holds records (the elements of a list answer, or a single object) against captured ones:
 * every path and type the simulator emits must occur in the capture (paths under an array
 * the capture only ever showed empty are free), and every path the capture has in all of
 * its records (a single record, or a list of at least 10) must be in every simulated record.
 * Returns the differences found.
 */
export function shapeDifferences(simRecords: readonly unknown[], capturedRecords: readonly unknown[]): string[] {
  const captured = capturedRecords.map((record) => shapeOf(record))
  const union = mergeShapes(captured)
  // "Present in every captured record" only means "always present" for a single record or a
  // list long enough to hold every kind of device; a 2-record excerpt is checked by union only.
  const required = captured.length === 1 || captured.length >= 10 ? commonPaths(captured) : new Set<string>()
  const problems: string[] = []
  const freeUnder = (pathName: string): boolean => {
    // path under "x[]" where the capture has "x" as an array but never an element
    let at = pathName.indexOf('[]')
    while (at >= 0) {
      const arrayPath = pathName.slice(0, at)
      if (union.get(arrayPath)?.has('array') && !union.has(`${arrayPath}[]`)) return true
      at = pathName.indexOf('[]', at + 2)
    }
    return false
  }
  simRecords.forEach((record, index) => {
    const shape = shapeOf(record)
    for (const [pathName, types] of shape) {
      const expected = union.get(pathName)
      if (!expected) {
        if (!freeUnder(pathName)) problems.push(`record ${index}: unexpected path ${pathName || '(root)'}`)
        continue
      }
      for (const type of types) if (!expected.has(type)) problems.push(`record ${index}: ${pathName || '(root)'} is ${type}, captured ${[...expected].join('|')}`)
    }
    for (const pathName of required) if (!shape.has(pathName)) problems.push(`record ${index}: missing ${pathName || '(root)'}`)
  })
  return [...new Set(problems)].slice(0, 40)
}
