// Routes envelopes from the internal channel to Socket.IO rooms, and gives a socket that
// newly joins a topic what it needs first: the device table as `device:snapshot` chunks,
// the alerts Kismet still holds as `alert:snapshot`, the latest scan status, and a system
// status made now (current figures, one per sensor).
//
// Sockets that asked for batched delivery sit in the batch room of the topics they take
// batched (rooms.ts): its envelopes are gathered and sent as one `events` packet, in order. One packet per envelope is what bounds
// fan-out (the per-packet cost dominates); a batch of N costs about one. A batch waits only
// for the burst it belongs to (what is published in the same turn of the event loop, like a
// poll cycle's events), and packets keep at least BATCH_INTERVAL_MS apart: a quiet stream
// goes out at once, a busy one in packets of one interval each. A full batch
// (MAX_BATCH_ENVELOPES) goes at once, and so does what is pending when a socket's rooms
// change (see ClientHandlerDeps.beforeBatchRoomChange).
//
// Filtered subscriptions (`devices~<filter id>` streams, rooms.ts): the FilterRegistry judges
// each device envelope once per distinct filter; the envelope goes in one broadcast to the
// plain rooms and to the rooms of every filter it is forwarded to, a device entering filters
// goes as one `new` to all their rooms, one leaving as one `remove`. With no filter in use
// the route is the plain one.
import type { Clock, TimerHandle } from '../clock.js'
import {
  BATCH_INTERVAL_MS,
  EVENT_TYPES,
  isSensorEvent,
  MAX_BATCH_ENVELOPES,
  type Alert,
  type AnyEnvelope,
  type Envelope,
  type EventDataMap,
  type SystemStatusData,
  type Topic,
  type WifiDevice,
} from '../events.js'
import { streamOf, streamsOfBatchRoom } from './rooms.js'
import { FilterRegistry, type FilterVerdicts } from './filter-registry.js'
import { trimRecoveryBuffer } from './engine.js'
import type { EnvelopeFactory, EventChannel } from '../envelope.js'
import type { RealtimeServer, RealtimeSocket } from './types.js'

export const SNAPSHOT_CHUNK_SIZE = 500

/** A table as `device:snapshot` payloads of at most SNAPSHOT_CHUNK_SIZE devices each (one empty chunk for an empty table). */
export function snapshotChunks(devices: readonly WifiDevice[]): Array<EventDataMap['device:snapshot']> {
  const chunks = Math.max(1, Math.ceil(devices.length / SNAPSHOT_CHUNK_SIZE))
  return Array.from({ length: chunks }, (_, chunk) => ({ devices: devices.slice(chunk * SNAPSHOT_CHUNK_SIZE, (chunk + 1) * SNAPSHOT_CHUNK_SIZE), chunk, chunks }))
}

export interface BroadcasterDeps {
  io: RealtimeServer
  channel: EventChannel
  factory: EnvelopeFactory
  /** A sensor's device table, as clients were last told it. */
  devices: (sensor: string) => Iterable<WifiDevice>
  /** A sensor's system status as of now (undefined for an unknown sensor). */
  systemStatus: (sensor: string) => SystemStatusData | undefined
  /** One device as clients were last told it. */
  device: (sensor: string, key: string) => WifiDevice | undefined
  /**
   * The sensors' names. With one, nobody is in a per-sensor room (subscriptions naming it are
   * plain); with several, an event about no sensor (tak:status) goes to every narrowed room of its topic.
   */
  sensorNames: () => string[]
  /** Counts judgements of devices by filters. */
  onFilterEvaluations: (count: number) => void
  /** The alerts a sensor's Kismet still holds, oldest first. */
  alerts: (sensor: string) => readonly Alert[]
  /** Timers for batched delivery. */
  clock: Clock
  /** How long a dropped client may come back and have what it missed replayed (connection-state recovery). */
  recoveryWindowMs: number
  /** At most this many broadcast packets are kept for clients that come back (engine.ts, trimRecoveryBuffer). */
  recoveryBufferPackets: number
  /**
   * Sends a batch to batch rooms, when not `io.to(rooms).emit('events', batch)` (a gateway
   * batches what the stream brings for its own sockets only: src/scale/gateway.ts).
   */
  sendBatch?: (rooms: string[], batch: AnyEnvelope[]) => void
}

