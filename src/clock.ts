// Time as a dependency: domain code asks a Clock for the time and for timers, so tests
// drive it with a ManualClock instead of sleeping.

export type TimerHandle = { readonly id: number } | ReturnType<typeof setTimeout>

export interface Clock {
  now(): number
  setTimeout(fn: () => void, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle): void
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const handle = setTimeout(fn, ms)
    // A pending timer must never keep the process alive after shutdown.
    handle.unref()
    return handle
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}

interface ManualTimer {
  id: number
  at: number
  fn: () => void
}

/** A clock that only moves when told to; timers fire in time order during advance(). */
export class ManualClock implements Clock {
  #now: number
  #nextId = 1
  #timers: ManualTimer[] = []

  constructor(start = 1_795_629_789_000) {
    this.#now = start
  }

  now(): number {
    return this.#now
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { id: this.#nextId++, at: this.#now + Math.max(0, ms), fn }
    this.#timers.push(timer)
    return { id: timer.id }
  }

  clearTimeout(handle: TimerHandle): void {
    const id = (handle as { id?: number }).id
    this.#timers = this.#timers.filter((t) => t.id !== id)
  }

  /** Number of timers waiting to fire. */
  get pending(): number {
    return this.#timers.length
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const target = this.#now + ms
    for (;;) {
      const due = this.#timers
        .filter((t) => t.at <= target)
        .sort((a, b) => a.at - b.at || a.id - b.id)[0]
      if (!due) break
      this.#timers = this.#timers.filter((t) => t !== due)
      this.#now = Math.max(this.#now, due.at)
      due.fn()
    }
    this.#now = target
  }
}
