// The Kismet REST client (SPEC 5, KISMET-API.md 1-3, 6): one method per request the poller
// makes, each answering typed data or throwing a KismetError — nothing else escapes. HTTP,
// the credential, timeouts, the size cap and redaction are the transport's
// (src/kismet/transport.ts); what the records mean is the mapping's (src/kismet/mapping.ts).
// A malformed record in a list is skipped and counted; a wrong top-level shape is 'bad_body'.
import type { Alert, Location, WifiDevice } from '../events.js'
import { isMappingError, toAlert, toDatasource, toLocation, toSystemStatus, toWifiDevice } from './mapping.js'
import { KismetTransport, type KismetTransportOptions } from './transport.js'
import { DATASOURCE_FIELDS, DEVICE_FIELDS, KISMET_UUID, STATUS_FIELDS, type KismetDatasource, type KismetSystemStatus } from './wire.js'

export type { ResponseInfo } from './transport.js'
export { DEFAULT_MAX_RESPONSE_BYTES } from './transport.js'

export type KismetClientOptions = KismetTransportOptions

export interface DeviceBatch {
  devices: WifiDevice[]
  /** Records that could not be mapped and were skipped. */
  malformed: number
}

export interface AlertBatch {
  alerts: Alert[]
  /** Raw Kismet seconds.micro of the newest alert received (malformed ones included), or the `since` given when none is newer. */
  latestTimestamp: number
  malformed: number
}

/** Devices per page of the initial load (Kismet's datatable mode caps at 500 too). */
export const DEVICE_PAGE_LENGTH = 500
/** A guard against a server whose paging never ends. */
const MAX_PAGES = 10_000

type KismetObject = Record<string, unknown>

function isObject(value: unknown): value is KismetObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function shapeOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}

export class KismetClient {
  readonly transport: KismetTransport

  constructor(options: KismetClientOptions) {
    this.transport = new KismetTransport(options)
  }

  /** The base URL without credentials (safe to log). */
  get baseUrl(): string {
    return this.transport.baseUrl
  }

  /** GET /session/check_session: resolves when Kismet accepts the credential. */
  async checkSession(): Promise<void> {
    await this.transport.exchange('GET', '/session/check_session')
  }

  /** POST /system/status.json with STATUS_FIELDS. */
  async systemStatus(): Promise<KismetSystemStatus> {
    const path = '/system/status.json'
    const value = await this.transport.json('POST', path, { fields: STATUS_FIELDS })
    try {
      return toSystemStatus(value)
    } catch (error) {
      if (isMappingError(error)) throw this.transport.badBody(path, error.message)
      throw error
    }
  }

  /** GET /system/timestamp.json: Kismet's clock in epoch ms. */
  async serverTime(): Promise<number> {
    const path = '/system/timestamp.json'
    const value = await this.transport.json('GET', path)
    if (!isObject(value)) throw this.transport.badBody(path, `expected an object, got ${shapeOf(value)}`)
    const sec = value['kismet.system.timestamp.sec']
    const usec = value['kismet.system.timestamp.usec']
    if (typeof sec !== 'number' || !Number.isFinite(sec)) throw this.transport.badBody(path, 'kismet.system.timestamp.sec is not a number')
    const micros = typeof usec === 'number' && Number.isFinite(usec) ? usec : 0
    return sec * 1000 + Math.floor(micros / 1000)
  }

  /** POST /devices/last-time/{sinceSec}/devices.json: devices whose last_time > sinceSec (strict, whole seconds). */
  async devicesSince(sinceSec: number): Promise<DeviceBatch> {
    const since = Number.isFinite(sinceSec) ? Math.floor(sinceSec) : 0
    const path = `/devices/last-time/${since}/devices.json`
    const value = await this.transport.json('POST', path, { fields: DEVICE_FIELDS })
    if (!Array.isArray(value)) throw this.transport.badBody(path, `expected an array of devices, got ${shapeOf(value)}`)
    return devicesOf(value)
  }

  /**
   * The initial load: every device seen within `seconds` before `nowSec` (Kismet's clock).
   * POST /devices/views/all/devices.json?page=N&length=500 with {fields, last_time}, page by
   * page until last_page. A server that answers a plain array (before 2025-09-R1, paging is
   * ignored) has sent the whole list. Older devices are dropped here too, and devices are
   * de-duplicated by key (a live list can shift between pages; the newest record wins).
   */
  async devicesSeenWithin(seconds: number, nowSec: number): Promise<DeviceBatch> {
    const path = '/devices/views/all/devices.json'
    const cutoffSec = Math.floor(nowSec - seconds)
    const body = { fields: DEVICE_FIELDS, last_time: cutoffSec }
    const byKey = new Map<string, WifiDevice>()
    const cutoffMs = cutoffSec * 1000
    let malformed = 0
    for (let page = 0; page < MAX_PAGES; page++) {
      const query = new URLSearchParams({ page: String(page), length: String(DEVICE_PAGE_LENGTH) })
      const value = await this.transport.json('POST', path, body, query)
      if (Array.isArray(value)) {
        malformed += collectDevices(value, byKey, cutoffMs)
        break
      }
      if (!isObject(value) || !Array.isArray(value.data)) {
        throw this.transport.badBody(path, `expected an array of devices or a page {data, last_page}, got ${shapeOf(value)}`)
      }
      const lastPage = value.last_page
      if (typeof lastPage !== 'number' || !Number.isFinite(lastPage)) throw this.transport.badBody(path, 'page without a numeric last_page')
      malformed += collectDevices(value.data, byKey, cutoffMs)
      if (value.data.length === 0 || page + 1 >= lastPage) break
    }
    return { devices: [...byKey.values()], malformed }
  }

