// The device table: the last state of every device Kismet reported, and the decision
// what each new record means (SPEC 5.2): a new device, a change of its description
// (`update`, with the exact `changes`), only moving live counters (`signal`), or nothing.
//
// Sized for 50,000 devices polled every 2 s: ingest() costs O(batch), never O(table);
// the WifiDevice objects are stored as given (no copies), so callers must treat a device
// handed to the tracker as immutable. Expiry looks only at the devices old enough to
// expire, through an index of devices by the second of their lastSeen.
import type { DeviceChanges, WifiDevice } from './events.js'

export type TrackerEvent =
  | { kind: 'new'; device: WifiDevice }
  /** `changes`: exactly the fields whose value differs from `previous`, with their new values (a field that disappeared is null). */
  | { kind: 'update'; device: WifiDevice; previous: WifiDevice; changes: DeviceChanges }
  /** Only live counters (signal, lastSeen, packets, dataBytes) moved. */
  | { kind: 'signal'; device: WifiDevice; previous: WifiDevice }
  /** `reason`: unheard for the TTL (`expired`), or missing from a full read of Kismet (`resync`). */
  | { kind: 'remove'; device: WifiDevice; reason: 'expired' | 'resync' }

/** Structural equality for the JSON-like values a WifiDevice holds (location is an object). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a === 'number' && typeof b === 'number') return Number.isNaN(a) && Number.isNaN(b)
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  const aRecord = a as Record<string, unknown>
  const bRecord = b as Record<string, unknown>
  // Keys whose value is undefined count as absent, as they would after JSON.
  const aKeys = Object.keys(aRecord).filter((k) => aRecord[k] !== undefined)
  const bKeys = Object.keys(bRecord).filter((k) => bRecord[k] !== undefined)
  if (aKeys.length !== bKeys.length) return false
  return aKeys.every((k) => sameValue(aRecord[k], bRecord[k]))
}

/**
 * The fields of `next` that differ from `previous`, with the values of `next`, or
 * undefined when nothing differs. `liveOnly` tells whether every difference is a live counter.
 */
export function diffDevices(
  previous: WifiDevice,
  next: WifiDevice,
): { changes: DeviceChanges; liveOnly: boolean } | undefined {
  // Unrolled over the contract's fields: static property access stays monomorphic, where a
  // loop over field names does a keyed (megamorphic) load per field per device.
  let changes: DeviceChanges | undefined
  let liveOnly = true
  const p = previous
  const n = next
  if (p.key !== n.key) { (changes ??= {}).key = n.key; liveOnly = false }
  if (p.mac !== n.mac) { (changes ??= {}).mac = n.mac; liveOnly = false }
  if (p.phy !== n.phy) { (changes ??= {}).phy = n.phy; liveOnly = false }
  if (p.name !== n.name) { (changes ??= {}).name = n.name; liveOnly = false }
  if (p.ssid !== n.ssid) { (changes ??= {}).ssid = n.ssid; liveOnly = false }
  if (p.type !== n.type) { (changes ??= {}).type = n.type; liveOnly = false }
  if (p.manufacturer !== n.manufacturer) { (changes ??= {}).manufacturer = n.manufacturer; liveOnly = false }
  if (!sameNumber(p.channel, n.channel)) { (changes ??= {}).channel = n.channel; liveOnly = false }
  if (!sameNumber(p.frequency, n.frequency)) { (changes ??= {}).frequency = n.frequency; liveOnly = false }
  if (!sameNumber(p.signal, n.signal)) (changes ??= {}).signal = n.signal
  if (p.encryption !== n.encryption) { (changes ??= {}).encryption = n.encryption; liveOnly = false }
  if (!sameNumber(p.firstSeen, n.firstSeen)) { (changes ??= {}).firstSeen = n.firstSeen; liveOnly = false }
  if (!sameNumber(p.lastSeen, n.lastSeen)) (changes ??= {}).lastSeen = n.lastSeen
  if (!sameNumber(p.packets, n.packets)) (changes ??= {}).packets = n.packets
  if (!sameNumber(p.dataBytes, n.dataBytes)) (changes ??= {}).dataBytes = n.dataBytes
  // The optional fields: one the device no longer has is null in `changes` (undefined would vanish in JSON).
  if (!sameNumber(p.clients, n.clients)) { (changes ??= {}).clients = n.clients ?? null; liveOnly = false }
  if (p.bssid !== n.bssid) { (changes ??= {}).bssid = n.bssid ?? null; liveOnly = false }
  if (p.location !== n.location && !sameValue(p.location, n.location)) { (changes ??= {}).location = n.location ?? null; liveOnly = false }
  return changes ? { changes, liveOnly } : undefined
}

function sameNumber(a: number | null | undefined, b: number | null | undefined): boolean {
  return a === b || (a !== a && b !== b)
}

/** lastSeen is indexed per second: Kismet's last_time has a resolution of one second. */
const AGE_BUCKET_MS = 1000
const ageBucket = (lastSeen: number): number => Math.floor(lastSeen / AGE_BUCKET_MS)

export class DeviceTracker {
  readonly ttlMs: number
  /** key -> last state; a Map keeps insertion order for all(). */
  readonly #devices = new Map<string, WifiDevice>()
  /** second of lastSeen -> keys of the devices last seen in that second. */
  readonly #byAge = new Map<number, Set<string>>()

