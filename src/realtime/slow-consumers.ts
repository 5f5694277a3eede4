// Clients that do not read what they are sent. For such a client engine.io queues packets
// in the connection's writeBuffer while its transport is busy, and ws queues what the kernel
// would not take (bufferedAmount): both grow for as long as events flow. This module drops a
// socket whose backlog (engine.ts measures it) stays above a bound without shrinking.
import type { Clock, TimerHandle } from '../clock.js'
import { backlogBytes, forceClose } from './engine.js'
import type { ServiceStats } from '../stats.js'
import type { RealtimeServer, RealtimeSocket } from './types.js'

export interface SlowConsumerLimits {
  /** Bytes queued for one client (engine.io writeBuffer + ws bufferedAmount) above which it is watched. */
  maxBacklogBytes: number
  /** A client above the bound whose backlog has not shrunk for this long is dropped (0: at the first check). */
  graceMs: number
  /** How often backlogs are checked. */
  checkEveryMs: number
}

export const DEFAULT_SLOW_CONSUMER_LIMITS: SlowConsumerLimits = { maxBacklogBytes: 8 * 1024 * 1024, graceMs: 10_000, checkEveryMs: 1000 }

export class SlowConsumerGuard {
  readonly #io: RealtimeServer
  readonly #clock: Clock
  readonly #stats: ServiceStats
  readonly #limits: SlowConsumerLimits
  readonly #onDrop: (socket: RealtimeSocket, backlog: number) => void
  /** socket id -> since when it is over the bound, and its smallest backlog since then. */
  #watched = new Map<string, { since: number; least: number }>()
  #timer: TimerHandle | undefined
  #running = false

  constructor(options: {
    io: RealtimeServer
    clock: Clock
    stats: ServiceStats
    limits: SlowConsumerLimits
    onDrop?: (socket: RealtimeSocket, backlog: number) => void
  }) {
    this.#io = options.io
    this.#clock = options.clock
    this.#stats = options.stats
    this.#limits = options.limits
    this.#onDrop = options.onDrop ?? (() => {})
  }

  start(): void {
    if (this.#running) return
    this.#running = true
    this.#schedule()
  }

  stop(): void {
    this.#running = false
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
    this.#watched.clear()
  }

  /** One check of every socket; returns how many were dropped. */
  check(): number {
    const now = this.#clock.now()
    const watched = new Map<string, { since: number; least: number }>()
    let dropped = 0
    for (const socket of this.#io.of('/').sockets.values()) {
      const backlog = backlogBytes(socket.conn)
      if (backlog <= this.#limits.maxBacklogBytes) continue
      const previous = this.#watched.get(socket.id)
      // Shrinking below the least seen means the client reads: its grace starts over.
      const entry = previous && backlog >= previous.least ? previous : { since: now, least: backlog }
      if (now - entry.since >= this.#limits.graceMs) {
        dropped += 1
        this.#stats.socketsDropped += 1
        this.#onDrop(socket, backlog)
        socket.disconnect(true)
        forceClose(socket.conn)
        continue
      }
      watched.set(socket.id, entry)
    }
    this.#watched = watched
    return dropped
  }

  #schedule(): void {
    if (!this.#running) return
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined
      try {
        this.check()
      } finally {
        this.#schedule()
      }
    }, this.#limits.checkEveryMs)
  }
}
