// WATCH_WEBHOOK_URL: every watch:found / watch:lost envelope as a JSON POST, one request at a
// time in order, retried with a doubling delay from a bounded queue. Enqueueing never waits:
// a slow or absent receiver holds its own queue, never the stream. When the queue is full the
// oldest envelope is dropped (counted); one that fails every attempt is dropped too (counted).
import { backoffDelay } from '../backoff.js'
import type { Clock, TimerHandle } from '../clock.js'
import { urlForLogs } from '../config.js'
import type { AnyEnvelope } from '../events.js'

export interface WebhookOptions {
  url: string
  clock: Clock
  log: { warn(obj: object, msg: string): void }
  /** Envelopes waiting at most (default 1000). */
  maxQueue?: number
  /** Attempts per envelope (default 8: about 4 minutes of retries with the default delay). */
  maxAttempts?: number
  /** First retry delay; it doubles per attempt (default 1000 ms). */
  retryDelayMs?: number
  /** One request's time limit (default 5000 ms). */
  timeoutMs?: number
}

export interface WebhookCounters {
  delivered: number
  /** Attempts that failed (no answer, a timeout, a non-2xx status). */
  failures: number
  /** Envelopes given up: the queue was full, or every attempt failed. */
  dropped: number
  queued: number
}

export class Webhook {
  readonly counters: WebhookCounters = { delivered: 0, failures: 0, dropped: 0, queued: 0 }
  /** Where it posts, without credentials or query (for logs and /stats). */
  readonly target: string
  readonly #o: Required<Omit<WebhookOptions, 'log' | 'clock' | 'url'>> & Pick<WebhookOptions, 'log' | 'clock'>
  readonly #url: string
  readonly #headers: Record<string, string>
  readonly #queue: AnyEnvelope[] = []
  #attempt = 0
  #busy = false
  #timer: TimerHandle | undefined
  #closed = false
  readonly #settled = new Set<() => void>()

  constructor(options: WebhookOptions) {
    this.#o = { maxQueue: 1000, maxAttempts: 8, retryDelayMs: 1000, timeoutMs: 5000, ...options }
    // fetch refuses a URL with user info: it becomes an Authorization header.
    const url = new URL(options.url)
    this.#headers = { 'content-type': 'application/json', 'user-agent': 'kismet-ws' }
    if (url.username !== '' || url.password !== '') {
      this.#headers['authorization'] = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`
      url.username = ''
      url.password = ''
    }
    this.#url = url.toString()
    this.target = urlForLogs(options.url)
  }

  /** Queues an envelope and returns at once. */
  enqueue(envelope: AnyEnvelope): void {
    if (this.#closed) return
    if (this.#queue.length >= this.#o.maxQueue) {
      this.#queue.shift()
      // The head may be the one being retried: its attempts start over with the next.
      this.#attempt = 0
      this.counters.dropped += 1
    }
    this.#queue.push(envelope)
    this.counters.queued = this.#queue.length
    this.#pump()
  }

  /** Resolves after the next attempt ends (tests wait for it instead of for time). */
  nextAttempt(): Promise<void> {
    return new Promise((resolve) => this.#settled.add(resolve))
  }

  close(): void {
    this.#closed = true
    if (this.#timer) this.#o.clock.clearTimeout(this.#timer)
    this.#timer = undefined
  }

  #pump(): void {
    if (this.#busy || this.#timer || this.#closed) return
    const envelope = this.#queue[0]
    if (!envelope) return
    this.#busy = true
    void this.#post(envelope).then((ok) => {
      this.#busy = false
      if (this.#queue[0] === envelope) {
        if (ok) {
          this.#queue.shift()
          this.#attempt = 0
          this.counters.delivered += 1
        } else {
          this.counters.failures += 1
          this.#attempt += 1
          if (this.#attempt === 1) this.#o.log.warn({ webhook: this.target, type: envelope.type, id: envelope.id }, 'A webhook delivery failed; retrying with backoff')
          if (this.#attempt >= this.#o.maxAttempts) {
            this.#queue.shift()
            this.#attempt = 0
            this.counters.dropped += 1
            this.#o.log.warn({ webhook: this.target, type: envelope.type, id: envelope.id }, `Gave up on a webhook delivery after ${this.#o.maxAttempts} attempts`)
          }
        }
      } else if (!ok) {
        this.counters.failures += 1
      }
      this.counters.queued = this.#queue.length
      for (const resolve of this.#settled) resolve()
      this.#settled.clear()
      if (this.#attempt > 0) {
        this.#timer = this.#o.clock.setTimeout(() => {
          this.#timer = undefined
          this.#pump()
        }, backoffDelay(this.#attempt, this.#o.retryDelayMs, this.#o.maxAttempts))
      } else {
        this.#pump()
      }
    })
  }

  async #post(envelope: AnyEnvelope): Promise<boolean> {
    try {
      const response = await fetch(this.#url, { method: 'POST', headers: this.#headers, body: JSON.stringify(envelope), signal: AbortSignal.timeout(this.#o.timeoutMs) })
      // The body is not read; it must be consumed or cancelled for the connection to be reused.
      await response.body?.cancel()
      return response.ok
    } catch {
      return false
    }
  }
}
