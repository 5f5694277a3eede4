// Between a leading producer's pipeline and the Socket.IO stream: every envelope is folded
// into the sensor's table (FoldedTable) at once, in order, and goes on to the broadcaster
// only after the table that includes it is in Redis. So whatever a client can receive from
// the stream, the table in Redis already holds: a gateway's snapshot is never behind the
// stream it joins (src/scale/snapshot-gate.ts relies on that), and the next leader starts
// from at least what clients were told.
//
// While Redis is away the envelopes wait here, at most `maxHeld`; past that they are dropped
// and, once Redis is back, clients get the sensor's whole table again (device:snapshot and
// alert:snapshot to the sensor's rooms), which replaces whatever they missed.
import type { AlertBacklog } from '../alerts.js'
import type { AnyEnvelope } from '../events.js'
import type { EnvelopeMaker } from '../envelope.js'
import { snapshotChunks } from '../realtime/broadcaster.js'
import { sequenceOf } from './keys.js'
import type { FoldedTable } from './shared-state.js'
import type { RedisClient, RedisHealth } from './redis.js'

export const DEFAULT_MAX_HELD = 20_000
const RETRY_FIRST_MS = 100
const RETRY_MAX_MS = 2000

export interface StateWriterOptions {
  redis: RedisClient
  health: RedisHealth
  sensor: string
  table: FoldedTable
  /** The alerts the sensor's Kismet still holds (written with a batch when they changed). */
  backlog: Pick<AlertBacklog, 'version' | 'list'>
  /** Makes the resync envelopes (the sensor's own maker: ids keep increasing). */
  maker: EnvelopeMaker
  /** Where envelopes go once written (the broadcaster's channel). */
  forward: (envelope: AnyEnvelope) => void
  maxHeld?: number
  /**
   * A leader that found nothing in Redis for its sensor (a new cluster, or a Redis that lost
   * its data) does not know what clients were told: until this says the first full read of
   * Kismet is done, device and alert envelopes are folded but not sent, and then clients get
   * the whole table (device:snapshot, alert:snapshot) instead of a `new` per device.
   */
  quietUntil?: () => boolean
  log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void }
}

export class StateWriter {
  readonly #o: StateWriterOptions
  readonly #maxHeld: number
  #queue: AnyEnvelope[] = []
  #writing: Promise<void> | undefined
  #retryMs = RETRY_FIRST_MS
  #retryTimer: NodeJS.Timeout | undefined
  /** The sequence of the whole-table envelopes in the queue (0: none). */
  #resyncQueued = 0
  #closed = false
  #quiet: (() => boolean) | undefined
  /** Envelopes dropped because Redis stayed away too long (counted for /stats). */
  dropped = 0
  /** Batches written. */
  writes = 0
  /** The sequence of the last whole-table resync written and sent (0: none): the leader's record carries it to the gateways. */
  resyncSeq = 0

  constructor(options: StateWriterOptions) {
    this.#o = options
    this.#maxHeld = options.maxHeld ?? DEFAULT_MAX_HELD
    this.#quiet = options.quietUntil
  }

  /** Ends the quiet start once its condition holds (called on each envelope and by the producer's refresh). */
  check(): void {
    if (!this.#quiet?.()) return
    this.#quiet = undefined
    this.#queueResync()
    this.#schedule()
  }

  /**
   * The whole table, made now, in its place in the queue: what came before is in it, what
   * comes after follows it (a client replaces its table with it, then applies the rest).
   */
  #queueResync(): void {
    const envelopes = this.#resyncEnvelopes()
    for (const envelope of envelopes) {
      this.#o.table.fold(envelope)
      this.#queue.push(envelope)
    }
    this.#resyncQueued = sequenceOf(envelopes[0]!.id)
  }

  get held(): number {
    return this.#queue.length
  }

  push(envelope: AnyEnvelope): void {
    if (this.#closed) return
    this.check()
    this.#o.table.fold(envelope)
    if (this.#quiet && isTableEvent(envelope)) return
    this.#queue.push(envelope)
    if (this.#queue.length > this.#maxHeld) {
      this.dropped += this.#queue.length
      this.#queue = []
      this.#o.log.warn({ sensor: this.#o.sensor, held: this.#maxHeld }, 'Redis is away and too many envelopes are held: dropped; clients get the whole table again once it is back')
      this.#queueResync()
    }
    this.#schedule()
  }

  #schedule(): void {
    if (this.#writing || this.#retryTimer) return
    this.#writing = (async () => {
      // Everything published in this turn of the event loop goes in one write.
      await new Promise<void>((resolve) => setImmediate(resolve))
      await this.#writeOnce()
    })().finally(() => {
      this.#writing = undefined
      if (this.#queue.length > 0) this.#schedule()
    })
  }

  async #writeOnce(): Promise<void> {
    const batch = this.#queue
    if (batch.length === 0) return
    this.#queue = []
    const resync = this.#resyncQueued
    this.#resyncQueued = 0
    try {
      await this.#o.table.write(this.#o.redis, this.#o.sensor, this.#o.backlog)
    } catch (error) {
      this.#o.health.failed(error)
      // Held for the next try, ahead of what came meanwhile.
      this.#resyncQueued ||= resync
      this.#queue = [...batch, ...this.#queue]
      this.#retryTimer = setTimeout(() => {
        this.#retryTimer = undefined
        this.#schedule()
      }, this.#retryMs)
      this.#retryMs = Math.min(RETRY_MAX_MS, this.#retryMs * 2)
      return
    }
    if (resync > 0) {
      this.resyncSeq = resync
      this.#o.log.info({ sensor: this.#o.sensor, devices: this.#o.table.size }, 'The whole table goes to clients again (device:snapshot, alert:snapshot)')
    }
    this.#retryMs = RETRY_FIRST_MS
    this.writes += 1
    for (const envelope of batch) this.#o.forward(envelope)
  }

  #resyncEnvelopes(): AnyEnvelope[] {
    const envelopes: AnyEnvelope[] = snapshotChunks([...this.#o.table.values()]).map((chunk) => this.#o.maker.create('device:snapshot', chunk))
    envelopes.push(this.#o.maker.create('alert:snapshot', { alerts: this.#o.backlog.list() }))
    return envelopes
  }

  /** Waits until what is queued is written and forwarded (or until `limitMs`), then stops. */
  async close(limitMs: number): Promise<void> {
    const deadline = Date.now() + limitMs
    while ((this.#writing || this.#queue.length > 0) && Date.now() < deadline) {
      if (this.#writing) await Promise.race([this.#writing, new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())))])
      else if (this.#retryTimer) break
      else this.#schedule()
    }
    this.#closed = true
    if (this.#retryTimer) clearTimeout(this.#retryTimer)
    this.#retryTimer = undefined
  }
}

const isTableEvent = (envelope: AnyEnvelope): boolean => envelope.type === 'device:update' || envelope.type === 'signal:update' || envelope.type === 'alert:new'
