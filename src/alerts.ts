// Alert de-duplication (SPEC 5.3: each Kismet alert is emitted exactly once, even across
// reconnects, when the poller re-reads an overlapping or whole backlog). Memory is
// bounded: the oldest ids are forgotten first. Kismet keeps a backlog of only 50 alerts
// by default, so an id that has fallen out of a 10k window can no longer be re-served.
import type { Alert } from './events.js'

export class AlertDeduper {
  readonly capacity: number
  // A Set iterates in insertion order, so its first element is always the oldest id.
  readonly #seen = new Set<string>()

  constructor(capacity = 10_000) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`AlertDeduper capacity must be a positive integer, got ${capacity}`)
    }
    this.capacity = capacity
  }

  /** True the first time this alert's id is seen (emit it), false for a repeat (drop it). */
  accept(alert: Alert): boolean {
    if (this.#seen.has(alert.id)) return false
    this.#seen.add(alert.id)
    if (this.#seen.size > this.capacity) {
      const oldest = this.#seen.values().next()
      if (!oldest.done) this.#seen.delete(oldest.value)
    }
    return true
  }

  has(id: string): boolean {
    return this.#seen.has(id)
  }

  get size(): number {
    return this.#seen.size
  }
}

/** Kismet's `alertbacklog` default: it holds its last 50 alerts. */
export const KISMET_ALERT_BACKLOG = 50

/**
 * The alerts Kismet still holds, as far as this service knows them: every alert seen (by
 * poll or by push), the newest KISMET_ALERT_BACKLOG by Kismet's timestamp. A socket that
 * subscribes to `alerts` gets them first (`alert:snapshot`). A Kismet restart empties
 * Kismet's backlog, and so this one.
 */
export class AlertBacklog {
  readonly capacity: number
  readonly #byId = new Map<string, Alert>()
  #version = 0

  constructor(capacity = KISMET_ALERT_BACKLOG) {
    this.capacity = capacity
  }

  keep(alert: Alert): void {
    if (this.#byId.has(alert.id)) return
    this.#byId.set(alert.id, alert)
    this.#version += 1
    if (this.#byId.size <= this.capacity) return
    let oldest: Alert | undefined
    for (const candidate of this.#byId.values()) if (oldest === undefined || candidate.timestamp < oldest.timestamp) oldest = candidate
    if (oldest) this.#byId.delete(oldest.id)
  }

  clear(): void {
    this.#byId.clear()
    this.#version += 1
  }

  /** Changes with every change of the list: whoever copies it elsewhere copies only a new one. */
  get version(): number {
    return this.#version
  }

  /** Oldest first. */
  list(): Alert[] {
    return [...this.#byId.values()].sort((a, b) => a.timestamp - b.timestamp)
  }

  get size(): number {
    return this.#byId.size
  }
}

/**
 * Where every alert enters a pipeline, polled or pushed: kept in the backlog, and emitted
 * (`emit`) the first time its id is seen. So an alert that comes by push and again by poll,
 * in either order, or twice across a reconnect, goes out once.
 */
export class AlertIntake {
  readonly deduper: AlertDeduper
  readonly backlog: AlertBacklog
  readonly #emit: (alert: Alert) => void

  constructor(options: { deduper: AlertDeduper; backlog: AlertBacklog; emit: (alert: Alert) => void }) {
    this.deduper = options.deduper
    this.backlog = options.backlog
    this.#emit = options.emit
  }

  take(alert: Alert): void {
    this.backlog.keep(alert)
    if (this.deduper.accept(alert)) this.#emit(alert)
  }

  /** Kismet restarted (or another server answers): the alerts it held are gone. */
  kismetRestarted(): void {
    this.backlog.clear()
  }
}
