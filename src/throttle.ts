// The coalescer between the tracker and the event channel (SPEC 3, "Throttling coalesces,
// it never loses the final state").
//
// Each stream (device:update per device, signal:update per device, scan:status,
// system:status) has a window per key. An event for a key whose window is closed goes out
// at once (leading edge) and opens the window; events inside the window only replace the
// pending value, which goes out when the window ends (trailing edge) and opens the next
// window. `new` and `remove` bypass the windows. alert:new is never throttled.
//
// Per device the throttle keeps `known`, what the devices room was last sent, and
// `latest`, the tracker's newest state. What to send is decided on the net difference
// between the two, so `changes` of coalesced updates are merged and exact, a field that
// changed and changed back is not sent, and a net difference in live counters only goes
// out as a signal:update. A device with nothing pending and no open window has no slot at
// all: the room then knows exactly the tracker's state, which is the `previous` of the
// device's next tracker event. Memory therefore follows the active devices, not the table.
//
// At most one envelope is pending per device: while a device:update is pending, signal
// changes ride along in it (it carries the latest device). A delivered device:update
// drops a pending signal:update and restarts the device's signal window, so live
// counters never reach the room more often than once per signal window.
//
// The throttle must see every tracker event, in order: the slot-less invariant above
// relies on it, and so does "no update before new" (`new` is sent at once, never held).
import type { Clock, TimerHandle } from './clock.js'
import type { EnvelopeMaker } from './envelope.js'
import type { Alert, AnyEnvelope, DeviceUpdateData, ScanStatusData, SystemStatusData, WifiDevice } from './events.js'
import type { ServiceStats } from './stats.js'
import { diffDevices, sameValue, type TrackerEvent } from './tracker.js'

export interface ThrottleWindows {
  /** device:update with action 'update', per device */
  deviceUpdateMs: number
  /** signal:update, per device */
  signalMs: number
  scanMs: number
  systemMs: number
}

export const DEFAULT_WINDOWS: ThrottleWindows = Object.freeze({
  deviceUpdateMs: 500,
  signalMs: 250,
  scanMs: 1000,
  systemMs: 2000,
})

export interface EventThrottleOptions {
  clock: Clock
  /** Window lengths; 0 (or less) disables throttling of that stream. */
  windows?: Partial<ThrottleWindows>
  factory: EnvelopeMaker
  /** Receives every envelope. Should not throw (EventChannel.publish never does). */
  publish: (envelope: AnyEnvelope) => void
  /** Where coalesced events are counted (envelopes are counted by the factory). */
  stats?: ServiceStats
}

/**
 * Open windows of one length, keyed, served by a single clock timer. Windows are opened
 * at non-decreasing times with the same length, so the Map's insertion order is the order
 * of their deadlines: expiry pops from the head, re-opening moves a key to the tail.
 */
class WindowQueue {
  readonly #ms: number
  readonly #clock: Clock
  readonly #onExpire: (key: string) => void
  readonly #deadlines = new Map<string, number>()
  #lastDeadline = -Infinity
  #timer: TimerHandle | undefined

  constructor(ms: number, clock: Clock, onExpire: (key: string) => void) {
    this.#ms = ms
    this.#clock = clock
    this.#onExpire = onExpire
  }

  isOpen(key: string): boolean {
    return this.#deadlines.has(key)
  }