export class Broadcaster {
  /** The device filters in use (ids in room names -> filters, and what their rooms hold). */
  readonly filters: FilterRegistry
  readonly #d: BroadcasterDeps
  readonly #unwatchRooms: () => void
  readonly #unsubscribe: () => void
  /** The latest scan status envelope of each sensor, for a new subscriber. */
  readonly #lastScan = new Map<string, Envelope<'scan:status'>>()
  /** The latest tak:status of each TAK output, for a new subscriber of `tak`. */
  readonly #lastTakStatus = new Map<string, Envelope<'tak:status'>>()
  /** Envelopes waiting to be sent, per batch room. */
  readonly #batches = new Map<string, AnyEnvelope[]>()
  /**
   * The batch rooms sockets have joined, per stream they carry (rooms.ts: a topic, or a topic
   * narrowed to a sensor). A room keeps its envelopes coming while it is empty: a batched client whose
   * connection dropped is in none, and the packets must still reach the recovery buffer to
   * be replayed when it comes back (as per-event packets are). Once it has been empty for
   * longer than the recovery window nobody can come back to it, and it is routed to no more.
   */
  readonly #batchRoomsByStream = new Map<string, string[]>()
  /** Since when a routed batch room has had no member (as seen when sending to it). */
  readonly #emptySince = new Map<string, number>()
  #batchTimer: TimerHandle | undefined
  /** When the last batches went out: the next may not go before this + BATCH_INTERVAL_MS. */
  #lastFlushAt = Number.NEGATIVE_INFINITY

