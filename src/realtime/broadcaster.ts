// Routes envelopes from the internal channel to Socket.IO rooms, and gives a socket that
// newly joins a topic what it needs first: the device table as `device:snapshot` chunks,
// the latest scan and system status.
import { EVENT_TYPES, type AnyEnvelope, type Envelope, type EventDataMap, type Topic, type WifiDevice } from '../events.js'
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
    // A fresh envelope, not the old one: ids must keep increasing at this client.
    if (topics.includes('scan') && this.#lastScan) this.#sendCopy(socket, 'scan:status', this.#lastScan.data)
    if (topics.includes('system') && this.#lastSystem) this.#sendCopy(socket, 'system:status', this.#lastSystem.data)
  }

  #sendCopy<T extends 'scan:status' | 'system:status'>(socket: RealtimeSocket, type: T, data: EventDataMap[T]): void {
    socket.emit('event', this.#d.factory.create(type, data) as AnyEnvelope)
    this.#d.stats.eventsByType[type] += 1
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
