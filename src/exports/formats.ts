// Device tables as downloads: CSV, GeoJSON and KML, each produced as a sequence of text
// chunks (a few hundred devices each) so that a table of 50,000 devices is streamed, never
// built as one string. Every row names its sensor: a device is identified by sensor and key.
//
// Everything from the air (SSIDs, names, manufacturers) is data: CSV quotes it (RFC 4180)
// and keeps spreadsheets from reading a text cell as a formula; KML escapes it and replaces
// the characters XML 1.0 cannot hold; GeoJSON is JSON.stringify's.
import type { WifiDevice } from '../events.js'

export interface ExportRow {
  sensor: string
  device: WifiDevice
}

export const EXPORT_FORMATS = ['json', 'csv', 'geojson', 'kml'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

/** Devices per chunk: large enough that the per-chunk cost vanishes, small enough to stay a few hundred KB. */
export const ROWS_PER_CHUNK = 500

function* chunked(rows: Iterable<ExportRow>, head: string, row: (r: ExportRow, first: boolean) => string | undefined, tail: string): Generator<string> {
  let chunk = head
  let inChunk = 0
  let first = true
  for (const r of rows) {
    const text = row(r, first)
    if (text === undefined) continue
    first = false
    chunk += text
    if (++inChunk === ROWS_PER_CHUNK) {
      yield chunk
      chunk = ''
      inChunk = 0
    }
  }
  yield chunk + tail
}

// ---------------------------------------------------------------------------------------
// CSV

export const CSV_COLUMNS = [
  'sensor', 'key', 'mac', 'name', 'ssid', 'type', 'manufacturer', 'channel', 'frequency', 'signal', 'encryption',
  'firstSeen', 'lastSeen', 'packets', 'dataBytes', 'clients', 'bssid', 'lat', 'lon', 'alt', 'fix',
] as const

/** A cell a spreadsheet would take for a formula (OWASP's list) gets a leading apostrophe. */
const FORMULA_START = /^[=+\-@\t\r]/

const NEEDS_QUOTES = /[",\r\n]/

/** One CSV field (RFC 4180): quoted when it holds a comma, a quote, CR or LF; quotes doubled. */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'number') return String(value)
  return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value
}

/** A text field from the air: as csvField, and never a formula. */
function csvText(value: string | null): string {
  if (value === null) return ''
  return csvField(FORMULA_START.test(value) ? `'${value}` : value)
}

const DAY_MS = 86_400_000
const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n))
let isoDay = Number.NaN
let isoDayPrefix = ''

/**
 * Date#toISOString, about ten times faster (it costs some 1.7 µs, and an export calls it
 * twice per device): the date part is computed once per day, the time of day by arithmetic.
 */
export function iso(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0 || ms >= 253_402_300_800_000) return new Date(ms).toISOString()
  const day = Math.floor(ms / DAY_MS)
  if (day !== isoDay) {
    isoDay = day
    isoDayPrefix = new Date(day * DAY_MS).toISOString().slice(0, 11)
  }
  const inDay = ms - day * DAY_MS
  const millis = inDay % 1000
  const seconds = Math.floor(inDay / 1000)
  return `${isoDayPrefix}${pad2(Math.floor(seconds / 3600))}:${pad2(Math.floor(seconds / 60) % 60)}:${pad2(seconds % 60)}.${millis < 10 ? '00' : millis < 100 ? '0' : ''}${Math.floor(millis)}Z`
}

// One concatenation per row (an array and a join per row cost twice as much at 50,000 rows).
function csvRow({ sensor, device: d }: ExportRow): string {
  const l = d.location
  return (
    csvField(sensor) + ',' + csvField(d.key) + ',' + d.mac + ',' + csvText(d.name) + ',' + csvText(d.ssid) + ',' + d.type + ',' + csvText(d.manufacturer) + ',' +
    csvField(d.channel) + ',' + csvField(d.frequency) + ',' + csvField(d.signal) + ',' + csvText(d.encryption) + ',' +
    iso(d.firstSeen) + ',' + iso(d.lastSeen) + ',' + d.packets + ',' + d.dataBytes + ',' + csvField(d.clients) + ',' + csvField(d.bssid) + ',' +
    (l ? `${l.lat},${l.lon},${csvField(l.alt)},${l.fix}` : ',,,') +
    '\r\n'
  )
}

