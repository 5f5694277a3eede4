// The bounded queue of a stream output: the latest event per uid, at most `capacity` uids.
// A newer event of a queued uid takes its place (TAK clients only keep the latest anyway);
// when a new uid finds the queue full, the oldest is dropped. So a slow or dead server
// holds at most `capacity` events here, whatever is produced meanwhile.
import type { CotMessage } from '../markers.js'

export class LatestPerUidQueue {
  readonly capacity: number
  /** Map order is arrival order of each uid; replacing a value keeps its place, so a busy uid is not starved. */
  readonly #items = new Map<string, CotMessage>()

  constructor(capacity: number) {
    if (!(capacity >= 1)) throw new RangeError(`queue capacity must be at least 1, got ${capacity}`)
    this.capacity = capacity
  }

  get size(): number {
    return this.#items.size
  }

  /** Queues `message`; returns how many queued events it made obsolete or pushed out (0 or 1). */
  push(message: CotMessage): number {
    const queued = this.#items.get(message.uid)
    if (queued !== undefined) {
      this.#items.set(message.uid, message)
      return queued === message ? 0 : 1
    }
    let dropped = 0
    if (this.#items.size >= this.capacity) {
      const oldest = this.#items.keys().next()
      if (!oldest.done) this.#items.delete(oldest.value)
      dropped = 1
    }
    this.#items.set(message.uid, message)
    return dropped
  }

  shift(): CotMessage | undefined {
    const first = this.#items.entries().next()
    if (first.done) return undefined
    this.#items.delete(first.value[0])
    return first.value[1]
  }
}
