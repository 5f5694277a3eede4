// The last few minutes of signal (and position, when known) per device, for a trend. Fed from
// the event channel (device:update, signal:update), one table per sensor; a device's history
// goes when the device is removed.
//
// Memory is fixed per device whatever it does, and kept out of the object graph: time is cut
// into steps (HISTORY_STEP_S) and a device owns one slot per step of the window, in a ring. A
// slot holds the last signal heard in that step as one signed byte (dBm); the slot of a step is
// `step % slots`, and the device's newest step tells which steps the ring holds. Every device's
// slots live in pages of typed arrays (a device is an index into them; a page holds
// PAGE_DEVICES devices, so growing copies nothing and wastes at most one page), and the only
// per-device object is its Map entry: 60 bytes of signal and 12 of bookkeeping at the defaults
// (5 minutes of 5 s steps). Positions change far less often than signals, so a device that has
// a location keeps its last POSITION_CHANGES changes (step, lat, lon in 1e-7 degrees, about
// 1 cm): 96 more bytes.
import type { AnyEnvelope, Location } from '../events.js'

export interface HistorySettings {
  /** How far back a device's history reaches (0: no history kept). */
  windowMs: number
  /** One sample per step: the last value heard in it. */
  stepMs: number
}

export const DEFAULT_HISTORY: HistorySettings = Object.freeze({ windowMs: 300_000, stepMs: 5_000 })

/** Position changes kept per device (a moving sensor's devices move at every poll). */
export const POSITION_CHANGES = 8

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
  /** Where the device was at each step of `signal`, when it had a location then (and the change is still kept). */
  location: PositionSample[]
}

/** No signal in this slot. Signals are clamped to -127..127 dBm. */
const EMPTY_SIGNAL = -128
/** No position: the device had none from this step on. */
const NO_POSITION = -0x80000000
const DEGREES = 1e7
const PAGE_DEVICES = 1024

// Per-device bookkeeping, in an Int32Array record.
const NEWEST = 0 // the newest step the ring holds (-1: none yet)
const POSITIONS = 1 // index in the position pool, or -1
const WRITTEN = 2 // position changes written so far (the ring's next slot is WRITTEN % POSITION_CHANGES)
const META_WIDTH = 3

/** Fixed-size records in pages of one typed array each, handed out and given back by index. */
class RecordPool<T extends Int8Array | Int32Array> {
  readonly width: number
  readonly #make: (length: number) => T
  readonly #empty: number
  readonly #pages: T[] = []
  readonly #free: number[] = []
  #used = 0

  constructor(make: (length: number) => T, width: number, empty: number) {
    this.#make = make
    this.width = width
    this.#empty = empty
  }

  get bytes(): number {
    return this.#pages.length * PAGE_DEVICES * this.width * (this.#pages[0]?.BYTES_PER_ELEMENT ?? 0)
  }

