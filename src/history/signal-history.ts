// The last few minutes of signal (and position, when known) per device, for a trend. Fed from
// the event channel (device:update, signal:update), one table per sensor; a device's history
// goes when the device is removed.
//
// Memory is fixed per device whatever it does: time is cut into steps (HISTORY_STEP_S) and a
// device owns one slot per step of the window, in a ring. A slot holds the last signal heard
// in that step as one signed byte (dBm); the slot of a step is `step % slots`, and the
// device's newest step tells which steps the ring holds. All devices' rings live in one
// growing Int8Array (a device is an index into it), so a device costs its slots plus a Map
// entry, not an object graph: 60 bytes of signal at the defaults (5 minutes of 5 s steps).
// Positions take 8 bytes a slot (lat and lon in 1e-7 degrees, about 1 cm), in a second pool,
// only for devices that ever had a location.
import type { AnyEnvelope, Location } from '../events.js'

export interface HistorySettings {
  /** How far back a device's history reaches (0: no history kept). */
  windowMs: number
  /** One sample per step: the last value heard in it. */
  stepMs: number
}

export const DEFAULT_HISTORY: HistorySettings = Object.freeze({ windowMs: 300_000, stepMs: 5_000 })

/** A step's signal: `t` is the step's start (epoch ms, the service's clock). */
export interface SignalSample {
  t: number
  dbm: number
}

export interface PositionSample {
  t: number
  lat: number
  lon: number
}

export interface DeviceHistory {
  windowMs: number
  stepMs: number
  /** Oldest first. */
  signal: SignalSample[]
  /** Oldest first; steps where the device was heard while it had a location. */
  location: PositionSample[]
}

/** No signal in this slot. Signals are clamped to -127..127 dBm. */
const EMPTY_SIGNAL = -128
/** No position in this slot. */
const EMPTY_POSITION = -0x80000000
const DEGREES = 1e7
const FIRST_CAPACITY = 256

/** Fixed-size records in one typed array, handed out and given back by index. */
class SlotPool<T extends Int8Array | Int32Array> {
  readonly #make: (length: number) => T
  readonly #width: number
  readonly #empty: number
  #data: T
  #capacity = 0
  #used = 0
  readonly #free: number[] = []

  constructor(make: (length: number) => T, width: number, empty: number) {
    this.#make = make
    this.#width = width
    this.#empty = empty
    this.#data = make(0)
  }

  get data(): T {
    return this.#data
  }

  get bytes(): number {
    return this.#data.byteLength
  }

