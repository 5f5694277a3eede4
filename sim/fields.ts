// Kismet's `fields` simplification (KISMET-API.md 2.2, fixtures *.fields.json): each entry
// is a path of flat dotted keys separated by '/', or [path, alias]; the output key is the
// alias or the last path segment; a path that does not resolve gives the number 0.
//
// For devices the common paths are answered straight from the SimDevice (FAST_DEVICE_FIELDS)
// so a poll for a few fields never builds 12 kB records; any other path falls back to
// resolving over the full rendered record, which is then built once for that device.
import {
  hasSignal,
  lastBssid,
  locationRecord,
  maxSignal,
  minSignal,
  peakLocationRecord,
} from './device-values.js'
import { renderDevice, signalHasPeak, type DeviceRenderContext } from './render-device.js'
import { isJsonObject, type JsonObject, type JsonValue } from './json.js'
import type { DeviceEntry } from './store.js'
import type { FieldSpec } from '../src/kismet/wire.js'

export type { FieldSpec }

export type ParsedFields =
  | { ok: true; fields: FieldSpec[] | null }
  | { ok: false; reason: string }

/** `fields` from a command dictionary: null when absent (full records). */
export function parseFields(command: JsonObject | null): ParsedFields {
  if (command === null || !Object.prototype.hasOwnProperty.call(command, 'fields')) return { ok: true, fields: null }
  const value = command['fields']
  if (!Array.isArray(value)) return { ok: false, reason: 'Invalid fields list, expected an array' }
  const fields: FieldSpec[] = []
  for (const item of value) {
    if (typeof item === 'string') fields.push(item)
    else if (Array.isArray(item) && item.length === 1 && typeof item[0] === 'string') fields.push(item[0])
    else if (Array.isArray(item) && item.length === 2 && typeof item[0] === 'string' && typeof item[1] === 'string') {
      fields.push([item[0], item[1]])
    } else return { ok: false, reason: 'Invalid field specification, expected a path or [path, name]' }
  }
  return { ok: true, fields }
}

export function fieldPath(spec: FieldSpec): string {
  return typeof spec === 'string' ? spec : spec[0]
}

/** The output key: the alias, or the last path segment. */
export function fieldName(spec: FieldSpec): string {
  if (typeof spec !== 'string') return spec[1]
  const segments = spec.split('/')
  return segments[segments.length - 1] ?? spec
}

/**
 * The value at a `/`-separated path of flat dotted keys (never split on `.`), or Kismet's
 * placeholder 0 when any segment is missing or passes through a non-object.
 */
export function resolvePath(record: JsonValue, path: string): JsonValue {
  let node: JsonValue | undefined = record
  for (const segment of path.split('/')) {
    if (!isJsonObject(node)) return 0
    if (!Object.prototype.hasOwnProperty.call(node, segment)) return 0
    node = node[segment]
  }
  return node === undefined ? 0 : node
}

/** Every value a path reaches when arrays on the way are expanded (regex filters test them all). */
export function resolveAll(record: JsonValue, path: string): JsonValue[] {
  let nodes: JsonValue[] = [record]
  for (const segment of path.split('/')) {
    const next: JsonValue[] = []
    for (const node of nodes) {
      const candidates = Array.isArray(node) ? node : [node]
      for (const candidate of candidates) {
        if (isJsonObject(candidate) && Object.prototype.hasOwnProperty.call(candidate, segment)) next.push(candidate[segment] as JsonValue)
      }
    }
    nodes = next
  }
  return nodes.flatMap((node) => (Array.isArray(node) ? node : [node]))
}

/**
 * A record simplified to `fields`, keyed like Kismet keys its answer (unknown paths give 0):
 * alerts, datasources, status and fixtures' full records, resolved directly.
 */
export function simplifyRecord(record: JsonValue, fields: readonly FieldSpec[]): JsonObject {
  const out: JsonObject = {}
  for (const spec of fields) out[fieldName(spec)] = resolvePath(record, fieldPath(spec))
  return out
}

type DeviceGetter = (entry: DeviceEntry, ctx: DeviceRenderContext) => JsonValue

const SIGNAL = 'kismet.device.base.signal/kismet.common.signal.'
const LOCATION = 'kismet.device.base.location/kismet.common.location.'

function locationPart(entry: DeviceEntry, part: 'avg_loc' | 'last' | 'min_loc' | 'max_loc'): JsonValue {
  return locationRecord(entry)?.[`kismet.common.location.${part}`] ?? 0
}

function geopoint(entry: DeviceEntry): JsonValue {
  const location = entry.device.location
  return location === null ? 0 : [location.lon, location.lat]
}

function peakLocation(entry: DeviceEntry, ctx: DeviceRenderContext): JsonValue {
  return hasSignal(entry.device) && signalHasPeak(ctx.profile, entry.device) ? peakLocationRecord(entry) : 0
}

/**
 * Paths answered straight from the device state: everything this service and the fixtures
 * ask for. Each must give exactly what resolvePath() gives over renderDevice() (checked by
 * test/sim/fields.test.ts for every entry).
 */