  /** GET /alerts/last-time/{sec.usec}/alerts.json: alerts newer than `sinceSec` (absolute; 0 = all). */
  async alertsSince(sinceSec: number): Promise<AlertBatch> {
    // Kismet reads a negative value here as "everything", not as relative: clamp to 0.
    const since = Number.isFinite(sinceSec) && sinceSec > 0 ? sinceSec : 0
    const path = `/alerts/last-time/${since.toFixed(6)}/alerts.json`
    const value = await this.transport.json('GET', path)
    if (!Array.isArray(value)) throw this.transport.badBody(path, `expected an array of alerts, got ${shapeOf(value)}`)
    const alerts: Alert[] = []
    let malformed = 0
    let latestTimestamp = since
    for (const record of value as unknown[]) {
      if (isObject(record)) {
        const ts = record['kismet.alert.timestamp']
        if (typeof ts === 'number' && Number.isFinite(ts) && ts > latestTimestamp) latestTimestamp = ts
      }
      try {
        alerts.push(toAlert(record))
      } catch {
        malformed++
      }
    }
    return { alerts, latestTimestamp, malformed }
  }

  /** POST /datasource/all_sources.json with DATASOURCE_FIELDS. */
  async datasources(): Promise<KismetDatasource[]> {
    const path = '/datasource/all_sources.json'
    const value = await this.transport.json('POST', path, { fields: DATASOURCE_FIELDS })
    if (!Array.isArray(value)) throw this.transport.badBody(path, `expected an array of datasources, got ${shapeOf(value)}`)
    return (value as unknown[]).map((record, i) => {
      try {
        return toDatasource(record)
      } catch (error) {
        if (isMappingError(error)) throw this.transport.badBody(path, `datasource ${i}: ${error.message}`)
        throw error
      }
    })
  }

  /**
   * POST /datasource/by-uuid/{uuid}/source.json with DATASOURCE_FIELDS: one source (an
   * eventbus DATASOURCE_* frame names only the UUID). Kismet answers an unknown UUID with a
   * 500 (`ERROR: no such datasource`): a KismetError 'http'.
   */
  async datasource(uuid: string): Promise<KismetDatasource> {
    if (!KISMET_UUID.test(uuid)) throw new TypeError('KismetClient.datasource: not a UUID')
    const path = `/datasource/by-uuid/${uuid}/source.json`
    const value = await this.transport.json('POST', path, { fields: DATASOURCE_FIELDS })
    try {
      return toDatasource(value)
    } catch (error) {
      if (isMappingError(error)) throw this.transport.badBody(path, error.message)
      throw error
    }
  }

  /**
   * GET /gps/location.json: Kismet's best GPS fix, the sensor's own position, or null when it
   * has none (no GPS, or no fix yet: Kismet then answers a geopoint of [0, 0] alone).
   */
  async gpsLocation(): Promise<Location | null> {
    const path = '/gps/location.json'
    const value = await this.transport.json('GET', path)
    if (!isObject(value)) throw this.transport.badBody(path, `expected a location object, got ${shapeOf(value)}`)
    try {
      return toLocation(value, 'gps')
    } catch (error) {
      if (isMappingError(error)) throw this.transport.badBody(path, error.message)
      throw error
    }
  }

  /** Aborts in-flight requests and closes idle connections; later calls fail with 'unreachable'. */
  close(): void {
    this.transport.close()
  }
}

/** A list of device records as a batch: mapped, malformed ones skipped and counted, the newest record per key. */
export function devicesOf(records: readonly unknown[]): DeviceBatch {
  const byKey = new Map<string, WifiDevice>()
  const malformed = collectDevices(records, byKey, undefined)
  return { devices: [...byKey.values()], malformed }
}

/** Maps a list of device records into `byKey`, skipping (and counting) malformed ones and, with a cutoff, older ones. */
function collectDevices(records: readonly unknown[], byKey: Map<string, WifiDevice>, cutoffMs: number | undefined): number {
  let malformed = 0
  for (const record of records) {
    let device: WifiDevice
    try {
      device = toWifiDevice(record)
    } catch {
      malformed++
      continue
    }
    if (cutoffMs !== undefined && device.lastSeen < cutoffMs) continue
    const known = byKey.get(device.key)
    if (known === undefined || device.lastSeen >= known.lastSeen) byKey.set(device.key, device)
  }
  return malformed
}
