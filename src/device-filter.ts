// Device filters (DeviceFilterSchema in events.ts): validation, the canonical form that
// decides which subscriptions share a room, a short stable id for room names, and the
// predicate. Used by the Socket.IO layer (filtered rooms) and the REST exports alike, so a
// filter means the same thing on a socket and in a download.
import { createHash } from 'node:crypto'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { DeviceFilterSchema, type Band, type DeviceFilter, type EncryptionClass, type WifiDevice } from './events.js'

const validFilter = TypeCompiler.Compile(DeviceFilterSchema)

export type ParsedFilter = { ok: true; filter: DeviceFilter | null } | { ok: false; message: string }

/** `AA-bb-cc` -> `AA:BB:CC`. */
export function normalizeMac(value: string): string {
  return value.toUpperCase().replaceAll('-', ':')
}

const sortedUnique = <T extends string | number>(values: readonly T[]): T[] =>
  [...new Set(values)].sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b))))

/**
 * A filter from a client (anything), checked against the schema and put in canonical form:
 * MACs and prefixes upper-case with `:`, the SSID lower-case, every list sorted without
 * repeats, fields in one order. Two filters that select the same devices this way are equal
 * as JSON. An empty filter is no filter (null).
 */
export function parseFilter(value: unknown): ParsedFilter {
  if (!validFilter.Check(value)) {
    const first = validFilter.Errors(value).First()
    const where = first?.path ? ` at ${first.path.slice(0, 40)}` : ''
    return { ok: false, message: `Invalid filter${where}: ${first?.message ?? 'not a filter'}; see DeviceFilter (macs, ouis, ssid, types, minSignal, bands, channels, encryption, randomized)` }
  }
  const f = value
  const filter: DeviceFilter = {}
  if (f.macs) filter.macs = sortedUnique(f.macs.map(normalizeMac))
  if (f.ouis) filter.ouis = sortedUnique(f.ouis.map(normalizeMac))
  if (f.ssid !== undefined) filter.ssid = f.ssid.toLowerCase()
  if (f.types) filter.types = sortedUnique(f.types)
  if (f.minSignal !== undefined) filter.minSignal = f.minSignal
  if (f.bands) filter.bands = sortedUnique(f.bands)
  if (f.channels) filter.channels = sortedUnique(f.channels)
  if (f.encryption) filter.encryption = sortedUnique(f.encryption)
  if (f.randomized !== undefined) filter.randomized = f.randomized
  return { ok: true, filter: Object.keys(filter).length === 0 ? null : filter }
}

/** The canonical filter as one string (parseFilter's output is already in field order). */
export function canonicalFilter(filter: DeviceFilter): string {
  return JSON.stringify(filter)
}

/**
 * A short id of a canonical filter for room names: 16 hex digits of its SHA-256 (64 bits).
 * Room names stay short whatever the filter, and the registry that maps ids back to filters
 * refuses a second filter with the same id rather than mixing their rooms.
 */
export function filterId(filter: DeviceFilter): string {
  return createHash('sha256').update(canonicalFilter(filter)).digest('hex').slice(0, 16)
}

/** The band of a frequency in MHz, or null outside the three Wi-Fi bands. */
export function bandOf(frequencyMhz: number | null): Band | null {
  if (frequencyMhz === null) return null
  if (frequencyMhz >= 2400 && frequencyMhz <= 2500) return '2.4'
  if (frequencyMhz >= 5150 && frequencyMhz <= 5895) return '5'
  if (frequencyMhz >= 5925 && frequencyMhz <= 7125) return '6'
  return null
}

/**
 * Kismet's crypt string classed: it starts with `Open`, `WEP`/`WEP40`/`WEP104`, or lists
 * `WPA`/`WPA1`/`WPA2`/`WPA3` and their key management (`WPA2-PSK`...), as Kismet's
 * crypt_to_simple_string writes it. Null for no string or one of none of these.
 */
export function encryptionClassOf(encryption: string | null): EncryptionClass | null {
  if (encryption === null) return null
  const first = encryption.split(' ', 1)[0] ?? ''
  if (first === 'Open') return 'open'
  if (first.startsWith('WEP')) return 'wep'
  const wpa = /\bWPA([123]?)\b/.exec(encryption)
  if (!wpa) return null
  return wpa[1] === '3' ? 'wpa3' : wpa[1] === '2' ? 'wpa2' : 'wpa'
}

/** A locally administered MAC (bit 1 of the first octet): what phones use when they randomise. */
export function isRandomizedMac(mac: string): boolean {
  const first = Number.parseInt(mac.slice(0, 2), 16)
  return (first & 0x02) !== 0
}

export type DevicePredicate = (device: WifiDevice) => boolean

/** The filter as a predicate; the cheap checks first. */
export function compileFilter(filter: DeviceFilter): DevicePredicate {
  const checks: DevicePredicate[] = []
  if (filter.types) {
    const types = new Set<string>(filter.types)
    checks.push((d) => types.has(d.type))
  }
  if (filter.minSignal !== undefined) {
    const min = filter.minSignal
    checks.push((d) => d.signal !== null && d.signal >= min)
  }
  if (filter.channels) {
    const channels = new Set(filter.channels)
    checks.push((d) => d.channel !== null && channels.has(d.channel))
  }
  if (filter.bands) {
    const bands = new Set<string>(filter.bands)
    checks.push((d) => {
      const band = bandOf(d.frequency)
      return band !== null && bands.has(band)
    })
  }
  if (filter.randomized !== undefined) {
    const wanted = filter.randomized
    checks.push((d) => isRandomizedMac(d.mac) === wanted)
  }
  if (filter.macs) {
    const macs = new Set(filter.macs)
    checks.push((d) => macs.has(d.mac))
  }
  if (filter.ouis) {
    const ouis = filter.ouis
    checks.push((d) => ouis.some((prefix) => d.mac.startsWith(prefix)))
  }
  if (filter.encryption) {
    const classes = new Set<string>(filter.encryption)
    checks.push((d) => {
      const cls = encryptionClassOf(d.encryption)
      return cls !== null && classes.has(cls)
    })
  }
  if (filter.ssid !== undefined) {
    const needle = filter.ssid
    checks.push((d) => d.ssid !== null && d.ssid.toLowerCase().includes(needle))
  }
  if (checks.length === 1) return checks[0]!
  return (device) => {
    for (const check of checks) if (!check(device)) return false
    return true
  }
}