  allocate(): number {
    const index = this.#free.pop() ?? this.#used++
    if (index >= this.#capacity) this.#grow()
    this.clear(index)
    return index
  }

  release(index: number): void {
    this.#free.push(index)
  }

  clear(index: number, from = 0, to = this.#width): void {
    const base = index * this.#width
    this.#data.fill(this.#empty, base + from, base + to)
  }

  #grow(): void {
    const capacity = Math.max(FIRST_CAPACITY, this.#capacity * 2)
    const data = this.#make(capacity * this.#width)
    data.set(this.#data)
    this.#data = data
    this.#capacity = capacity
  }
}

interface Ring {
  /** Index in the signal pool (and in the newest-step list). */
  signal: number
  /** Index in the position pool, or -1. */
  position: number
  /** The newest step the ring holds. */
  newest: number
  /** The last position heard (1e-7 degrees), carried into steps where only the signal moved. */
  lat: number
  lon: number
}

/** Signal and position history of every sensor's devices. */
export class SignalHistory {
  readonly windowMs: number
  readonly stepMs: number
  readonly #slots: number
  readonly #signals: SlotPool<Int8Array>
  readonly #positions: SlotPool<Int32Array>
  /** sensor -> device key -> record. */
  readonly #bySensor = new Map<string, Map<string, Ring>>()

  constructor(settings: HistorySettings = DEFAULT_HISTORY) {
    if (!(settings.stepMs >= 1)) throw new RangeError(`history stepMs must be >= 1, got ${settings.stepMs}`)
    if (!(settings.windowMs >= 0)) throw new RangeError(`history windowMs must be >= 0, got ${settings.windowMs}`)
    this.windowMs = settings.windowMs
    this.stepMs = settings.stepMs
    this.#slots = Math.ceil(settings.windowMs / settings.stepMs)
    this.#signals = new SlotPool((n) => new Int8Array(n), this.#slots, EMPTY_SIGNAL)
    this.#positions = new SlotPool((n) => new Int32Array(n), this.#slots * 2, EMPTY_POSITION)
  }

  get enabled(): boolean {
    return this.#slots > 0
  }

  /** Devices with a history. */
  get size(): number {
    let size = 0
    for (const devices of this.#bySensor.values()) size += devices.size
    return size
  }

  /** Bytes held in the slot pools (allocated capacity, free slots included). */
  get poolBytes(): number {
    return this.#signals.bytes + this.#positions.bytes
  }

  /** What an envelope says about signal and position; everything else is ignored. */
  observe(envelope: AnyEnvelope): void {
    if (!this.enabled || envelope.sensor === undefined) return
    if (envelope.type === 'signal:update') {
      this.record(envelope.sensor, envelope.data.key, envelope.timestamp, envelope.data.signal)
    } else if (envelope.type === 'device:update') {
      const { action, device, changes } = envelope.data
      if (action === 'remove') this.forget(envelope.sensor, device.key)
      // An update that only renamed or reclassified the device says nothing new about its signal.
      else if (action === 'new' || changes === undefined || 'signal' in changes || 'lastSeen' in changes || 'location' in changes) {
        this.record(envelope.sensor, device.key, envelope.timestamp, device.signal, device.location ?? null)
      }
    }
  }

  /**
   * One observation at `t`: the signal (null: none heard) and, when given, the location
   * (null: the device has none now; undefined: unchanged, as in a signal:update).
   */
  record(sensor: string, key: string, t: number, signal: number | null, location?: Location | null): void {
    if (!this.enabled) return
    let devices = this.#bySensor.get(sensor)
    if (!devices) this.#bySensor.set(sensor, (devices = new Map()))
    let record = devices.get(key)
    if (!record) {
      record = { signal: this.#signals.allocate(), position: -1, newest: Number.NEGATIVE_INFINITY, lat: EMPTY_POSITION, lon: EMPTY_POSITION }
      devices.set(key, record)
    }
    const step = Math.floor(t / this.stepMs)
    if (step <= record.newest - this.#slots) return // older than the ring
    if (step > record.newest) this.#advance(record, step)
    const slot = step % this.#slots
    if (signal !== null && Number.isFinite(signal)) {
      this.#signals.data[record.signal * this.#slots + slot] = Math.max(-127, Math.min(127, Math.round(signal)))
    }
    if (location !== undefined) {
      if (location === null || !Number.isFinite(location.lat) || !Number.isFinite(location.lon)) {
        record.lat = record.lon = EMPTY_POSITION
      } else {
        record.lat = Math.round(location.lat * DEGREES)
        record.lon = Math.round(location.lon * DEGREES)
      }
    }
    if (record.lat !== EMPTY_POSITION) {
      if (record.position < 0) record.position = this.#positions.allocate()
      const base = record.position * this.#slots * 2 + slot * 2
      this.#positions.data[base] = record.lat
      this.#positions.data[base + 1] = record.lon
    }
  }

  /** Drops a device's history (it was removed). */
  forget(sensor: string, key: string): void {
    const devices = this.#bySensor.get(sensor)
    const record = devices?.get(key)
    if (!devices || !record) return
    devices.delete(key)
    this.#signals.release(record.signal)
    if (record.position >= 0) this.#positions.release(record.position)
  }

  /** Drops every device of a sensor. */
  forgetSensor(sensor: string): void {
    for (const key of [...(this.#bySensor.get(sensor)?.keys() ?? [])]) this.forget(sensor, key)
    this.#bySensor.delete(sensor)
  }

  /** A device's samples within the window ending at `nowMs`, oldest first (empty when it has none). */
  of(sensor: string, key: string, nowMs: number): DeviceHistory {
    const history: DeviceHistory = { windowMs: this.windowMs, stepMs: this.stepMs, signal: [], location: [] }
    const record = this.#bySensor.get(sensor)?.get(key)
    if (!record) return history
    // Steps that start within the window (the one it begins in only if it begins at its start).
    const oldestWanted = Math.ceil((nowMs - this.windowMs) / this.stepMs)
    const first = Math.max(record.newest - this.#slots + 1, oldestWanted)
    const signals = this.#signals.data
    const positions = this.#positions.data
    for (let step = first; step <= record.newest; step++) {
      const slot = step % this.#slots
      const t = step * this.stepMs
      const dbm = signals[record.signal * this.#slots + slot]!
      if (dbm !== EMPTY_SIGNAL) history.signal.push({ t, dbm })
      if (record.position >= 0) {
        const base = record.position * this.#slots * 2 + slot * 2
        const lat = positions[base]!
        if (lat !== EMPTY_POSITION) history.location.push({ t, lat: lat / DEGREES, lon: positions[base + 1]! / DEGREES })
      }
    }
    return history
  }

  /** The ring moves on to `step`: the slots of the steps in between are emptied. */
  #advance(record: Ring, step: number): void {
    const skipped = step - record.newest
    if (skipped >= this.#slots) {
      this.#signals.clear(record.signal)
      if (record.position >= 0) this.#positions.clear(record.position)
    } else {
      for (let s = record.newest + 1; s <= step; s++) {
        const slot = s % this.#slots
        this.#signals.clear(record.signal, slot, slot + 1)
        if (record.position >= 0) this.#positions.clear(record.position, slot * 2, slot * 2 + 2)
      }
    }
    record.newest = step
  }
}