/** CSV with a header row; times in ISO 8601 (UTC), lines ended by CRLF. */
export function csvChunks(rows: Iterable<ExportRow>): Generator<string> {
  return chunked(rows, `${CSV_COLUMNS.join(',')}\r\n`, (r) => csvRow(r), '')
}

// ---------------------------------------------------------------------------------------
// GeoJSON (RFC 7946)

/** A FeatureCollection of the geolocated devices: a Point [lon, lat(, alt)] each, the device's other fields as properties. */
export function geojsonChunks(rows: Iterable<ExportRow>): Generator<string> {
  return chunked(
    rows,
    '{"type":"FeatureCollection","features":[',
    ({ sensor, device }, first) => {
      const { location, ...properties } = device
      if (!location) return undefined
      const coordinates = location.alt === undefined ? [location.lon, location.lat] : [location.lon, location.lat, location.alt]
      const feature = { type: 'Feature', id: `${sensor}/${device.key}`, geometry: { type: 'Point', coordinates }, properties: { sensor, ...properties, fix: location.fix } }
      return (first ? '' : ',') + JSON.stringify(feature)
    },
    ']}',
  )
}

// ---------------------------------------------------------------------------------------
// KML 2.2

/** Characters XML 1.0 cannot carry at all (not even as references), lone surrogates included. */
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu

/** Text for an XML element or attribute: escaped, and what XML cannot hold replaced by U+FFFD. */
export function xmlText(value: string): string {
  return value
    .replace(NOT_XML, '\uFFFD')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;')
    // A parser turns a literal CR (and CRLF) into LF; a reference survives.
    .replaceAll('\r', '&#13;')
}

const KML_FIELDS = ['key', 'mac', 'ssid', 'type', 'manufacturer', 'channel', 'frequency', 'signal', 'encryption', 'packets', 'dataBytes', 'clients', 'bssid'] as const

function kmlPlacemark({ sensor, device }: ExportRow): string | undefined {
  const location = device.location
  if (!location) return undefined
  const data = [['sensor', sensor] as const, ...KML_FIELDS.map((field) => [field, device[field]] as const), ['firstSeen', iso(device.firstSeen)] as const, ['lastSeen', iso(device.lastSeen)] as const, ['fix', location.fix] as const]
    .filter(([, value]) => value !== null && value !== undefined)
    .map(([name, value]) => `<Data name="${name}"><value>${xmlText(String(value))}</value></Data>`)
    .join('')
  const coordinates = `${location.lon},${location.lat}${location.alt === undefined ? '' : `,${location.alt}`}`
  return (
    `<Placemark id="${xmlText(`${sensor}/${device.key}`)}"><name>${xmlText(device.ssid || device.name)}</name>` +
    `<TimeStamp><when>${iso(device.lastSeen)}</when></TimeStamp><ExtendedData>${data}</ExtendedData>` +
    `<Point><coordinates>${coordinates}</coordinates></Point></Placemark>\n`
  )
}

/** A KML document of the geolocated devices: a Placemark each, named by SSID (or name), its fields as ExtendedData. */
export function kmlChunks(rows: Iterable<ExportRow>): Generator<string> {
  return chunked(
    rows,
    '<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>kismet-ws devices</name>\n',
    (r) => kmlPlacemark(r),
    '</Document></kml>\n',
  )
}

export const EXPORT_CONTENT_TYPES: Record<Exclude<ExportFormat, 'json'>, string> = {
  csv: 'text/csv; charset=utf-8',
  geojson: 'application/geo+json; charset=utf-8',
  kml: 'application/vnd.google-earth.kml+xml; charset=utf-8',
}

export function exportChunks(format: Exclude<ExportFormat, 'json'>, rows: Iterable<ExportRow>): Generator<string> {
  switch (format) {
    case 'csv':
      return csvChunks(rows)
    case 'geojson':
      return geojsonChunks(rows)
    case 'kml':
      return kmlChunks(rows)
  }
}

/** `kismet-devices-20261201T095123Z.csv` */
export function exportFileName(format: Exclude<ExportFormat, 'json'>, nowMs: number): string {
  const stamp = new Date(nowMs).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
  return `kismet-devices-${stamp}.${format}`
}
