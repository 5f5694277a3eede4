// Full records of everything that is not a device: system status, timestamp, datasources,
// the view list and alerts. Like devices, each starts as a copy of the flavor's real record.
import type { FlavorProfile } from './flavor.js'
import { adler32 } from './ids.js'
import { cloneJson, isJsonObject, setIfPresent, type JsonObject, type JsonValue } from './json.js'
import { SUPPORTED_CHANNELS } from './seed.js'
import type { SimAlert, SimDatasource } from './types.js'

export function secondsOf(ms: number): number {
  return Math.floor(ms / 1000)
}

export function microsOf(ms: number): number {
  return Math.floor((((ms % 1000) + 1000) % 1000) * 1000)
}

function updateRrd(record: JsonObject, key: string, nowSec: number, value: number): void {
  const rrd = record[key]
  if (!isJsonObject(rrd)) return
  setIfPresent(rrd, 'kismet.common.rrd.last_time', nowSec)
  setIfPresent(rrd, 'kismet.common.rrd.serial_time', nowSec)
  setIfPresent(rrd, 'kismet.common.rrd.last_value', value)
  setIfPresent(rrd, 'kismet.common.rrd.last_value_n1', value)
}

export interface StatusInput {
  profile: FlavorProfile
  nowMs: number
  startSec: number
  deviceCount: number
  serverUuid: string
  serverName: string
  httpConnections: number
}

/** Resident memory Kismet would report: a base plus about 12 kB per tracked device (the size of a full record). */
export function memoryRssKb(deviceCount: number): number {
  return 33_000 + deviceCount * 12
}

/** /system/status.json */
export function renderStatus(input: StatusInput): JsonObject {
  const record = cloneJson(input.profile.templates.systemStatus)
  const nowSec = secondsOf(input.nowMs)
  const rss = memoryRssKb(input.deviceCount)
  const values: Array<[string, JsonValue]> = [
    ['kismet.system.timestamp.sec', nowSec],
    ['kismet.system.timestamp.usec', microsOf(input.nowMs)],
    ['kismet.system.timestamp.start_sec', input.startSec],
    ['kismet.system.memory.rss', rss],
    ['kismet.system.devices.count', input.deviceCount],
    ['kismet.system.server_name', input.serverName],
    ['kismet.system.num_http_connections', input.httpConnections],
    ['kismet.server.uuid', input.serverUuid],
  ]
  for (const [key, value] of values) setIfPresent(record, key, value)
  updateRrd(record, 'kismet.system.memory.rrd', nowSec, rss)
  updateRrd(record, 'kismet.system.devices.rrd', nowSec, input.deviceCount)
  return record
}

/** /system/timestamp.json */
export function renderTimestamp(nowMs: number): JsonObject {
  return { 'kismet.system.timestamp.sec': secondsOf(nowMs), 'kismet.system.timestamp.usec': microsOf(nowMs) }
}

interface DriverProfile {
  ipcBinary: string
  captureInterface: (iface: string) => string
  hardware: string
  channels: readonly string[]
  typeDriver: JsonObject | null
}

/** Capture drivers: pcapfile is what the fixtures ran; linuxwifi is what a sensor with a Wi-Fi card runs. */
function driverProfile(driver: string): DriverProfile {
  if (driver === 'pcapfile') {
    return { ipcBinary: 'kismet_cap_pcapfile', captureInterface: () => '', hardware: '', channels: [], typeDriver: null }
  }
  return {
    ipcBinary: 'kismet_cap_linux_wifi',
    captureInterface: (iface) => `${iface}mon`,
    hardware: 'rt2800usb',
    channels: SUPPORTED_CHANNELS,
    typeDriver: {
      'kismet.datasource.driver.type': driver,
      'kismet.datasource.driver.description': 'Linux Wi-Fi',
      'kismet.datasource.driver.probe_capable': 1,
      'kismet.datasource.driver.probe_ipc': 1,
      'kismet.datasource.driver.list_capable': 1,
      'kismet.datasource.driver.list_ipc': 1,
      'kismet.datasource.driver.local_capable': 1,
      'kismet.datasource.driver.local_ipc': 1,
      'kismet.datasource.driver.remote_capable': 1,
      'kismet.datasource.driver.passive_capable': 0,
      'kismet.datasource.driver.tuning_capable': 1,
      'kismet.datasource_driver.hop_capable': 1,
    },
  }
}

