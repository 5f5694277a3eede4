// Full (unsimplified) device records. Each one starts as a deep copy of a real record
// captured from the flavor's server (an AP that beacons, or a client), so it carries exactly
// Kismet's key set and value types; the values are then overwritten from the SimDevice.
// Sub-records Kismet only creates when it has something to put in them (signal, SSID
// records, client maps, location on 2025-09-R1) are added or dropped accordingly.
import {
  basicCryptSet,
  beacons,
  hasSignal,
  lastBssid,
  locationRecord,
  maxSignal,
  peakLocationRecord,
  minSignal,
  typeBits,
} from './device-values.js'
import type { FlavorProfile } from './flavor.js'
import { adler32, deviceKeyForMac, ZERO_MAC } from './ids.js'
import { cloneJson, isJsonObject, setIfPresent, type JsonObject, type JsonValue } from './json.js'
import { cryptProfile } from './seed.js'
import type { DeviceEntry } from './store.js'
import type { SimDevice } from './types.js'

/** What a device record needs from the rest of the simulator. */
export interface DeviceRenderContext {
  profile: FlavorProfile
  serverUuid: string
  /** The datasource that sees every device (its UUID and full record, for `seenby`). */
  seenByUuid: string
  seenBySource: () => JsonObject
  /** [MAC, key] of the clients whose last BSSID is this AP's MAC. */
  clientsOf: (mac: string) => Array<[string, string]>
}

const DYNAMIC_DOT11_KEYS = [
  'dot11.device.advertised_ssid_map',
  'dot11.device.last_beaconed_ssid_record',
  'dot11.device.responded_ssid_map',
  'dot11.device.probed_ssid_map',
  'dot11.device.last_probed_ssid_record',
  'dot11.device.client_map',
  'dot11.device.associated_client_map',
] as const

/** The parts of a flavor's templates a device record is assembled from (computed once per flavor). */
interface DeviceParts {
  apBody: JsonObject
  clientBody: JsonObject
  advertisedSsid: JsonObject
  respondedSsid: JsonObject
  probedSsid: JsonObject
  clientMapEntry: JsonObject
}

const partsCache = new WeakMap<FlavorProfile, DeviceParts>()

function objectAt(record: JsonObject, key: string): JsonObject {
  const value = record[key]
  if (!isJsonObject(value)) throw new TypeError(`template: ${key} is not an object`)
  return value
}

function firstOf(record: JsonObject, key: string): JsonObject {
  const value = record[key]
  const first = Array.isArray(value) ? value[0] : undefined
  if (!isJsonObject(first)) throw new TypeError(`template: ${key} has no record`)
  return first
}

function withoutDynamicDot11(template: JsonObject): JsonObject {
  const body = cloneJson(template)
  const dot11 = objectAt(body, 'dot11.device')
  for (const key of DYNAMIC_DOT11_KEYS) delete dot11[key]
  return body
}

function deviceParts(profile: FlavorProfile): DeviceParts {
  let parts = partsCache.get(profile)
  if (!parts) {
    const { deviceAp, deviceClient, clientMapEntry } = profile.templates
    const apDot11 = objectAt(deviceAp, 'dot11.device')
    const clientDot11 = objectAt(deviceClient, 'dot11.device')
    parts = {
      apBody: withoutDynamicDot11(deviceAp),
      clientBody: withoutDynamicDot11(deviceClient),
      advertisedSsid: objectAt(apDot11, 'dot11.device.last_beaconed_ssid_record'),
      respondedSsid: firstOf(apDot11, 'dot11.device.responded_ssid_map'),
      probedSsid: objectAt(clientDot11, 'dot11.device.last_probed_ssid_record'),
      clientMapEntry,
    }
    partsCache.set(profile, parts)
  }
  return parts
}

