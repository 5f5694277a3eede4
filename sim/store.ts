// The device table, indexed the way the endpoints ask for it: by key, by MAC, by the AP a
// client talks to, and by last_time second, so /devices/last-time/{ts} touches only the
// devices that changed since ts instead of scanning (let alone rendering) the whole table.
import type { SimDevice } from './types.js'

export interface DeviceEntry {
  device: SimDevice
  /** Creation order: Kismet lists devices in the order it created them. */
  seq: number
  /** Weakest / strongest signal seen (Kismet's min_signal / max_signal); 0 = none yet. */
  minSignal: number
  maxSignal: number
  /** When the location last changed (seconds), for the location triplets' time_sec. */
  locationTimeSec: number
  /** When the strongest signal was heard (seconds): `signal/peak_loc`'s time_sec. */
  peakTimeSec: number
}

export class DeviceStore {
  readonly #byKey = new Map<string, DeviceEntry>()
  readonly #keyByMac = new Map<string, string>()
  readonly #clientsByBssid = new Map<string, Set<string>>()
  /** last_time second -> keys, and the distinct seconds in ascending order. */
  readonly #bySecond = new Map<number, Set<string>>()
  #seconds: number[] = []
  #nextSeq = 1

  get size(): number {
    return this.#byKey.size
  }

  get(key: string): DeviceEntry | undefined {
    return this.#byKey.get(key)
  }

  keyForMac(mac: string): string | undefined {
    return this.#keyByMac.get(mac)
  }

  /** Every entry in creation order. */
  entries(): IterableIterator<DeviceEntry> {
    return this.#byKey.values()
  }

  /** Keys of the devices whose last BSSID is `mac` (the clients of an AP). */
  clientsOf(mac: string): ReadonlySet<string> {
    return this.#clientsByBssid.get(mac) ?? EMPTY
  }

  add(device: SimDevice): DeviceEntry {
    const existing = this.#byKey.get(device.key)
    if (existing) this.remove(device.key)
    const signal = device.signal
    const entry: DeviceEntry = {
      device,
      seq: this.#nextSeq++,
      minSignal: signal,
      maxSignal: signal,
      locationTimeSec: device.lastTime,
      peakTimeSec: device.lastTime,
    }
    this.#byKey.set(device.key, entry)
    this.#keyByMac.set(device.mac, device.key)
    this.#indexBssid(device, true)
    this.#indexTime(device.key, device.lastTime, true)
    return entry
  }

  /** Applies `change` to a device, keeping every index right. */
  update(key: string, change: (device: SimDevice) => void): DeviceEntry | undefined {
    const entry = this.#byKey.get(key)
    if (!entry) return undefined
    const device = entry.device
    const before = { lastTime: device.lastTime, bssid: device.bssid, mac: device.mac, location: device.location }
    this.#indexBssid(device, false)
    change(device)
    if (device.mac !== before.mac) {
      this.#keyByMac.delete(before.mac)
      this.#keyByMac.set(device.mac, key)
    }
    this.#indexBssid(device, true)
    if (device.lastTime !== before.lastTime) {
      this.#indexTime(key, before.lastTime, false)
      this.#indexTime(key, device.lastTime, true)
    }
    if (device.signal !== 0) {
      entry.minSignal = entry.minSignal === 0 ? device.signal : Math.min(entry.minSignal, device.signal)
      if (entry.maxSignal === 0 || device.signal > entry.maxSignal) entry.peakTimeSec = device.lastTime
      entry.maxSignal = entry.maxSignal === 0 ? device.signal : Math.max(entry.maxSignal, device.signal)
    }
    if (device.location !== before.location) entry.locationTimeSec = device.modTime
    return entry
  }

  remove(key: string): boolean {
    const entry = this.#byKey.get(key)
    if (!entry) return false
    this.#byKey.delete(key)
    if (this.#keyByMac.get(entry.device.mac) === key) this.#keyByMac.delete(entry.device.mac)
    this.#indexBssid(entry.device, false)
    this.#indexTime(key, entry.device.lastTime, false)
    return true
  }

  clear(): void {
    this.#byKey.clear()
    this.#keyByMac.clear()
    this.#clientsByBssid.clear()
    this.#bySecond.clear()
    this.#seconds = []
  }

  /**
   * Entries with last_time > ts (strict) or >= ts (inclusive), in creation order. Cost is
   * proportional to the number of matching devices, not to the size of the table.
   */
  since(ts: number, inclusive: boolean): DeviceEntry[] {
    const seconds = this.#seconds
    // First index whose second passes the comparison.
    let lo = 0
    let hi = seconds.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const second = seconds[mid] as number
      if (inclusive ? second >= ts : second > ts) hi = mid
      else lo = mid + 1
    }
    const out: DeviceEntry[] = []
    for (let i = lo; i < seconds.length; i++) {
      const keys = this.#bySecond.get(seconds[i] as number)
      if (!keys) continue
      for (const key of keys) {
        const entry = this.#byKey.get(key)
        if (entry) out.push(entry)
      }
    }
    return out.sort((a, b) => a.seq - b.seq)
  }

  #indexBssid(device: SimDevice, add: boolean): void {
    const bssid = device.bssid
    if (bssid === null || bssid === device.mac) return
    let keys = this.#clientsByBssid.get(bssid)
    if (add) {
      if (!keys) this.#clientsByBssid.set(bssid, (keys = new Set()))
      keys.add(device.key)
    } else if (keys) {
      keys.delete(device.key)
      if (keys.size === 0) this.#clientsByBssid.delete(bssid)
    }
  }

  #indexTime(key: string, second: number, add: boolean): void {
    let keys = this.#bySecond.get(second)
    if (add) {
      if (!keys) {
        this.#bySecond.set(second, (keys = new Set()))
        this.#insertSecond(second)
      }
      keys.add(key)
    } else if (keys) {
      keys.delete(key)
      if (keys.size === 0) {
        this.#bySecond.delete(second)
        this.#removeSecond(second)
      }
    }
  }

  #insertSecond(second: number): void {
    const seconds = this.#seconds
    // Devices are nearly always heard "now", so the new second usually goes last.
    if (seconds.length === 0 || (seconds[seconds.length - 1] as number) < second) {
      seconds.push(second)
      return
    }
    seconds.splice(lowerBound(seconds, second), 0, second)
  }

  #removeSecond(second: number): void {
    const index = lowerBound(this.#seconds, second)
    if (this.#seconds[index] === second) this.#seconds.splice(index, 1)
  }
}

const EMPTY: ReadonlySet<string> = new Set()

function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((sorted[mid] as number) < value) lo = mid + 1
    else hi = mid
  }
  return lo
}
