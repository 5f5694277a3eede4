// Cursor-on-Target events (plain XML, TAK protocol version 0, MITRE base event 2.0) for a
// Kismet device, the sensor itself, the delete of a marker and the stream keepalive
// (the MITRE CoT event schema and TAK's conventions for it). Bare `<event>` elements: no XML declaration,
// nothing after `</event>`, so one event is one datagram or one stream frame as it is.
import type { Location, WifiDevice } from '../events.js'
import { cleanText, element, text, type Xml } from './xml.js'

/** CoT's "unknown" for hae and le (MITRE guide wording; TAK clients also accept 999999). */
export const UNKNOWN = 9999999
/** Circular error of a device marker, metres: Kismet's position is the sensor's when it heard the device, which may be tens of metres away. Never 0 (exact). */
export const DEVICE_CE_M = 50
/** Circular error of the sensor's own marker: a GPS fix (3D, else 2D). */
export const SENSOR_CE_M = { fix3d: 10, fix2d: 30 }
/** A device's marker: a machine estimate fused from many GPS-tagged observations. */
export const DEVICE_HOW = 'm-f'
export const SENSOR_HOW = 'm-g'
export const MAX_CALLSIGN_CHARS = 40
export const MAX_REMARKS_CHARS = 400
/** An SSID inside the remarks (802.11 allows 32 bytes; Kismet may print more for odd bytes). */
const MAX_SSID_CHARS = 64
/** A delete is valid briefly: long enough to arrive, short enough to leave no trace. */
export const DELETE_STALE_MS = 20_000
export const PING_STALE_MS = 20_000

/** Kinds of device that beacon (their SSID names them); the others are clients of some sort. */
export const ACCESS_POINT_KINDS: ReadonlySet<WifiDevice['type']> = new Set(['AP', 'Ad-Hoc', 'WDS'])

/** ISO-8601 UTC with milliseconds and Z, as CoT wants its times. */
export function cotTime(ms: number): string {
  return new Date(ms).toISOString()
}

/** A decimal without exponent or trailing zeros (CoT's lat/lon are xs:decimal: `1e-7` is not one). */
export function decimal(value: number, places: number): string {
  const fixed = value.toFixed(places).replace(/\.?0+$/, '')
  return fixed === '-0' ? '0' : fixed
}

interface EventParts {
  uid: string
  type: string
  how: string
  time: number
  stale: number
  point: { lat: number; lon: number; ce: number; hae?: number; le?: number }
  detail?: readonly Xml[]
}

function event(parts: EventParts): string {
  const children = [
    element('point', {
      lat: decimal(parts.point.lat, 7),
      lon: decimal(parts.point.lon, 7),
      hae: parts.point.hae ?? UNKNOWN,
      ce: parts.point.ce,
      le: parts.point.le ?? UNKNOWN,
    }),
  ]
  if (parts.detail) children.push(element('detail', {}, parts.detail))
  return element(
    'event',
    { version: '2.0', uid: parts.uid, type: parts.type, how: parts.how, time: cotTime(parts.time), start: cotTime(parts.time), stale: cotTime(parts.stale) },
    children,
  )
}

/** The last three octets, which tell devices of one manufacturer apart on a map. */
function macTail(mac: string): string {
  return mac.slice(-8)
}

/** The map label: an access point's SSID, else the manufacturer and the MAC's tail, else the MAC (never more than MAX_CALLSIGN_CHARS). */
export function callsignOf(device: WifiDevice): string {
  const ssid = device.ssid === null ? '' : cleanText(device.ssid, MAX_SSID_CHARS).trim()
  if (ACCESS_POINT_KINDS.has(device.type) && ssid !== '') return cleanText(ssid, MAX_CALLSIGN_CHARS)
  if (device.manufacturer !== null) {
    const tail = macTail(device.mac)
    const room = MAX_CALLSIGN_CHARS - tail.length - 1
    const manufacturer = Array.from(cleanText(device.manufacturer, MAX_CALLSIGN_CHARS).trim()).slice(0, room).join('').trimEnd()
    if (manufacturer !== '') return `${manufacturer} ${tail}`
  }
  return device.mac
}