  /** (Re)starts the window of `key` now. A zero window never opens. */
  open(key: string): void {
    if (!(this.#ms > 0)) return
    // max(): a wall clock stepping back must not break the deadline order.
    const deadline = Math.max(this.#clock.now() + this.#ms, this.#lastDeadline)
    this.#lastDeadline = deadline
    this.#deadlines.delete(key)
    this.#deadlines.set(key, deadline)
    this.#arm()
  }

  cancel(key: string): void {
    this.#deadlines.delete(key)
    if (this.#deadlines.size === 0) this.#disarm()
  }

  clear(): void {
    this.#deadlines.clear()
    this.#disarm()
  }

  #arm(): void {
    if (this.#timer !== undefined) return
    const head = this.#deadlines.values().next()
    if (head.done) return
    this.#timer = this.#clock.setTimeout(() => this.#fire(), Math.max(0, head.value - this.#clock.now()))
  }

  #disarm(): void {
    if (this.#timer === undefined) return
    this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
  }

  #fire(): void {
    this.#timer = undefined
    const now = this.#clock.now()
    try {
      for (const [key, deadline] of this.#deadlines) {
        if (deadline > now) break
        // Deleted before the callback, which may re-open the key (at the tail, due later).
        this.#deadlines.delete(key)
        this.#onExpire(key)
      }
    } finally {
      // Even if a callback threw, the remaining windows keep their timer.
      this.#arm()
    }
  }
}

/** Latest-value throttle for a status stream (one key). */
class StatusStream<T> {
  #pending: T | undefined
  #hasPending = false
  #lastSent: T | undefined
  #hasSent = false
  readonly #windows: WindowQueue
  /** Drop a value equal to the last one delivered (scan:status). */
  readonly #dropRepeats: boolean
  readonly #send: (value: T) => void
  readonly #absorbed: () => void

  constructor(options: { ms: number; clock: Clock; dropRepeats: boolean; send: (value: T) => void; absorbed: () => void }) {
    this.#dropRepeats = options.dropRepeats
    this.#send = options.send
    this.#absorbed = options.absorbed
    this.#windows = new WindowQueue(options.ms, options.clock, () => this.#pump(false))
  }

  get pending(): boolean {
    return this.#hasPending
  }

  push(value: T): void {
    if (this.#hasPending) this.#absorbed()
    this.#pending = value
    this.#hasPending = true
    this.#pump(false)
  }

  flush(): void {
    this.#pump(true)
  }

  close(): void {
    this.#windows.clear()
    this.#pending = undefined
    this.#hasPending = false
  }

  #pump(force: boolean): void {
    if (!this.#hasPending) return
    if (!force && this.#windows.isOpen('')) return
    const value = this.#pending as T
    this.#pending = undefined
    this.#hasPending = false
    if (this.#dropRepeats && this.#hasSent && sameValue(this.#lastSent, value)) {
      this.#absorbed()
      return
    }
    this.#lastSent = value
    this.#hasSent = true
    this.#windows.open('')
    this.#send(value)
  }
}

/** What the throttle holds for a device with something pending or a window open. */
interface DeviceSlot {
  /** The state the devices room was last sent (the baseline of `changes`). */
  known: WifiDevice
  /** The tracker's newest state. */
  latest: WifiDevice
  /** The one envelope waiting for its window, if any. */
  pending: 'update' | 'signal' | undefined
  /** Tracker events received since the last envelope for this device that none has carried yet. */
  waiting: number
}

export class EventThrottle {
  readonly windows: Readonly<ThrottleWindows>
  readonly #factory: EnvelopeMaker
  readonly #publish: (envelope: AnyEnvelope) => void
  readonly #stats: ServiceStats | undefined
  readonly #slots = new Map<string, DeviceSlot>()
  readonly #updateWindows: WindowQueue
  readonly #signalWindows: WindowQueue
  readonly #scan: StatusStream<ScanStatusData>
  readonly #system: StatusStream<SystemStatusData>
  #pendingDevices = 0
  #closed = false

  constructor(options: EventThrottleOptions) {
    const { clock } = options
    this.windows = Object.freeze({ ...DEFAULT_WINDOWS, ...definedOnly(options.windows ?? {}) })
    this.#factory = options.factory
    this.#publish = options.publish
    this.#stats = options.stats
    this.#updateWindows = new WindowQueue(this.windows.deviceUpdateMs, clock, (key) => this.#windowEnded(key))
    this.#signalWindows = new WindowQueue(this.windows.signalMs, clock, (key) => this.#windowEnded(key))
    const absorbed = () => this.#absorbed(1)
    this.#scan = new StatusStream<ScanStatusData>({
      ms: this.windows.scanMs,
      clock,
      dropRepeats: true,
      send: (data) => this.#send(this.#factory.create('scan:status', data)),
      absorbed,
    })
    this.#system = new StatusStream<SystemStatusData>({
      ms: this.windows.systemMs,
      clock,
      dropRepeats: false,
      send: (data) => this.#send(this.#factory.create('system:status', data)),
      absorbed,
    })
  }

  /**
   * What the devices room was last told of a device, when that differs from the tracker's
   * state (an update or signal is held in its window); undefined when the room knows exactly
   * the tracker's state (see the header). Pipeline.deviceAsSaid reads it.
   */
  known(key: string): WifiDevice | undefined {
    return this.#slots.get(key)?.known
  }

  /** Envelopes waiting for the end of their window. */
  get pending(): number {
    return this.#pendingDevices + (this.#scan.pending ? 1 : 0) + (this.#system.pending ? 1 : 0)
  }

  device(event: TrackerEvent): void {
    if (this.#closed) return
    switch (event.kind) {
      case 'new':
      case 'remove': {
        // Never delayed. Whatever was pending for the device is superseded: a `new`
        // carries the whole record, and a removed device needs no more updates.
        this.#forget(event.device.key)
        const data: DeviceUpdateData = event.kind === 'new' ? { device: event.device, action: 'new' } : { device: event.device, action: 'remove', reason: event.reason }
        this.#send(this.#factory.create('device:update', data))
        return
      }
      case 'update':
      case 'signal': {
        const key = event.device.key
        let slot = this.#slots.get(key)
        if (!slot) {
          // No slot: the room knows exactly the tracker's previous state.
          slot = { known: event.previous, latest: event.device, pending: undefined, waiting: 0 }
          this.#slots.set(key, slot)
        }
        slot.latest = event.device
        slot.waiting += 1
        this.#pump(key, slot, false)
        return
      }
    }
  }

  alert(alert: Alert): void {
    if (this.#closed) return
    this.#send(this.#factory.create('alert:new', { alert }))
  }

  scanStatus(data: ScanStatusData): void {
    if (this.#closed) return
    this.#scan.push(data)
  }

  systemStatus(data: SystemStatusData): void {
    if (this.#closed) return
    this.#system.push(data)
  }

  /** Delivers everything pending now, regardless of windows (shutdown, refresh). */
  flush(): void {
    if (this.#closed) return
    for (const [key, slot] of [...this.#slots]) {
      if (slot.pending) this.#pump(key, slot, true)
    }
    this.#scan.flush()
    this.#system.flush()
  }

  /** Cancels every timer and drops what is pending; later calls do nothing. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#updateWindows.clear()
    this.#signalWindows.clear()
    this.#scan.close()
    this.#system.close()
    this.#slots.clear()
    this.#pendingDevices = 0
  }

  /**
   * Sends, holds or drops what the room is missing for one device, decided on the net
   * difference between `known` and `latest`. `force` ignores the windows (flush).
   */
  #pump(key: string, slot: DeviceSlot, force: boolean): void {
    const diff = diffDevices(slot.known, slot.latest)
    if (!diff) {
      // Changed and changed back: the room is up to date.
      this.#absorbed(slot.waiting)
      slot.waiting = 0
      this.#setPending(slot, undefined)
      this.#release(key, slot)
      return
    }
    if (!diff.liveOnly) {
      if (!force && this.#updateWindows.isOpen(key)) {
        this.#setPending(slot, 'update')
        return
      }
      this.#deliver(slot)
      this.#send(this.#factory.create('device:update', { device: slot.latest, action: 'update', changes: diff.changes }))
      // The update carried the latest live counters too: any pending signal went with it
      // (see #deliver), and the signal window starts afresh from this delivery, so a
      // device never gets live counters more often than once per signal window.
      this.#signalWindows.open(key)
      this.#updateWindows.open(key)
      this.#release(key, slot)
      return
    }
    if (!force && this.#signalWindows.isOpen(key)) {
      // A pending update whose other changes were reverted becomes a pending signal.
      this.#setPending(slot, 'signal')
      return
    }
    this.#deliver(slot)
    const { mac, signal, lastSeen, packets, dataBytes } = slot.latest
    this.#send(this.#factory.create('signal:update', { key, mac, signal, lastSeen, packets, dataBytes }))
    this.#signalWindows.open(key)
    this.#release(key, slot)
  }

  /** Bookkeeping for an envelope about to be sent for this device. */
  #deliver(slot: DeviceSlot): void {
    this.#absorbed(slot.waiting - 1)
    slot.waiting = 0
    this.#setPending(slot, undefined)
    slot.known = slot.latest
  }

  #windowEnded(key: string): void {
    const slot = this.#slots.get(key)
    if (!slot) return
    if (slot.pending) this.#pump(key, slot, false)
    else this.#release(key, slot)
  }

  /** Drops a device's slot and windows; what was waiting counts as absorbed. */
  #forget(key: string): void {
    const slot = this.#slots.get(key)
    if (!slot) return
    this.#absorbed(slot.waiting)
    this.#setPending(slot, undefined)
    this.#slots.delete(key)
    this.#updateWindows.cancel(key)
    this.#signalWindows.cancel(key)
  }

  /** A slot with nothing pending and no open window is not needed (see the header). */
  #release(key: string, slot: DeviceSlot): void {
    if (slot.pending || this.#updateWindows.isOpen(key) || this.#signalWindows.isOpen(key)) return
    this.#slots.delete(key)
  }

  #setPending(slot: DeviceSlot, pending: DeviceSlot['pending']): void {
    if (slot.pending && !pending) this.#pendingDevices -= 1
    if (!slot.pending && pending) this.#pendingDevices += 1
    slot.pending = pending
  }

  #absorbed(count: number): void {
    if (this.#stats && count > 0) this.#stats.coalesced += count
  }

  #send(envelope: AnyEnvelope): void {
    this.#publish(envelope)
  }
}

function definedOnly(windows: Partial<ThrottleWindows>): Partial<ThrottleWindows> {
  return Object.fromEntries(Object.entries(windows).filter(([, v]) => v !== undefined))
}
