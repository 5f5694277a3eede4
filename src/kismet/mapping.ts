// Kismet records -> the client-facing shapes of SPEC section 3 (WifiDevice, Alert), and the
// status and datasource records the poller reads, checked and normalised.
//
// Input is `unknown` on purpose: it comes straight from JSON.parse of a Kismet answer. Each
// function checks what it relies on and throws a MappingError for a record it cannot map
// honestly (no key, no MAC, times that are not numbers, a sub-record of the wrong type),
// so one bad record can be skipped and counted instead of becoming garbage downstream.
// Kismet's placeholder for an absent sub-record or unknown path is the number 0
// (KISMET-API.md 2.2): those become null. Strings seen over the air (SSIDs, names,
// alert text) are carried as data, never interpreted.
import type { Alert, DeviceType, Location, WifiDevice } from '../events.js'
import type { KismetDatasource, KismetSystemStatus } from './wire.js'

/** A record that cannot be mapped. `field` names the offending key; the record itself is not kept. */
export class MappingError extends Error {
  override readonly name = 'MappingError'
  readonly field: string

  constructor(field: string, problem: string) {
    super(`${field}: ${problem}`)
    this.field = field
  }
}

export function isMappingError(error: unknown): error is MappingError {
  return error instanceof MappingError
}

type KismetObject = Record<string, unknown>

const MAC_RE = /^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}$/
const ZERO_MAC = '00:00:00:00:00:00'
const BROADCAST_MAC = 'FF:FF:FF:FF:FF:FF'

function isObject(value: unknown): value is KismetObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** A short description of a value for error messages (never the value itself: it may be huge or from the air). */
function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'string') return value === '' ? 'an empty string' : 'a string'
  if (typeof value === 'number') return Number.isFinite(value) ? `the number ${value}` : 'a non-finite number'
  return typeof value === 'object' ? 'an object' : typeof value
}

// The keys asked for are Kismet's dotted field names, none of which Object.prototype has, so
// a plain read is an own-property read (and costs a fraction of hasOwnProperty's call).
function field(record: KismetObject, key: string): unknown {
  return record[key]
}

function requireString(record: KismetObject, key: string): string {
  const value = field(record, key)
  if (typeof value !== 'string' || value === '') throw new MappingError(key, `expected a non-empty string, got ${describe(value)}`)
  return value
}

function requireNumber(record: KismetObject, key: string, { min = 0 }: { min?: number } = {}): number {
  const value = field(record, key)
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new MappingError(key, `expected a number, got ${describe(value)}`)
  if (value < min) throw new MappingError(key, `expected a number >= ${min}, got ${value}`)
  return value
}

/** A numeric field Kismet may leave out: absent -> fallback; present but not a finite number -> MappingError. */
function optionalNumber(record: KismetObject, key: string, fallback: number): number {
  const value = field(record, key)
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new MappingError(key, `expected a number, got ${describe(value)}`)
  return value
}

/** A string field that Kismet answers with 0 when absent: string -> itself, 0/absent/null -> null, anything else -> MappingError. */
function optionalString(record: KismetObject, key: string): string | null {
  const value = field(record, key)
  if (typeof value === 'string') return value
  if (value === 0 || value === undefined || value === null) return null
  throw new MappingError(key, `expected a string or 0, got ${describe(value)}`)
}

function requireMac(record: KismetObject, key: string): string {
  const value = requireString(record, key)
  if (!MAC_RE.test(value)) throw new MappingError(key, 'expected a MAC address AA:BB:CC:DD:EE:FF')
  return value.toUpperCase()
}

/** A MAC that may be absent: a well-formed MAC other than 00:00:00:00:00:00, upper-cased, else null. */
function optionalMac(value: unknown): string | null {
  if (typeof value !== 'string' || !MAC_RE.test(value)) return null
  const mac = value.toUpperCase()
  return mac === ZERO_MAC ? null : mac
}

// ---------------------------------------------------------------------------------------
// Devices

