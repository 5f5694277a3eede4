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