  constructor(options: { ttlMs: number }) {
    if (!(options.ttlMs >= 0)) throw new RangeError(`DeviceTracker ttlMs must be >= 0, got ${options.ttlMs}`)
    this.ttlMs = options.ttlMs
  }

  /**
   * Upserts a batch (an incremental poll). A record equal to the stored one yields no
   * event, since the poller re-fetches with an overlap. When one key appears more than
   * once, the last record wins and yields at most one event, at the place of the first.
   */
  ingest(devices: Iterable<WifiDevice>): TrackerEvent[] {
    const events: TrackerEvent[] = []
    for (const device of lastPerKey(devices).values()) this.#upsert(device, events)
    return events
  }

  /**
   * Applies a full list from Kismet (initial load, refresh, return from an outage, Kismet
   * restart): devices already tracked keep their identity and yield update/signal/nothing
   * like ingest(); then every tracked device missing from the list is removed, unless
   * `keepUnlisted` says it stays (a restarted Kismet has not heard it again yet: it then
   * leaves by the TTL like any device).
   */
  resync(devices: Iterable<WifiDevice>, keepUnlisted: (device: WifiDevice) => boolean = () => false): TrackerEvent[] {
    const events: TrackerEvent[] = []
    const listed = lastPerKey(devices)
    for (const device of listed.values()) this.#upsert(device, events)
    // Deleting the current entry while iterating a Map is safe.
    for (const [key, device] of this.#devices) {
      if (!listed.has(key) && !keepUnlisted(device)) {
        this.#delete(device)
        events.push({ kind: 'remove', device, reason: 'resync' })
      }
    }
    return events
  }

  /**
   * A device Kismet announced as just created (eventbus NEW_DEVICE): `new` when the table
   * does not have it, else nothing. A poll that was first has the fuller record, and the
   * polls own everything that follows: a push never updates a device.
   */
  add(device: WifiDevice): TrackerEvent | undefined {
    if (this.#devices.has(device.key)) return undefined
    const events: TrackerEvent[] = []
    this.#upsert(device, events)
    return events[0]
  }

  /** Removes the devices with lastSeen < nowMs - ttlMs, oldest first. */
  expire(nowMs: number): TrackerEvent[] {
    const cutoff = nowMs - this.ttlMs
    const cutoffBucket = ageBucket(cutoff)
    const due: number[] = []
    // Only the bucket index is scanned (about one entry per second of TTL), not the table.
    for (const bucket of this.#byAge.keys()) if (bucket <= cutoffBucket) due.push(bucket)
    due.sort((a, b) => a - b)

    const events: TrackerEvent[] = []
    for (const bucket of due) {
      const keys = this.#byAge.get(bucket)
      if (!keys) continue
      for (const key of [...keys]) {
        const device = this.#devices.get(key)
        // The cutoff bucket straddles the cutoff: check each of its devices.
        if (!device || !(device.lastSeen < cutoff)) continue
        this.#delete(device)
        events.push({ kind: 'remove', device, reason: 'expired' })
      }
    }
    return events
  }

  get(key: string): WifiDevice | undefined {
    return this.#devices.get(key)
  }

  /** A snapshot of the table, in insertion order. */
  all(): WifiDevice[] {
    return [...this.#devices.values()]
  }

  /** The table in insertion order, without a copy (do not change the table while iterating). */
  values(): IterableIterator<WifiDevice> {
    return this.#devices.values()
  }

  get size(): number {
    return this.#devices.size
  }

  clear(): void {
    this.#devices.clear()
    this.#byAge.clear()
  }

  #upsert(device: WifiDevice, events: TrackerEvent[]): void {
    const previous = this.#devices.get(device.key)
    if (!previous) {
      this.#devices.set(device.key, device)
      this.#index(device)
      events.push({ kind: 'new', device })
      return
    }
    const diff = diffDevices(previous, device)
    if (!diff) return // keep the stored object: nothing to tell anyone
    this.#devices.set(device.key, device)
    if (ageBucket(previous.lastSeen) !== ageBucket(device.lastSeen)) {
      this.#unindex(previous)
      this.#index(device)
    }
    events.push(
      diff.liveOnly
        ? { kind: 'signal', device, previous }
        : { kind: 'update', device, previous, changes: diff.changes },
    )
  }

  #delete(device: WifiDevice): void {
    this.#devices.delete(device.key)
    this.#unindex(device)
  }

  #index(device: WifiDevice): void {
    const bucket = ageBucket(device.lastSeen)
    let keys = this.#byAge.get(bucket)
    if (!keys) {
      keys = new Set()
      this.#byAge.set(bucket, keys)
    }
    keys.add(device.key)
  }

  #unindex(device: WifiDevice): void {
    const bucket = ageBucket(device.lastSeen)
    const keys = this.#byAge.get(bucket)
    if (!keys) return
    keys.delete(device.key)
    if (keys.size === 0) this.#byAge.delete(bucket)
  }
}

/** The batch de-duplicated by key: the last record wins, in the order keys first appear. */
function lastPerKey(devices: Iterable<WifiDevice>): Map<string, WifiDevice> {
  const byKey = new Map<string, WifiDevice>()
  for (const device of devices) byKey.set(device.key, device)
  return byKey
}