/** Kismet's type string -> our device type (SPEC 3). Kismet's set is open; unknown strings are 'Unknown'. */
export function deviceTypeOf(kismetType: unknown): DeviceType {
  if (typeof kismetType !== 'string') return 'Unknown'
  switch (kismetType) {
    case 'Wi-Fi AP':
      return 'AP'
    case 'Wi-Fi Client':
      return 'Client'
    case 'Wi-Fi Bridged':
      return 'Bridged'
    case 'Wi-Fi Ad-Hoc':
      return 'Ad-Hoc'
  }
  if (kismetType.startsWith('Wi-Fi WDS')) return 'WDS'
  if (kismetType.startsWith('Wi-Fi Device')) return 'Device'
  return 'Unknown'
}

/** Kismet's channel string ("6", "36", "6HT40+", "11W5") -> the primary channel number; "", 0, "unknown" -> null. */
export function parseChannel(channel: unknown): number | null {
  if (typeof channel === 'number') return Number.isInteger(channel) && channel > 0 ? channel : null
  if (typeof channel !== 'string') return null
  const match = /^\s*(\d{1,4})/.exec(channel)
  if (!match?.[1]) return null
  const n = Number.parseInt(match[1], 10)
  return n > 0 ? n : null
}

/** Kismet's location triplet -> { lat, lon, alt?, fix }, or null for 0, [0,0] or a fix below 2. */
export function toLocation(triplet: unknown, key = 'location'): Location | null {
  if (triplet === 0 || triplet === undefined || triplet === null) return null
  if (!isObject(triplet)) throw new MappingError(key, `expected a location object or 0, got ${describe(triplet)}`)
  const geopoint = field(triplet, 'kismet.common.location.geopoint')
  if (geopoint === undefined || geopoint === 0) return null
  if (
    !Array.isArray(geopoint) ||
    geopoint.length < 2 ||
    typeof geopoint[0] !== 'number' ||
    typeof geopoint[1] !== 'number' ||
    !Number.isFinite(geopoint[0]) ||
    !Number.isFinite(geopoint[1])
  ) {
    throw new MappingError(`${key}.geopoint`, `expected [lon, lat], got ${describe(geopoint)}`)
  }
  const [lon, lat] = geopoint as [number, number]
  if (lon === 0 && lat === 0) return null
  // A position off the globe is no position; the rest of the record is still good.
  if (lat < -90 || lat > 90 || lon < -180 || lon > 180) return null
  // Kismet's fix: 0/1 none, 2 = 2D, 3 = 3D. A triplet without a fix key but with a real
  // position is taken as 2D: the position is there, its quality is not stated.
  const fix = optionalNumber(triplet, 'kismet.common.location.fix', 2)
  if (fix < 2) return null
  const location: Location = { lat, lon, fix }
  const alt = field(triplet, 'kismet.common.location.alt')
  if (alt !== undefined) {
    if (typeof alt !== 'number' || !Number.isFinite(alt)) throw new MappingError(`${key}.alt`, `expected a number, got ${describe(alt)}`)
    location.alt = alt
  }
  return location
}

/**
 * A device record in the DEVICE_FIELDS shape (src/kismet/wire.ts) -> WifiDevice.
 * Throws MappingError when the record is not an object, has no key, no valid MAC, or times
 * and counters that are not numbers.
 */
