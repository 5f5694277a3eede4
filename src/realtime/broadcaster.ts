// Routes envelopes from the internal channel to Socket.IO rooms, and gives a socket that
// newly joins a topic what it needs first: the device table as `device:snapshot` chunks,
// the latest scan and system status.
import { EVENT_TYPES, type AnyEnvelope, type Envelope, type Topic, type WifiDevice } from '../events.js'
import type { EnvelopeFactory, EventChannel } from '../envelope.js'
import type { ServiceStats } from '../stats.js'
import type { RealtimeServer, RealtimeSocket } from './types.js'

export const SNAPSHOT_CHUNK_SIZE = 500

export interface BroadcasterDeps {
  io: RealtimeServer
  channel: EventChannel
  factory: EnvelopeFactory
  stats: ServiceStats
  /** The current device table. */
  devices: () => WifiDevice[]
}

export class Broadcaster {
  readonly #d: BroadcasterDeps
  readonly #unsubscribe: () => void
  #lastScan: Envelope<'scan:status'> | undefined
  #lastSystem: Envelope<'system:status'> | undefined

  constructor(deps: BroadcasterDeps) {
    this.#d = deps
    this.#unsubscribe = deps.channel.subscribe((envelope) => this.#route(envelope))
  }

  #route(envelope: AnyEnvelope): void {
    if (envelope.type === 'server:shutdown') {
      this.#d.io.emit('event', envelope)
      return
    }
    if (envelope.type === 'scan:status') this.#lastScan = envelope
    if (envelope.type === 'system:status') this.#lastSystem = envelope
    const room = EVENT_TYPES[envelope.type].room
    this.#d.io.to(room).emit('event', envelope)
  }

  /** What a socket gets right after it joins topics it was not in. */
  welcome(socket: RealtimeSocket, topics: Topic[]): void {
    if (topics.includes('devices')) this.sendSnapshot(socket)
    if (topics.includes('scan') && this.#lastScan) socket.emit('event', this.#lastScan)
    if (topics.includes('system') && this.#lastSystem) socket.emit('event', this.#lastSystem)
  }

  sendSnapshot(socket: RealtimeSocket): void {
    const devices = this.#d.devices()
    const chunks = Math.max(1, Math.ceil(devices.length / SNAPSHOT_CHUNK_SIZE))
    for (let chunk = 0; chunk < chunks; chunk++) {
      const slice = devices.slice(chunk * SNAPSHOT_CHUNK_SIZE, (chunk + 1) * SNAPSHOT_CHUNK_SIZE)
      socket.emit('event', this.#d.factory.create('device:snapshot', { devices: slice, chunk, chunks }))
      this.#d.stats.eventsByType['device:snapshot'] += 1
    }
  }

  close(): void {
    this.#unsubscribe()
  }
}