export const FAST_DEVICE_FIELDS: ReadonlyMap<string, DeviceGetter> = new Map<string, DeviceGetter>([
  ['kismet.device.base.key', (e) => e.device.key],
  ['kismet.device.base.macaddr', (e) => e.device.mac],
  ['kismet.device.base.name', (e) => e.device.name],
  ['kismet.device.base.commonname', (e) => e.device.commonname],
  ['kismet.device.base.type', (e) => e.device.type],
  ['kismet.device.base.phyname', (e) => e.device.phyname],
  ['kismet.device.base.manuf', (e) => e.device.manuf],
  ['kismet.device.base.channel', (e) => e.device.channel],
  ['kismet.device.base.frequency', (e) => e.device.frequency],
  ['kismet.device.base.crypt', (e) => e.device.crypt],
  ['kismet.device.base.first_time', (e) => e.device.firstTime],
  ['kismet.device.base.last_time', (e) => e.device.lastTime],
  ['kismet.device.base.mod_time', (e) => e.device.modTime],
  ['kismet.device.base.packets.total', (e) => e.device.packets],
  ['kismet.device.base.datasize', (e) => e.device.dataBytes],
  ['kismet.device.base.num_alerts', () => 0],
  ['kismet.server.uuid', (_e, ctx) => ctx.serverUuid],
  [`${SIGNAL}last_signal`, (e) => (hasSignal(e.device) ? e.device.signal : 0)],
  [`${SIGNAL}min_signal`, (e) => minSignal(e)],
  [`${SIGNAL}max_signal`, (e) => maxSignal(e)],
  [`${SIGNAL}peak_loc`, (e, ctx) => peakLocation(e, ctx)],
  [`${LOCATION}loc_fix`, (e) => e.device.location?.fix ?? 0],
  [`${LOCATION}avg_loc`, (e) => locationPart(e, 'avg_loc')],
  [`${LOCATION}last`, (e) => locationPart(e, 'last')],
  [`${LOCATION}min_loc`, (e) => locationPart(e, 'min_loc')],
  [`${LOCATION}max_loc`, (e) => locationPart(e, 'max_loc')],
  [`${LOCATION}avg_loc/kismet.common.location.geopoint`, (e) => geopoint(e)],
  [`${LOCATION}last/kismet.common.location.geopoint`, (e) => geopoint(e)],
  ['dot11.device/dot11.device.last_beaconed_ssid_record/dot11.advertisedssid.ssid', (e) => e.device.ssid ?? 0],
  ['dot11.device/dot11.device.last_probed_ssid_record/dot11.probedssid.ssid', (e) => e.device.probedSsid ?? 0],
  ['dot11.device/dot11.device.num_associated_clients', (e) => e.device.clients],
  ['dot11.device/dot11.device.last_bssid', (e) => lastBssid(e.device)],
])

interface CompiledField {
  /** `"name":` ready to concatenate. */
  prefix: string
  name: string
  path: string
  fast: DeviceGetter | undefined
}

/**
 * A `fields` list compiled for devices: output keys deduplicated the way a JSON object
 * would (the later value wins, the first position stays), a getter per key.
 */
export class DeviceFieldWriter {
  readonly #fields: CompiledField[]
  readonly #ctx: DeviceRenderContext
  readonly needsFullRecord: boolean

  constructor(fields: readonly FieldSpec[], ctx: DeviceRenderContext) {
    const byName = new Map<string, CompiledField>()
    for (const spec of fields) {
      const name = fieldName(spec)
      const path = fieldPath(spec)
      byName.set(name, { prefix: `${JSON.stringify(name)}:`, name, path, fast: FAST_DEVICE_FIELDS.get(path) })
    }
    this.#fields = [...byName.values()]
    this.#ctx = ctx
    this.needsFullRecord = this.#fields.some((field) => field.fast === undefined)
  }

  #values(entry: DeviceEntry): JsonValue[] {
    let full: JsonObject | undefined
    return this.#fields.map((field) => {
      if (field.fast) return field.fast(entry, this.#ctx)
      full ??= renderDevice(entry, this.#ctx)
      return resolvePath(full, field.path)
    })
  }

  object(entry: DeviceEntry): JsonObject {
    const values = this.#values(entry)
    const out: JsonObject = {}
    this.#fields.forEach((field, i) => {
      out[field.name] = values[i] as JsonValue
    })
    return out
  }

  /** The simplified record as JSON text, without building an intermediate object. */
  json(entry: DeviceEntry): string {
    const values = this.#values(entry)
    let out = '{'
    for (let i = 0; i < this.#fields.length; i++) {
      if (i > 0) out += ','
      out += (this.#fields[i] as CompiledField).prefix + JSON.stringify(values[i])
    }
    return `${out}}`
  }
}

/** One device value by path: fast when possible, else over the full record (sorting, regex). */
export function deviceValue(entry: DeviceEntry, path: string, ctx: DeviceRenderContext, full?: () => JsonObject): JsonValue {
  const fast = FAST_DEVICE_FIELDS.get(path)
  if (fast) return fast(entry, ctx)
  return resolvePath(full ? full() : renderDevice(entry, ctx), path)
}
