// Waiting in tests for a condition that events make true, without sleeping: whoever sees an
// event calls wake(), and each waiter checks its condition again.

/** Resolves once `condition()` holds, re-checked whenever `wake` is called; rejects after `timeoutMs`. */
export class Waiters {
  readonly #waiters = new Set<() => void>()

  wake(): void {
    for (const waiter of [...this.#waiters]) waiter()
  }

  /** `what` names what is awaited in the timeout's message (a function: described when the time is up). */
  until(condition: () => boolean, what: string | (() => string), timeoutMs = 5000): Promise<void> {
    if (condition()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!condition()) return
        clearTimeout(timer)
        this.#waiters.delete(check)
        resolve()
      }
      const timer = setTimeout(() => {
        this.#waiters.delete(check)
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`))
      }, timeoutMs)
      this.#waiters.add(check)
    })
  }
}