  constructor(deps: BroadcasterDeps) {
    this.#d = deps
    this.filters = new FilterRegistry({
      clock: deps.clock,
      recoveryWindowMs: deps.recoveryWindowMs,
      sensorNames: deps.sensorNames,
      devices: deps.devices,
      device: deps.device,
      onEvaluations: deps.onFilterEvaluations,
      rooms: () => deps.io.of('/').adapter.rooms.keys(),
    })
    const adapter = deps.io.of('/').adapter
    const created = (room: string) => this.filters.roomCreated(room)
    const deleted = (room: string) => this.filters.roomDeleted(room)
    adapter.on('create-room', created)
    adapter.on('delete-room', deleted)
    this.#unwatchRooms = () => {
      adapter.off('create-room', created)
      adapter.off('delete-room', deleted)
    }
    this.#unsubscribe = deps.channel.subscribe((envelope) => this.#route(envelope))
  }

  #route(envelope: AnyEnvelope): void {
    if (envelope.type === 'server:shutdown') {
      this.flushBatches()
      // This server's own clients only: with an adapter, other servers' clients are not leaving.
      this.#d.io.local.emit('event', envelope)
      this.#afterBroadcast()
      return
    }
    const sensor = envelope.sensor ?? ''
    if (envelope.type === 'scan:status') this.#lastScan.set(sensor, envelope)
    if (envelope.type === 'tak:status') this.#lastTakStatus.set(envelope.data.output, envelope)
    const topic = EVENT_TYPES[envelope.type].room
    // Subscribers of the topic, and of the topic narrowed to this sensor (a socket in both
    // gets it once). Always both rooms with several sensors: a narrowed subscriber that
    // dropped is in no room, and the packet must reach the recovery buffer for it. An event
    // about no sensor (tak:status) goes to the topic narrowed to any sensor.
    const names = this.#d.sensorNames()
    const narrowed = envelope.sensor !== undefined && names.length > 1 ? envelope.sensor : undefined
    const verdicts = topic === 'devices' ? this.filters.judge(envelope, sensor) : undefined
    if (!verdicts) {
      const streams: string[] = [topic]
      if (narrowed !== undefined) streams.push(streamOf(topic, narrowed))
      else if (names.length > 1 && !isSensorEvent(envelope.type)) for (const name of names) streams.push(streamOf(topic, name))
      this.#broadcast(streams, envelope)
      return
    }
    this.#sendVerdicts(envelope, verdicts, narrowed, true, (streams, sent) => this.#broadcast(streams, sent))
  }

  /**
   * A gateway (src/scale/gateway.ts): a device envelope the stream brought to the plain rooms
   * (the adapter delivers it there), judged here by this server's own filters, and what their
   * rooms get sent to this server's sockets only (the producer knows nothing of them).
   */
  routeToLocalFilters(envelope: AnyEnvelope): void {
    if (EVENT_TYPES[envelope.type].room !== 'devices') return
    const verdicts = this.filters.judge(envelope, envelope.sensor ?? '')
    if (!verdicts) return
    const narrowed = envelope.sensor !== undefined && this.#d.sensorNames().length > 1 ? envelope.sensor : undefined
    this.#sendVerdicts(envelope, verdicts, narrowed, false, (streams, sent) => {
      this.#d.io.local.to(streams).emit('event', sent)
      for (const stream of streams) this.#queueForStream(stream, sent)
    })
  }

  /** The filters' verdicts on one device envelope, sent to their streams (and the plain ones with `withPlain`) by `send`. */
  #sendVerdicts(envelope: AnyEnvelope, verdicts: FilterVerdicts, narrowed: string | undefined, withPlain: boolean, send: (streams: string[], envelope: AnyEnvelope) => void): void {
    const topic = 'devices'
    const sensor = envelope.sensor ?? ''
    const streamsOf = (ids: string[], plain: boolean): string[] => {
      const streams: string[] = plain ? [topic] : []
      if (plain && narrowed !== undefined) streams.push(streamOf(topic, narrowed))
      for (const id of ids) {
        streams.push(streamOf(topic, undefined, id))
        if (narrowed !== undefined) streams.push(streamOf(topic, narrowed, id))
      }
      return streams
    }
    const forward = streamsOf(verdicts.forward, withPlain)
    if (forward.length > 0) send(forward, envelope)
    const device = verdicts.device
    if (device && verdicts.enter.length > 0) {
      send(streamsOf(verdicts.enter, false), this.#d.factory.create('device:update', { device, action: 'new', reason: 'filter' }, sensor))
    }
    if (device && verdicts.leave.length > 0) {
      send(streamsOf(verdicts.leave, false), this.#d.factory.create('device:update', { device, action: 'remove', reason: 'filter' }, sensor))
    }
  }

  /** One broadcast to these streams' per-event rooms (a socket in several gets it once), and into their batch rooms. */
  #broadcast(streams: string[], envelope: AnyEnvelope): void {
    this.#d.io.to(streams).emit('event', envelope)
    this.#afterBroadcast()
    for (const stream of streams) this.#queueForStream(stream, envelope)
  }

  #emitBatch(rooms: string[], batch: AnyEnvelope[]): void {
    if (this.#d.sendBatch) return this.#d.sendBatch(rooms, batch)
    this.#d.io.to(rooms).emit('events', batch)
    this.#afterBroadcast()
  }

  /** Queues an envelope routed elsewhere to these streams (a gateway: what the stream brought) for the batch rooms that carry them. */
  queueForStreams(streams: readonly string[], envelope: AnyEnvelope): void {
    if (this.#batchRoomsByStream.size === 0) return
    for (const stream of streams) this.#queueForStream(stream, envelope)
  }

  #queueForStream(stream: string, envelope: AnyEnvelope): void {
    const batchRooms = this.#batchRoomsByStream.get(stream)
    if (batchRooms) for (const batchRoom of batchRooms) this.#queue(batchRoom, envelope)
  }

  /** Every broadcast is kept for recovery: after each one, the buffer is held to its cap. */
  #afterBroadcast(): void {
    trimRecoveryBuffer(this.#d.io, this.#d.recoveryBufferPackets)
  }

  #queue(room: string, envelope: AnyEnvelope): void {
    let batch = this.#batches.get(room)
    if (!batch) this.#batches.set(room, (batch = []))
    batch.push(envelope)
    if (batch.length >= MAX_BATCH_ENVELOPES) this.#send(room)
    if (this.#batchTimer) return
    const wait = Math.max(0, this.#lastFlushAt + BATCH_INTERVAL_MS - this.#d.clock.now())
    this.#batchTimer = this.#d.clock.setTimeout(() => {
      this.#batchTimer = undefined
      this.flushBatches()
    }, wait)
  }

  #send(room: string): void {
    const batch = this.#batches.get(room)
    this.#batches.delete(room)
    if (!batch || batch.length === 0) return
    const now = this.#d.clock.now()
    this.#lastFlushAt = now
    this.#emitBatch([room], batch)
    this.#retireIfAbandoned(room, now)
  }

  #retireIfAbandoned(room: string, now: number): void {
    if (this.#d.io.of('/').adapter.rooms.has(room)) {
      this.#emptySince.delete(room)
      return
    }
    const since = this.#emptySince.get(room)
    if (since === undefined) this.#emptySince.set(room, now)
    else if (now - since > this.#d.recoveryWindowMs) {
      this.#emptySince.delete(room)
      for (const [stream, rooms] of this.#batchRoomsByStream) this.#batchRoomsByStream.set(stream, rooms.filter((r) => r !== room))
    }
  }

  /**
   * Sends every pending batch now (the timer, and before shutdown). Batch rooms whose
   * batches hold the very same envelopes (the rooms of filters that let the same devices
   * through) get them in one broadcast, encoded once, instead of one per room.
   */
  flushBatches(): void {
    if (this.#batches.size <= 1) {
      for (const room of [...this.#batches.keys()]) this.#send(room)
      return
    }
    const groups = new Map<string, { rooms: string[]; batch: AnyEnvelope[] }>()
    for (const [room, batch] of this.#batches) {
      if (batch.length === 0) continue
      const signature = batch.length === 1 ? batch[0]!.id : batch.map((envelope) => envelope.id).join(',')
      const group = groups.get(signature)
      if (group) group.rooms.push(room)
      else groups.set(signature, { rooms: [room], batch })
    }
    this.#batches.clear()
    const now = this.#d.clock.now()
    this.#lastFlushAt = now
    for (const { rooms, batch } of groups.values()) {
      this.#emitBatch(rooms, batch)
      for (const room of rooms) this.#retireIfAbandoned(room, now)
    }
  }

  /** A socket is about to join or leave these batch rooms: sends what is pending for them now, and routes to them from now on. */
  prepareBatchRooms(rooms: string[]): void {
    for (const room of rooms) {
      this.#emptySince.delete(room)
      for (const stream of streamsOfBatchRoom(room) ?? []) {
        const list = this.#batchRoomsByStream.get(stream) ?? []
        if (!list.includes(room)) this.#batchRoomsByStream.set(stream, [...list, room])
      }
      this.#send(room)
    }
  }

  /** What a socket gets first when its subscription to `topic` newly covers these sensors (`filter`: the id of its device filter). */
  welcome(socket: RealtimeSocket, topic: Topic, sensors: string[], filter?: string): void {
    for (const sensor of sensors) {
      if (topic === 'devices') this.sendSnapshot(socket, sensor, filter)
      if (topic === 'alerts') socket.emit('event', this.#d.factory.create('alert:snapshot', { alerts: [...this.#d.alerts(sensor)] }, sensor))
      // A fresh envelope, not the old one: ids must keep increasing at this client.
      const scan = this.#lastScan.get(sensor)
      if (topic === 'scan' && scan) this.#sendCopy(socket, 'scan:status', scan.data, sensor)
      // Made now, not the last one published: its client count includes this socket, its
      // uptime and memory are current.
      const system = topic === 'system' ? this.#d.systemStatus(sensor) : undefined
      if (system) this.#sendCopy(socket, 'system:status', system, sensor)
    }
    // The outputs serve every sensor: their latest status once, whichever sensors are newly covered.
    if (topic === 'tak' && sensors.length > 0) {
      for (const status of this.#lastTakStatus.values()) socket.emit('event', this.#d.factory.create('tak:status', status.data))
    }
  }

  #sendCopy<T extends 'scan:status' | 'system:status'>(socket: RealtimeSocket, type: T, data: EventDataMap[T], sensor: string): void {
    socket.emit('event', this.#d.factory.create(type, data, sensor) as AnyEnvelope)
  }

  /**
   * One sensor's table (what a filter's rooms hold of it, with `filter`) as `device:snapshot`
   * chunks of at most SNAPSHOT_CHUNK_SIZE (one empty chunk for an empty table).
   */
  sendSnapshot(socket: RealtimeSocket, sensor: string, filter?: string): void {
    const devices = [...(filter === undefined ? this.#d.devices(sensor) : this.filters.membersOf(filter, sensor))]
    for (const chunk of snapshotChunks(devices)) socket.emit('event', this.#d.factory.create('device:snapshot', chunk, sensor))
  }

  close(): void {
    this.flushBatches()
    if (this.#batchTimer) this.#d.clock.clearTimeout(this.#batchTimer)
    this.#batchTimer = undefined
    this.#unsubscribe()
    this.#unwatchRooms()
  }
}