function setRrdTime(record: JsonObject, key: string, seconds: number, lastValue?: number): void {
  const rrd = record[key]
  if (!isJsonObject(rrd)) return
  setIfPresent(rrd, 'kismet.common.rrd.last_time', seconds)
  setIfPresent(rrd, 'kismet.common.rrd.serial_time', seconds)
  if (lastValue !== undefined) {
    setIfPresent(rrd, 'kismet.common.rrd.last_value', lastValue)
    setIfPresent(rrd, 'kismet.common.rrd.last_value_n1', lastValue)
  }
}

function ssidLength(ssid: string): number {
  return Buffer.byteLength(ssid, 'utf8')
}

function advertisedSsidRecord(template: JsonObject, entry: DeviceEntry, beaconed: boolean): JsonObject {
  const device = entry.device
  const ssid = device.ssid ?? ''
  const crypt = cryptProfile(device.crypt)
  const record = cloneJson(template)
  setIfPresent(record, 'dot11.advertisedssid.ssid', ssid)
  setIfPresent(record, 'dot11.advertisedssid.ssidlen', ssidLength(ssid))
  setIfPresent(record, 'dot11.advertisedssid.ssid_hash', adler32(ssid))
  setIfPresent(record, 'dot11.advertisedssid.first_time', device.firstTime)
  setIfPresent(record, 'dot11.advertisedssid.last_time', device.lastTime)
  setIfPresent(record, 'dot11.advertisedssid.cloaked', ssid === '' ? 1 : 0)
  setIfPresent(record, 'dot11.advertisedssid.crypt_bitfield', crypt.cryptBitfield)
  setIfPresent(record, 'dot11.advertisedssid.crypt_set', crypt.cryptSet)
  setIfPresent(record, 'dot11.advertisedssid.crypt_string', crypt.crypt)
  setIfPresent(record, 'dot11.advertisedssid.wpa_mfp_required', crypt.mfpRequired)
  setIfPresent(record, 'dot11.advertisedssid.wpa_mfp_supported', crypt.mfpSupported)
  if (beaconed) setIfPresent(record, 'dot11.advertisedssid.channel', device.channel)
  return record
}

function probedSsidRecord(template: JsonObject, entry: DeviceEntry): JsonObject {
  const device = entry.device
  const ssid = device.probedSsid ?? ''
  const record = cloneJson(template)
  setIfPresent(record, 'dot11.probedssid.ssid', ssid)
  setIfPresent(record, 'dot11.probedssid.ssidlen', ssidLength(ssid))
  setIfPresent(record, 'dot11.probedssid.bssid', ZERO_MAC)
  setIfPresent(record, 'dot11.probedssid.first_time', device.firstTime)
  setIfPresent(record, 'dot11.probedssid.last_time', device.lastTime)
  // A probe request carries no crypt of its own for a wildcard probe: Kismet prints "Open".
  setIfPresent(record, 'dot11.probedssid.crypt_bitfield', 0)
  setIfPresent(record, 'dot11.probedssid.crypt_set', 0)
  setIfPresent(record, 'dot11.probedssid.crypt_string', 'Open')
  setIfPresent(record, 'dot11.probedssid.wpa_mfp_required', 0)
  setIfPresent(record, 'dot11.probedssid.wpa_mfp_supported', 0)
  return record
}

function signalRecord(record: JsonObject, entry: DeviceEntry, ctx: DeviceRenderContext): void {
  const device = entry.device
  const signal = record['kismet.device.base.signal']
  if (!isJsonObject(signal)) return
  if (!hasSignal(device)) {
    delete record['kismet.device.base.signal']
    return
  }
  setIfPresent(signal, 'kismet.common.signal.type', 'dbm')
  setIfPresent(signal, 'kismet.common.signal.last_signal', device.signal)
  setIfPresent(signal, 'kismet.common.signal.min_signal', minSignal(entry))
  setIfPresent(signal, 'kismet.common.signal.max_signal', maxSignal(entry))
  setRrdTime(signal, 'kismet.common.signal.signal_rrd', device.lastTime, device.signal)
  // Master keeps peak_loc from the first packet on ([0, 0] without a fix); the release creates
  // it only when a strongest packet came with a GPS position (devicetracker_component.cc).
  if (signalHasPeak(ctx.profile, device)) signal['kismet.common.signal.peak_loc'] = peakLocationRecord(entry)
  else delete signal['kismet.common.signal.peak_loc']
}