export function toWifiDevice(record: unknown): WifiDevice {
  if (!isObject(record)) throw new MappingError('record', `expected an object, got ${describe(record)}`)

  const key = requireString(record, 'kismet.device.base.key')
  const mac = requireMac(record, 'kismet.device.base.macaddr')
  // Kismet always names the PHY; a record without one is still a device of an unknown PHY.
  const phy = optionalString(record, 'kismet.device.base.phyname') || 'unknown'
  const type = deviceTypeOf(field(record, 'kismet.device.base.type'))
  const commonname = optionalString(record, 'kismet.device.base.commonname')
  const firstSec = requireNumber(record, 'kismet.device.base.first_time')
  const lastSec = requireNumber(record, 'kismet.device.base.last_time')

  const manuf = optionalString(record, 'kismet.device.base.manuf')
  const crypt = optionalString(record, 'kismet.device.base.crypt')
  const channelValue = field(record, 'kismet.device.base.channel')
  if (channelValue !== undefined && typeof channelValue !== 'string' && typeof channelValue !== 'number') {
    throw new MappingError('kismet.device.base.channel', `expected a string or 0, got ${describe(channelValue)}`)
  }
  const frequencyKhz = optionalNumber(record, 'kismet.device.base.frequency', 0)
  const signal = optionalNumber(record, 'signal.last', 0)

  const beaconedSsid = optionalString(record, 'dot11.ssid')
  // A wildcard probe ("any network") has an empty SSID: that is no SSID for a client.
  const probedSsid = optionalString(record, 'dot11.probed_ssid') || null
  let ssid: string | null
  switch (type) {
    case 'AP':
    case 'Ad-Hoc':
    case 'WDS':
      ssid = beaconedSsid
      break
    case 'Client':
      ssid = probedSsid
      break
    default:
      ssid = beaconedSsid ?? probedSsid
  }

  const device: WifiDevice = {
    key,
    mac,
    phy,
    name: commonname || mac,
    ssid,
    type,
    manufacturer: manuf === null || manuf === '' || manuf === 'Unknown' ? null : manuf,
    channel: parseChannel(channelValue),
    frequency: frequencyKhz > 0 ? frequencyKhz / 1000 : null,
    signal: signal === 0 ? null : signal,
    encryption: crypt === null || crypt === '' ? null : crypt,
    firstSeen: firstSec * 1000,
    lastSeen: lastSec * 1000,
    packets: optionalNumber(record, 'kismet.device.base.packets.total', 0),
    dataBytes: optionalNumber(record, 'kismet.device.base.datasize', 0),
  }
  if (type === 'AP') device.clients = optionalNumber(record, 'dot11.clients', 0)
  if (type === 'Client') device.bssid = optionalMac(field(record, 'dot11.bssid'))
  device.location = bestLocation(field(record, 'location.peak'), field(record, 'location.avg'), field(record, 'location.last'))
  return device
}

/**
 * Where a device is best placed on a map: where its signal was strongest (`signal/peak_loc`),
 * else the average of the positions it was heard at (`location/avg_loc`), else the last one
 * (`location/last`); each counts only with a fix of 2 or more and a position other than
 * [0, 0]. Kismet's master build keeps a `peak_loc` of [0, 0] with fix 0 for a device whose
 * strongest signal came before the GPS had a fix, even when its other locations are good
 * (fixtures gps/), so each candidate is checked, not only its presence. Every position is
 * the sensor's when it heard the device, not the device's own.
 */
export function bestLocation(peak: unknown, average: unknown, last: unknown): Location | null {
  return toLocation(peak, 'location.peak') ?? toLocation(average, 'location.avg') ?? toLocation(last, 'location.last')
}

// ---------------------------------------------------------------------------------------
// Alerts

/** Kismet severity (0 INFO, 5 LOW, 10 MEDIUM, 15 HIGH, 20 CRITICAL) -> our three buckets; other values go to the nearest. */
export function severityOf(severity: number): Alert['severity'] {
  if (severity < 7.5) return 'low'
  if (severity < 12.5) return 'medium'
  return 'high'
}

/** Kismet's placeholder device keys: '', '0', '00_0' (no device linked). */
function realDeviceKey(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  const key = value.trim()
  if (key === '' || /^0+(?:_0+)?$/.test(key)) return undefined
  return value
}

/** A MAC usable to name an alert's device: not 00:00:00:00:00:00, not broadcast. */
function alertMac(value: unknown): string | undefined {
  const mac = optionalMac(value)
  return mac === null || mac === BROADCAST_MAC ? undefined : mac
}

/**
 * A Kismet alert record (`kismet.alert.*`, full or simplified) -> Alert.
 * Throws MappingError when the record has no usable hash, header or timestamp.
 */