/** One entry of /datasource/all_sources.json. */
export function renderDatasource(profile: FlavorProfile, source: SimDatasource, index: number, nowSec: number): JsonObject {
  const record = cloneJson(profile.templates.datasource)
  const driver = driverProfile(source.driver)
  const values: Array<[string, JsonValue]> = [
    ['kismet.datasource.source_number', index + 1],
    ['kismet.datasource.source_key', adler32(source.uuid)],
    ['kismet.datasource.ipc_binary', driver.ipcBinary],
    ['kismet.datasource.ipc_pid', 1000 + (adler32(source.name) % 30000)],
    ['kismet.datasource.running', source.running ? 1 : 0],
    ['kismet.datasource.paused', source.paused ? 1 : 0],
    ['kismet.datasource.datasource_version', profile.version],
    ['kismet.datasource.name', source.name],
    ['kismet.datasource.uuid', source.uuid],
    ['kismet.datasource.definition', `${source.interface}:name=${source.name},type=${source.driver}`],
    ['kismet.datasource.interface', source.interface],
    ['kismet.datasource.capture_interface', driver.captureInterface(source.interface)],
    ['kismet.datasource.hardware', driver.hardware],
    ['kismet.datasource.channels', [...driver.channels]],
    ['kismet.datasource.hopping', source.hopping ? 1 : 0],
    ['kismet.datasource.channel', source.channel],
    ['kismet.datasource.hop_rate', source.hopping ? source.hopRate : 0],
    ['kismet.datasource.hop_channels', source.hopping ? [...source.hopChannels] : []],
    ['kismet.datasource.hop_shuffle', source.hopping ? 1 : 0],
    ['kismet.datasource.error', source.error ? 1 : 0],
    ['kismet.datasource.error_reason', source.errorReason],
    ['kismet.datasource.num_packets', source.numPackets],
  ]
  for (const [key, value] of values) setIfPresent(record, key, value)
  if (driver.typeDriver !== null) setIfPresent(record, 'kismet.datasource.type_driver', cloneJson(driver.typeDriver))
  updateRrd(record, 'kismet.datasource.packets_rrd', nowSec, 0)
  updateRrd(record, 'kismet.datasource.packets_datasize_rrd', nowSec, 0)
  return record
}

export interface ViewSizes {
  all: number
  accessPoints: number
  /** UUIDs of the datasources, each with the number of devices it saw. */
  seenBy: Array<[string, number]>
}

/** /devices/views/all_views.json: the real server's view list with this simulator's sizes. */
export function renderViews(profile: FlavorProfile, sizes: ViewSizes): JsonValue[] {
  const views = profile.templates.allViews['views']
  const out: JsonValue[] = []
  for (const view of Array.isArray(views) ? views : []) {
    if (!isJsonObject(view)) continue
    const id = view['kismet.devices.view.id']
    if (typeof id !== 'string') continue
    if (id.startsWith('seenby-')) {
      for (const [uuid, size] of sizes.seenBy) {
        const seen = cloneJson(view)
        seen['kismet.devices.view.id'] = `seenby-${uuid}`
        seen['kismet.devices.view.description'] = `Devices seen by datasource ${uuid}`
        seen['kismet.devices.view.size'] = size
        out.push(seen)
      }
      continue
    }
    const copy = cloneJson(view)
    if (id === 'all' || id === 'phy-IEEE802.11') copy['kismet.devices.view.size'] = sizes.all
    else if (id === 'phydot11_accesspoints') copy['kismet.devices.view.size'] = sizes.accessPoints
    else copy['kismet.devices.view.size'] = 0
    out.push(copy)
  }
  return out
}

/** One alert record (location shape per flavor: the release sends only a geopoint). */
export function renderAlert(profile: FlavorProfile, alert: SimAlert): JsonObject {
  const record = cloneJson(profile.templates.alert)
  const values: Array<[string, JsonValue]> = [
    ['kismet.alert.device_key', alert.deviceKey],
    ['kismet.alert.header', alert.header],
    ['kismet.alert.class', alert.class],
    ['kismet.alert.hash', alert.hash],
    ['kismet.alert.severity', alert.severity],
    ['kismet.alert.phy_id', alert.phyId],
    ['kismet.alert.timestamp', alert.timestamp],
    ['kismet.alert.transmitter_mac', alert.transmitterMac],
    ['kismet.alert.source_mac', alert.sourceMac],
    ['kismet.alert.dest_mac', alert.destMac],
    ['kismet.alert.other_mac', alert.otherMac],
    ['kismet.alert.channel', alert.channel],
    ['kismet.alert.frequency', alert.frequency],
    ['kismet.alert.text', alert.text],
  ]
  for (const [key, value] of values) setIfPresent(record, key, value)
  return record
}