/** Whether the device's signal record carries `peak_loc` on this flavor. */
export function signalHasPeak(profile: FlavorProfile, device: SimDevice): boolean {
  return profile.peakWithoutFix || device.peakLocation !== null
}

function seenByRecord(record: JsonObject, entry: DeviceEntry, ctx: DeviceRenderContext): void {
  const device = entry.device
  const list = record['kismet.device.base.seenby']
  const seen = Array.isArray(list) ? list[0] : undefined
  if (!isJsonObject(seen)) return
  setIfPresent(seen, 'kismet.common.seenby.uuid', ctx.seenByUuid)
  setIfPresent(seen, 'kismet.common.seenby.source', ctx.seenBySource())
  setIfPresent(seen, 'kismet.common.seenby.first_time', device.firstTime)
  setIfPresent(seen, 'kismet.common.seenby.last_time', device.lastTime)
  setIfPresent(seen, 'kismet.common.seenby.num_packets', device.packets)
  const signal = seen['kismet.common.seenby.signal']
  if (isJsonObject(signal) && hasSignal(device)) {
    setIfPresent(signal, 'kismet.common.signal.type', 'dbm')
    setIfPresent(signal, 'kismet.common.signal.last_signal', device.signal)
    setIfPresent(signal, 'kismet.common.signal.min_signal', minSignal(entry))
    setIfPresent(signal, 'kismet.common.signal.max_signal', maxSignal(entry))
  }
}

function dot11Record(record: JsonObject, entry: DeviceEntry, ctx: DeviceRenderContext, parts: DeviceParts): void {
  const device = entry.device
  const dot11 = record['dot11.device']
  if (!isJsonObject(dot11)) return
  const isBeaconing = beacons(device)
  const answersProbes = isBeaconing && device.ssid !== ''
  const talksToAp = device.bssid !== null && device.bssid !== device.mac
  setIfPresent(dot11, 'dot11.device.typeset', typeBits(device).typeset)
  setIfPresent(dot11, 'dot11.device.num_client_aps', talksToAp ? 1 : 0)
  setIfPresent(dot11, 'dot11.device.num_advertised_ssids', isBeaconing ? 1 : 0)
  setIfPresent(dot11, 'dot11.device.num_responded_ssids', answersProbes ? 1 : 0)
  setIfPresent(dot11, 'dot11.device.num_probed_ssids', device.probedSsid !== null ? 1 : 0)
  setIfPresent(dot11, 'dot11.device.num_associated_clients', device.clients)
  setIfPresent(dot11, 'dot11.device.bss_timestamp', isBeaconing ? (device.lastTime - device.firstTime) * 1_000_000 + 102_400 : 0)
  setIfPresent(dot11, 'dot11.device.datasize', device.dataBytes)
  setIfPresent(dot11, 'dot11.device.last_beacon_timestamp', isBeaconing ? device.lastTime : 0)
  setIfPresent(dot11, 'dot11.device.last_bssid', lastBssid(device))
  if (isBeaconing) {
    const advertised = advertisedSsidRecord(parts.advertisedSsid, entry, true)
    dot11['dot11.device.advertised_ssid_map'] = [advertised]
    dot11['dot11.device.last_beaconed_ssid_record'] = advertised
    if (answersProbes) dot11['dot11.device.responded_ssid_map'] = [advertisedSsidRecord(parts.respondedSsid, entry, false)]
  }
  if (device.probedSsid !== null) {
    const probed = probedSsidRecord(parts.probedSsid, entry)
    dot11['dot11.device.probed_ssid_map'] = [probed]
    dot11['dot11.device.last_probed_ssid_record'] = probed
  }
  if (talksToAp && device.bssid !== null) {
    const client = cloneJson(parts.clientMapEntry)
    setIfPresent(client, 'dot11.client.bssid', device.bssid)
    setIfPresent(client, 'dot11.client.bssid_key', deviceKeyForMac(device.bssid))
    setIfPresent(client, 'dot11.client.first_time', device.firstTime)
    setIfPresent(client, 'dot11.client.last_time', device.lastTime)
    setIfPresent(client, 'dot11.client.datasize', device.dataBytes)
    dot11['dot11.device.client_map'] = { [device.bssid]: client }
  }
  const associated = ctx.clientsOf(device.mac)
  if (associated.length > 0) {
    const map: JsonObject = {}
    for (const [mac, key] of associated) map[mac] = key
    dot11['dot11.device.associated_client_map'] = map
  }
}