/** Seconds are enough for people reading a details pane. */
function shortTime(ms: number): string {
  return cotTime(ms).replace(/\.\d{3}Z$/, 'Z')
}

/** What the details pane says: MAC, kind, SSID, channel and MHz, encryption, signal, manufacturer, first and last heard, sensor. */
export function remarksOf(device: WifiDevice, sensor: string): string {
  const parts = [`MAC ${device.mac}`, device.type]
  if (device.ssid !== null) {
    const ssid = cleanText(device.ssid, MAX_SSID_CHARS)
    if (ACCESS_POINT_KINDS.has(device.type)) parts.push(ssid === '' ? 'hidden SSID' : `SSID ${ssid}`)
    else if (ssid !== '') parts.push(`probes ${ssid}`)
  }
  if (device.channel !== null) parts.push(device.frequency !== null ? `ch ${device.channel} (${device.frequency} MHz)` : `ch ${device.channel}`)
  if (device.encryption !== null) parts.push(device.encryption)
  if (device.signal !== null) parts.push(`${device.signal} dBm`)
  if (device.manufacturer !== null) parts.push(device.manufacturer)
  parts.push(`first ${shortTime(device.firstSeen)}`, `last ${shortTime(device.lastSeen)}`, `sensor ${sensor}`)
  return cleanText(parts.join(' · '), MAX_REMARKS_CHARS)
}

export interface DeviceEventInput {
  uid: string
  type: string
  device: WifiDevice
  location: Location
  sensor: string
  now: number
  staleAt: number
}

/** A device's marker: where Kismet placed it, labelled and described. */
export function deviceEvent(input: DeviceEventInput): string {
  const { device, location } = input
  return event({
    uid: input.uid,
    type: input.type,
    how: DEVICE_HOW,
    time: input.now,
    stale: input.staleAt,
    point: { lat: location.lat, lon: location.lon, ce: DEVICE_CE_M },
    detail: [element('contact', { callsign: callsignOf(device) }), element('remarks', {}, [text(remarksOf(device, input.sensor))])],
  })
}

export interface SensorEventInput {
  uid: string
  type: string
  sensor: string
  position: Location
  now: number
  staleAt: number
}

/** The sensor's own marker, at Kismet's GPS position, named after the sensor. */
export function sensorEvent(input: SensorEventInput): string {
  const { position } = input
  const fix = position.fix >= 3 ? '3D' : '2D'
  const remarks = [`Kismet sensor ${input.sensor}`, `GPS ${fix} fix`, ...(position.alt !== undefined ? [`alt ${position.alt} m`] : []), 'kismet-ws'].join(' · ')
  return event({
    uid: input.uid,
    type: input.type,
    how: SENSOR_HOW,
    time: input.now,
    stale: input.staleAt,
    point: { lat: position.lat, lon: position.lon, ce: position.fix >= 3 ? SENSOR_CE_M.fix3d : SENSOR_CE_M.fix2d },
    detail: [element('contact', { callsign: cleanText(`Kismet ${input.sensor}`, MAX_CALLSIGN_CHARS) }), element('remarks', {}, [text(cleanText(remarks, MAX_REMARKS_CHARS))])],
  })
}

/**
 * The explicit removal of a marker (ATAK-CIV #154, as @tak-ps/node-cot's ForceDelete builds
 * it): type t-x-d-d under the target's uid, the target linked, `__forcedelete`.
 */
export function deleteEvent(uid: string, now: number): string {
  return event({
    uid,
    type: 't-x-d-d',
    how: DEVICE_HOW,
    time: now,
    stale: now + DELETE_STALE_MS,
    point: { lat: 0, lon: 0, ce: UNKNOWN },
    detail: [element('link', { uid, relation: 'none', type: 'none' }), element('__forcedelete')],
  })
}

/** The stream keepalive TAK clients send (t-x-c-t); a TAK server answers t-x-c-t-r, which is read and discarded. */
export function pingEvent(uid: string, now: number): string {
  return event({ uid, type: 't-x-c-t', how: 'h-g-i-g-o', time: now, stale: now + PING_STALE_MS, point: { lat: 0, lon: 0, ce: UNKNOWN } })
}
