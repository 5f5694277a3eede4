// A token bucket per socket: `capacity` messages at once, refilled at `refillPerSecond`.
// Synchronous and clock-driven so tests control time.
import type { Clock } from '../clock.js'

export interface TokenBucketOptions {
  capacity: number
  refillPerSecond: number
  clock: Clock
}

export class TokenBucket {
  #tokens: number
  #updatedAt: number
  readonly #o: TokenBucketOptions

  constructor(options: TokenBucketOptions) {
    this.#o = options
    this.#tokens = options.capacity
    this.#updatedAt = options.clock.now()
  }

  /** Takes one token; false when the bucket is empty. */
  take(): boolean {
    const now = this.#o.clock.now()
    const refill = ((now - this.#updatedAt) / 1000) * this.#o.refillPerSecond
    this.#tokens = Math.min(this.#o.capacity, this.#tokens + refill)
    this.#updatedAt = now
    if (this.#tokens < 1) return false
    this.#tokens -= 1
    return true
  }
}