  allocate(): number {
    const index = this.#free.pop() ?? this.#used++
    if (index >= this.#pages.length * PAGE_DEVICES) this.#pages.push(this.#make(PAGE_DEVICES * this.width))
    this.clear(index)
    return index
  }

  release(index: number): void {
    this.#free.push(index)
  }

  /** The page holding record `index`, and where the record starts in it. */
  page(index: number): T {
    return this.#pages[Math.floor(index / PAGE_DEVICES)]!
  }

  base(index: number): number {
    return (index % PAGE_DEVICES) * this.width
  }

  clear(index: number, from = 0, to = this.width): void {
    const base = this.base(index)
    this.page(index).fill(this.#empty, base + from, base + to)
  }
}

/** Signal and position history of every sensor's devices. */
export class SignalHistory {
  readonly windowMs: number
  readonly stepMs: number
  readonly #slots: number
  readonly #signals: RecordPool<Int8Array>
  readonly #meta: RecordPool<Int32Array>
  readonly #positions: RecordPool<Int32Array>
  /** sensor -> device key -> index in the signal and meta pools. */
  readonly #bySensor = new Map<string, Map<string, number>>()

  constructor(settings: HistorySettings = DEFAULT_HISTORY) {
    if (!(settings.stepMs >= 1)) throw new RangeError(`history stepMs must be >= 1, got ${settings.stepMs}`)
    if (!(settings.windowMs >= 0)) throw new RangeError(`history windowMs must be >= 0, got ${settings.windowMs}`)
    this.windowMs = settings.windowMs
    this.stepMs = settings.stepMs
    this.#slots = Math.ceil(settings.windowMs / settings.stepMs)
    this.#signals = new RecordPool((n) => new Int8Array(n), this.#slots, EMPTY_SIGNAL)
    this.#meta = new RecordPool((n) => new Int32Array(n), META_WIDTH, -1)
    this.#positions = new RecordPool((n) => new Int32Array(n), POSITION_CHANGES * 3, NO_POSITION)
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

  /** Bytes held in the record pools (allocated pages, free records included). */
  get poolBytes(): number {
    return this.#signals.bytes + this.#meta.bytes + this.#positions.bytes
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
    let index = devices.get(key)
    if (index === undefined) {
      index = this.#signals.allocate()
      if (this.#meta.allocate() !== index) throw new Error('history pools out of step') // allocated and released together
      devices.set(key, index)
    }
    const meta = this.#meta.page(index)
    const at = this.#meta.base(index)
    const step = Math.floor(t / this.stepMs)
    const newest = meta[at + NEWEST]!
    if (newest >= 0 && step <= newest - this.#slots) return // older than the ring
    if (newest < 0 || step > newest) this.#advance(index, newest, step)
    if (signal !== null && Number.isFinite(signal)) {
      this.#signals.page(index)[this.#signals.base(index) + (step % this.#slots)] = Math.max(-127, Math.min(127, Math.round(signal)))
    }
    if (location !== undefined) this.#recordPosition(index, step, location)
  }

  /** Drops a device's history (it was removed). */
  forget(sensor: string, key: string): void {
    const devices = this.#bySensor.get(sensor)
    const index = devices?.get(key)
    if (!devices || index === undefined) return
    devices.delete(key)
    const positions = this.#meta.page(index)[this.#meta.base(index) + POSITIONS]!
    if (positions >= 0) this.#positions.release(positions)
    this.#signals.release(index)
    this.#meta.release(index)
  }

  /** Drops every device of a sensor. */
  forgetSensor(sensor: string): void {
    for (const key of [...(this.#bySensor.get(sensor)?.keys() ?? [])]) this.forget(sensor, key)
    this.#bySensor.delete(sensor)
  }

  /** A device's samples within the window ending at `nowMs`, oldest first (empty when it has none). */
  of(sensor: string, key: string, nowMs: number): DeviceHistory {
    const history: DeviceHistory = { windowMs: this.windowMs, stepMs: this.stepMs, signal: [], location: [] }
    const index = this.#bySensor.get(sensor)?.get(key)
    if (index === undefined) return history
    const meta = this.#meta.page(index)
    const at = this.#meta.base(index)
    const newest = meta[at + NEWEST]!
    // Steps that start within the window (the one it begins in only if it begins at its start).
    const first = Math.max(newest - this.#slots + 1, Math.ceil((nowMs - this.windowMs) / this.stepMs))
    const signals = this.#signals.page(index)
    const base = this.#signals.base(index)
    const changes = this.#positionChanges(index)
    let change = -1 // the last change at or before the step
    for (let step = first; step <= newest; step++) {
      const dbm = signals[base + (step % this.#slots)]!
      if (dbm === EMPTY_SIGNAL) continue
      const t = step * this.stepMs
      history.signal.push({ t, dbm })
      while (change + 1 < changes.length && changes[change + 1]!.step <= step) change++
      const position = changes[change]
      if (position && position.lat !== NO_POSITION) history.location.push({ t, lat: position.lat / DEGREES, lon: position.lon / DEGREES })
    }
    return history
  }

  /** The ring moves on to `step`: the slots of the steps in between are emptied. */
  #advance(index: number, newest: number, step: number): void {
    if (newest < 0 || step - newest >= this.#slots) this.#signals.clear(index)
    else {
      for (let s = newest + 1; s <= step; s++) this.#signals.clear(index, s % this.#slots, (s % this.#slots) + 1)
    }
    this.#meta.page(index)[this.#meta.base(index) + NEWEST] = step
  }

  #recordPosition(index: number, step: number, location: Location | null): void {
    const meta = this.#meta.page(index)
    const at = this.#meta.base(index)
    const valid = location !== null && Number.isFinite(location.lat) && Number.isFinite(location.lon)
    let positions = meta[at + POSITIONS]!
    if (positions < 0) {
      if (!valid) return // never had one: nothing to say
      positions = this.#positions.allocate()
      meta[at + POSITIONS] = positions
      meta[at + WRITTEN] = 0
    }
    const lat = valid ? Math.round(location.lat * DEGREES) : NO_POSITION
    const lon = valid ? Math.round(location.lon * DEGREES) : NO_POSITION
    const written = meta[at + WRITTEN]!
    const page = this.#positions.page(positions)
    const base = this.#positions.base(positions)
    if (written > 0) {
      const last = base + ((written - 1) % POSITION_CHANGES) * 3
      if (page[last + 1] === lat && page[last + 2] === lon) return // not a change
      if (page[last] === step) {
        page[last + 1] = lat // a second change within a step: the last one wins
        page[last + 2] = lon
        return
      }
    }
    const slot = base + (written % POSITION_CHANGES) * 3
    page[slot] = step
    page[slot + 1] = lat
    page[slot + 2] = lon
    meta[at + WRITTEN] = written + 1
  }

  /** The position changes kept for a device, oldest first. */
  #positionChanges(index: number): Array<{ step: number; lat: number; lon: number }> {
    const meta = this.#meta.page(index)
    const at = this.#meta.base(index)
    const positions = meta[at + POSITIONS]!
    if (positions < 0) return []
    const written = meta[at + WRITTEN]!
    const page = this.#positions.page(positions)
    const base = this.#positions.base(positions)
    const changes = []
    for (let n = Math.max(0, written - POSITION_CHANGES); n < written; n++) {
      const slot = base + (n % POSITION_CHANGES) * 3
      changes.push({ step: page[slot]!, lat: page[slot + 1]!, lon: page[slot + 2]! })
    }
    return changes
  }
}
