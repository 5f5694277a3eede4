// Envelopes and the one internal channel they travel on. The pipeline publishes; the
// Socket.IO layer (and tests) subscribe and only route.
import { randomBytes } from 'node:crypto'
import { systemClock, type Clock } from './clock.js'
import type { AnyEnvelope, Envelope, EventDataMap, EventType } from './events.js'
import type { ServiceStats } from './stats.js'

/** What makes envelopes for one producer (a sensor's pipeline stamps its name on each). */
export interface EnvelopeMaker {
  create<T extends EventType>(type: T, data: EventDataMap[T]): Envelope<T>
}

export class EnvelopeFactory {
  readonly runId: string
  #sequence = 0
  readonly #clock: Clock
  readonly #stats: ServiceStats | undefined

  /**
   * `stats`: where every envelope made is counted by type (each one made is sent: the one point of counting).
   * `sequence`: the last sequence number already used (a producer taking a sensor over continues its ids).
   */
  constructor(options: { runId?: string; clock?: Clock; stats?: ServiceStats; sequence?: number } = {}) {
    this.runId = options.runId ?? randomBytes(4).toString('hex')
    this.#sequence = options.sequence ?? 0
    this.#clock = options.clock ?? systemClock
    this.#stats = options.stats
  }

  /** The last sequence number handed out (0 before the first envelope). */
  get sequence(): number {
    return this.#sequence
  }

  create<T extends EventType>(type: T, data: EventDataMap[T], sensor?: string): Envelope<T> {
    this.#sequence += 1
    if (this.#stats) this.#stats.eventsByType[type] += 1
    const envelope: Envelope<T> = { type, data, timestamp: this.#clock.now(), id: `${this.runId}-${this.#sequence}` }
    if (sensor !== undefined) envelope.sensor = sensor
    return envelope
  }

  /** A maker whose envelopes carry `sensor`; the sequence stays this factory's, so ids keep increasing across sensors. */
  forSensor(sensor: string): EnvelopeMaker {
    return { create: (type, data) => this.create(type, data, sensor) }
  }
}

export type EnvelopeListener = (envelope: AnyEnvelope) => void

/** A synchronous fan-out of envelopes to in-process listeners. A throwing listener cannot stop the others. */
export class EventChannel {
  readonly #listeners = new Set<EnvelopeListener>()
  #onListenerError: (error: unknown) => void

  constructor(onListenerError: (error: unknown) => void = () => {}) {
    this.#onListenerError = onListenerError
  }

  subscribe(listener: EnvelopeListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  publish(envelope: AnyEnvelope): void {
    for (const listener of this.#listeners) {
      try {
        listener(envelope)
      } catch (error) {
        this.#onListenerError(error)
      }
    }
  }
}