export function toAlert(record: unknown): Alert {
  if (!isObject(record)) throw new MappingError('record', `expected an object, got ${describe(record)}`)

  const hash = field(record, 'kismet.alert.hash')
  let id: string
  if (typeof hash === 'number' && Number.isInteger(hash) && hash >= 0) id = String(hash)
  else if (typeof hash === 'string' && /^\d+$/.test(hash)) id = hash
  else throw new MappingError('kismet.alert.hash', `expected a non-negative integer, got ${describe(hash)}`)

  const timestampSec = requireNumber(record, 'kismet.alert.timestamp')
  if (timestampSec === 0) throw new MappingError('kismet.alert.timestamp', 'expected a time, got 0')
  const header = requireString(record, 'kismet.alert.header')
  // `class` and `severity` exist since 2021-05-R1; older servers leave them out.
  const alertClass = optionalString(record, 'kismet.alert.class') ?? ''
  const severity = optionalNumber(record, 'kismet.alert.severity', 0)
  const text = optionalString(record, 'kismet.alert.text') ?? ''

  const alert: Alert = {
    id,
    type: 'kismet',
    timestamp: Math.round(timestampSec * 1000),
    severity: severityOf(severity),
    message: text,
    header,
    class: alertClass,
    read: false,
  }
  const deviceKey = realDeviceKey(field(record, 'kismet.alert.device_key'))
  if (deviceKey !== undefined) alert.deviceKey = deviceKey
  const mac = alertMac(field(record, 'kismet.alert.transmitter_mac')) ?? alertMac(field(record, 'kismet.alert.source_mac'))
  if (mac !== undefined) alert.mac = mac
  return alert
}

// ---------------------------------------------------------------------------------------
// System status and datasources

/** A finite number, else 0 (Kismet's placeholder); `required` turns a missing one into a MappingError. */
function numberOr0(record: KismetObject, key: string, required = false): number {
  const value = field(record, key)
  if (typeof value === 'number' && Number.isFinite(value)) return value
  if (required) throw new MappingError(key, `expected a number, got ${describe(value)}`)
  return value === true ? 1 : 0
}

function stringOrEmpty(record: KismetObject, key: string): string {
  const value = field(record, key)
  return typeof value === 'string' ? value : ''
}

/** `/system/status.json` answered for STATUS_FIELDS -> KismetSystemStatus; the clock and start time are required. */
export function toSystemStatus(value: unknown): KismetSystemStatus {
  if (!isObject(value)) throw new MappingError('status', `expected an object, got ${describe(value)}`)
  return {
    'kismet.system.version': stringOrEmpty(value, 'kismet.system.version'),
    'kismet.system.git': stringOrEmpty(value, 'kismet.system.git'),
    'kismet.system.timestamp.sec': numberOr0(value, 'kismet.system.timestamp.sec', true),
    'kismet.system.timestamp.usec': numberOr0(value, 'kismet.system.timestamp.usec'),
    'kismet.system.timestamp.start_sec': numberOr0(value, 'kismet.system.timestamp.start_sec', true),
    'kismet.system.devices.count': numberOr0(value, 'kismet.system.devices.count'),
    'kismet.system.memory.rss': numberOr0(value, 'kismet.system.memory.rss'),
    'kismet.system.battery.percentage': numberOr0(value, 'kismet.system.battery.percentage'),
    'kismet.system.battery.ac': numberOr0(value, 'kismet.system.battery.ac'),
    'kismet.server.uuid': stringOrEmpty(value, 'kismet.server.uuid'),
  }
}

/** One `/datasource/all_sources.json` record for DATASOURCE_FIELDS -> KismetDatasource; the uuid is required. */
export function toDatasource(record: unknown): KismetDatasource {
  if (!isObject(record)) throw new MappingError('datasource', `expected an object, got ${describe(record)}`)
  if (typeof field(record, 'kismet.datasource.uuid') !== 'string') throw new MappingError('kismet.datasource.uuid', 'the datasource has no uuid')
  return {
    'kismet.datasource.uuid': stringOrEmpty(record, 'kismet.datasource.uuid'),
    'kismet.datasource.name': stringOrEmpty(record, 'kismet.datasource.name'),
    'kismet.datasource.interface': stringOrEmpty(record, 'kismet.datasource.interface'),
    'kismet.datasource.running': numberOr0(record, 'kismet.datasource.running'),
    'kismet.datasource.paused': numberOr0(record, 'kismet.datasource.paused'),
    'kismet.datasource.error': numberOr0(record, 'kismet.datasource.error'),
    'kismet.datasource.error_reason': stringOrEmpty(record, 'kismet.datasource.error_reason'),
    'kismet.datasource.hopping': numberOr0(record, 'kismet.datasource.hopping'),
    'kismet.datasource.channel': stringOrEmpty(record, 'kismet.datasource.channel'),
    'kismet.datasource.hop_rate': numberOr0(record, 'kismet.datasource.hop_rate'),
    'kismet.datasource.num_packets': numberOr0(record, 'kismet.datasource.num_packets'),
  }
}
