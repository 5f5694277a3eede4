// Real socket.io-client helpers (after socket.io's own test utilities): createClient on
// the service's port, waitFor an event, and a recorder of envelopes.
import { io as connect, type Socket, type ManagerOptions, type SocketOptions } from 'socket.io-client'
import type { AnyEnvelope, ClientToServerEvents, EventType, ServerToClientEvents } from '../../src/events.js'
import type { TestLike } from '../helper.js'
import { Waiters } from './waiters.js'

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>

export function createClient(t: TestLike, url: string, options: Partial<ManagerOptions & SocketOptions> = {}): ClientSocket {
  const socket: ClientSocket = connect(url, { transports: ['websocket'], reconnection: false, forceNew: true, ...options })
  t.teardown(() => socket.disconnect())
  return socket
}

/** Resolves with the first `event` (matching `predicate`), or rejects after `timeoutMs`. */
type UntypedEmitter = { on(event: string, fn: (value: never) => void): unknown; off(event: string, fn: (value: never) => void): unknown }

export function waitFor<T = unknown>(
  client: ClientSocket,
  event: string,
  predicate: (value: T) => boolean = () => true,
  timeoutMs = 5000,
): Promise<T> {
  // Tests wait for reserved events (connect_error) and our own alike: untyped on purpose.
  const socket = client as unknown as UntypedEmitter
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, listener)
      reject(new Error(`timed out after ${timeoutMs} ms waiting for "${event}"`))
    }, timeoutMs)
    const listener = (value: T) => {
      if (!predicate(value)) return
      clearTimeout(timer)
      socket.off(event, listener)
      resolve(value)
    }
    socket.on(event, listener)
  })
}

/**
 * Collects every envelope a client receives, one by one (`envelopes`) and in batched `events`
 * packets (`batches`), and waits for the ones a test expects.
 */
export class EnvelopeRecorder {
  readonly envelopes: AnyEnvelope[] = []
  readonly batches: AnyEnvelope[][] = []
  readonly #waiters = new Waiters()

  constructor(socket: ClientSocket) {
    socket.on('event', (envelope) => {
      this.envelopes.push(envelope)
      this.#wake()
    })
    socket.on('events', (envelopes) => {
      this.batches.push(envelopes)
      this.#wake()
    })
  }

  ofType<T extends EventType>(type: T): Extract<AnyEnvelope, { type: T }>[] {
    return this.envelopes.filter((e): e is Extract<AnyEnvelope, { type: T }> => e.type === type)
  }

  /** Resolves once `condition` holds over the envelopes received one by one so far. */
  until(condition: (envelopes: AnyEnvelope[]) => boolean, timeoutMs = 5000): Promise<AnyEnvelope[]> {
    return this.#waitFor(() => condition(this.envelopes), timeoutMs).then(() => this.envelopes)
  }

  /** Resolves once `condition` holds over the `events` packets received so far. */
  untilBatches(condition: (batches: AnyEnvelope[][]) => boolean, timeoutMs = 5000): Promise<AnyEnvelope[][]> {
    return this.#waitFor(() => condition(this.batches), timeoutMs).then(() => this.batches)
  }

  #wake(): void {
    this.#waiters.wake()
  }

  #waitFor(holds: () => boolean, timeoutMs: number): Promise<void> {
    const received = () => `more; received ${this.envelopes.map((e) => e.type).join(', ') || 'nothing'} one by one and ${this.batches.length} events packets`
    return this.#waiters.until(holds, received, timeoutMs)
  }
}
