// Exactly one producer per sensor at a time: the producers that may read a sensor compete for
// a Redis lock (@sesamecare-oss/redlock's `using`, extended automatically while the holder is
// alive). The holder runs `lead` until the lock is lost (an extension failed: it must stop at
// once, another producer may hold it by now) or until it is told to stop (SIGTERM: the lock is
// released, a standby takes over without waiting for the TTL). A lock is a lease, not mutual
// exclusion: a paused holder can briefly overlap its successor, which is why what a leader
// writes is idempotent (the table as told, alert ids) and ids continue from Redis.
import { ExecutionError, Redlock, ResourceLockedError, type RedlockAbortSignal } from '@sesamecare-oss/redlock'
import type { RedisClient } from './redis.js'

export interface LeadershipOptions {
  redis: RedisClient
  /** The lock's key. */
  resource: string
  ttlMs: number
  /** How often a standby tries for the lock. */
  retryMs: number
  /** Runs while this process holds the lock; must return once `lost` fires (or `stopping`). */
  lead: (lease: Lease) => Promise<void>
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void }
  /** For the logs. */
  sensor: string
}

export interface Lease {
  /** Resolves when the lease ends: lost (an extension failed) or given up (stop). */
  readonly ended: Promise<'lost' | 'stopped'>
}

export class Leadership {
  readonly #o: LeadershipOptions
  readonly #redlock: Redlock
  #stopped = false
  #loop: Promise<void> | undefined
  #giveUp: (() => void) | undefined
  #wake: (() => void) | undefined
  leading = false
  /** Times this process became the leader. */
  acquisitions = 0

  constructor(options: LeadershipOptions) {
    this.#o = options
    this.#redlock = new Redlock([options.redis], {
      retryCount: 0,
      // Extend when a third of the lease is left: a busy event loop still gets there in time.
      automaticExtensionThreshold: Math.floor(options.ttlMs / 3),
    })
    // Extension failures reach the routine's signal; the emitter's copy is only logged.
    this.#redlock.on('error', () => {})
  }

  start(): void {
    this.#loop ??= this.#run()
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      try {
        await this.#redlock.using([this.#o.resource], this.#o.ttlMs, async (signal) => this.#hold(signal))
      } catch (error) {
        if (!(error instanceof ResourceLockedError) && !(error instanceof ExecutionError)) {
          this.#o.log.warn({ sensor: this.#o.sensor, err: error }, 'The leader lock could not be taken or released')
        }
      }
      if (this.#stopped) break
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#o.retryMs)
        this.#wake = () => {
          clearTimeout(timer)
          resolve()
        }
      })
      this.#wake = undefined
    }
  }

  async #hold(signal: RedlockAbortSignal): Promise<void> {
    if (this.#stopped) return
    this.leading = true
    this.acquisitions += 1
    this.#o.log.info({ sensor: this.#o.sensor }, 'This producer leads the sensor now')
    let dropped: (() => void) | undefined
    const ended = new Promise<'lost' | 'stopped'>((resolve) => {
      signal.addEventListener('abort', () => resolve('lost'), { once: true })
      this.#giveUp = () => resolve('stopped')
      // Without Redis nothing says this process still holds the lease (a restarted Redis has
      // forgotten it, and a standby may take it the moment Redis is back): stop at once.
      dropped = () => resolve('lost')
      this.#o.redis.once('close', dropped)
    })
    void ended.then((why) => {
      if (why === 'lost') this.#o.log.warn({ sensor: this.#o.sensor, ...(signal.error && { err: signal.error }) }, 'The leader lock was lost (or Redis with it): this producer stops reading the sensor')
    })
    try {
      await this.#o.lead({ ended })
    } finally {
      if (dropped) this.#o.redis.off('close', dropped)
      this.leading = false
      this.#giveUp = undefined
    }
  }

  /** Gives the lock up (released in Redis) once `lead` has returned, and stops competing. */
  async stop(): Promise<void> {
    this.#stopped = true
    this.#giveUp?.()
    this.#wake?.()
    await this.#loop
  }
}