/** The full record of one device, as /devices/by-key/{key}/device.json answers it. */
export function renderDevice(entry: DeviceEntry, ctx: DeviceRenderContext): JsonObject {
  const device = entry.device
  const parts = deviceParts(ctx.profile)
  const record = cloneJson(beacons(device) ? parts.apBody : parts.clientBody)
  const bits = typeBits(device)
  const dataPackets = device.dataBytes > 0 ? Math.min(device.packets, Math.ceil(device.dataBytes / 1_000)) : 0
  const isBeaconing = beacons(device)
  const tx = isBeaconing ? device.packets : Math.ceil(device.packets * 0.6)

  const base: Array<[string, JsonValue]> = [
    ['kismet.device.base.key', device.key],
    ['kismet.device.base.macaddr', device.mac],
    ['kismet.device.base.name', device.name],
    ['kismet.device.base.commonname', device.commonname],
    ['kismet.server.uuid', ctx.serverUuid],
    ['kismet.device.base.basic_type_set', bits.basicTypeSet],
    ['kismet.device.base.crypt', device.crypt],
    ['kismet.device.base.basic_crypt_set', basicCryptSet(device)],
    ['kismet.device.base.first_time', device.firstTime],
    ['kismet.device.base.last_time', device.lastTime],
    ['kismet.device.base.mod_time', device.modTime],
    ['kismet.device.base.packets.total', device.packets],
    ['kismet.device.base.packets.rx_total', device.packets - tx],
    ['kismet.device.base.packets.tx_total', tx],
    ['kismet.device.base.packets.llc', device.packets - dataPackets],
    ['kismet.device.base.packets.error', 0],
    ['kismet.device.base.packets.data', dataPackets],
    ['kismet.device.base.packets.crypt', 0],
    ['kismet.device.base.packets.filtered', 0],
    ['kismet.device.base.datasize', device.dataBytes],
    ['kismet.device.base.channel', device.channel],
    ['kismet.device.base.frequency', device.frequency],
    ['kismet.device.base.freq_khz_map', device.frequency > 0 ? { [String(device.frequency)]: device.packets } : {}],
    ['kismet.device.base.num_alerts', 0],
    ['kismet.device.base.phyname', device.phyname],
    ['kismet.device.base.manuf', device.manuf],
    ['kismet.device.base.type', device.type],
  ]
  for (const [key, value] of base) setIfPresent(record, key, value)
  for (const rrd of ['kismet.device.base.packets.rrd', 'kismet.device.base.tx_packets.rrd', 'kismet.device.base.rx_packets.rrd', 'kismet.device.base.datasize.rrd']) {
    setRrdTime(record, rrd, device.lastTime)
  }
  signalRecord(record, entry, ctx)
  seenByRecord(record, entry, ctx)
  dot11Record(record, entry, ctx, parts)
  const location = locationRecord(entry)
  if (location !== null) record['kismet.device.base.location'] = location
  else if (ctx.profile.locationWithoutFix !== null) record['kismet.device.base.location'] = cloneJson(ctx.profile.locationWithoutFix)
  else delete record['kismet.device.base.location']
  return record
}
