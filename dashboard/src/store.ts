// The device table as the stream builds it: snapshots, new, update, signal and remove, per
// sensor (a device is a sensor's: the same key on two sensors is two rows). It only keeps
// state and says what changed; the views read it once per frame.
import type { AnyEnvelope, WifiDevice } from '../../src/events.js'
import { bandOf, displayName, type Band } from './format.js'

export interface DeviceRow {
  /** sensor and key: unique in the table. */
  readonly id: string
  readonly sensor: string
  device: WifiDevice
  band: Band | null
  /** Lower-case text the search looks in: name, SSID, MAC, manufacturer, encryption, type, sensor. */
  haystack: string
  /** Bumped on every change, so a view redraws only rows it drew at another version. */
  version: number
  /** When the service last told of a new signal (its clock, epoch ms). */
  signalAt: number
}

export function rowId(sensor: string, key: string): string {
  return `${sensor}\u0000${key}`
}

/** What one batch of envelopes changed. */
export interface StoreChanges {
  /** Rows added, removed or changed: the table's order and filter may have to be worked out again. */
  structure: boolean
  /** Ids of rows changed (added, updated or removed). */
  ids: Set<string>
}

export class DeviceStore {
  readonly rows = new Map<string, DeviceRow>()
  /** Rows per sensor. */
  readonly bySensor = new Map<string, number>()
  /** Per sensor, the ids a snapshot in progress has listed so far. */
  readonly #snapshots = new Map<string, Set<string>>()
  #changes: StoreChanges = { structure: false, ids: new Set() }

  /** Applies a device envelope (other types are not the store's); true when it was one. */
  apply(envelope: AnyEnvelope): boolean {
    const sensor = envelope.sensor
    if (sensor === undefined) return false
    switch (envelope.type) {
      case 'device:snapshot': {
        const { devices, chunk, chunks } = envelope.data
        let listed = this.#snapshots.get(sensor)
        if (chunk === 0 || !listed) this.#snapshots.set(sensor, (listed = new Set()))
        for (const device of devices) listed.add(this.#upsert(sensor, device, envelope.timestamp))
        if (chunk >= chunks - 1) {
          // The snapshot is the sensor's whole table: what it did not list is gone.
          for (const row of [...this.rows.values()]) if (row.sensor === sensor && !listed.has(row.id)) this.#remove(row.id)
          this.#snapshots.delete(sensor)
        }
        return true
      }
      case 'device:update': {
        const { action, device } = envelope.data
        if (action === 'remove') this.#remove(rowId(sensor, device.key))
        else this.#upsert(sensor, device, envelope.timestamp)
        return true
      }
      case 'signal:update': {
        const row = this.rows.get(rowId(sensor, envelope.data.key))
        if (!row) return true
        const { signal, lastSeen, packets, dataBytes } = envelope.data
        const device = row.device
        device.signal = signal
        device.lastSeen = lastSeen
        device.packets = packets
        device.dataBytes = dataBytes
        row.signalAt = envelope.timestamp
        this.#touched(row)
        return true
      }
      default:
        return false
    }
  }

  /** Drops the rows of sensors that are not in `names` (the service no longer reads them). */
  keepSensors(names: readonly string[]): void {
    const kept = new Set(names)
    for (const row of [...this.rows.values()]) if (!kept.has(row.sensor)) this.#remove(row.id)
  }

  /** What changed since the last call. */
  takeChanges(): StoreChanges {
    const changes = this.#changes
    this.#changes = { structure: false, ids: new Set() }
    return changes
  }

  #upsert(sensor: string, device: WifiDevice, timestamp: number): string {
    const id = rowId(sensor, device.key)
    const row = this.rows.get(id)
    if (!row) {
      this.rows.set(id, { id, sensor, device, band: bandOf(device.frequency), haystack: haystackOf(sensor, device), version: 0, signalAt: timestamp })
      this.bySensor.set(sensor, (this.bySensor.get(sensor) ?? 0) + 1)
      this.#changes.structure = true
      this.#changes.ids.add(id)
      return id
    }
    const before = row.device
    row.device = device
    if (before.signal !== device.signal || before.lastSeen !== device.lastSeen) row.signalAt = timestamp
    row.band = bandOf(device.frequency)
    row.haystack = haystackOf(sensor, device)
    this.#touched(row)
    return id
  }

  #remove(id: string): void {
    const row = this.rows.get(id)
    if (!row) return
    this.rows.delete(id)
    const left = (this.bySensor.get(row.sensor) ?? 1) - 1
    if (left > 0) this.bySensor.set(row.sensor, left)
    else this.bySensor.delete(row.sensor)
    this.#changes.structure = true
    this.#changes.ids.add(id)
  }

  #touched(row: DeviceRow): void {
    row.version += 1
    this.#changes.ids.add(row.id)
    // Any field may be the one the table is sorted or filtered by.
    this.#changes.structure = true
  }
}

function haystackOf(sensor: string, device: WifiDevice): string {
  return [displayName(device), device.ssid ?? '', device.mac, device.manufacturer ?? '', device.encryption ?? '', device.type, sensor].join('\n').toLowerCase()
}
