// ROLE=gateway: Socket.IO and REST for clients, on the streams adapter, polling nothing. What
// it says about sensors comes from Redis: the leading producers' records (state, link,
// counters), refreshed every CLUSTER_REFRESH_MS, and, for a new subscriber, the sensor's
// state (table, alerts, latest statuses) read at that moment and sent to that socket only
// (io.local.to(socket.id): a per-socket emit would go through the shared stream), made exact
// against the live stream by the SnapshotGate.
//
// Filtered subscriptions are served by the gateway itself (the producers know nothing of
// them): it keeps each sensor's table as the stream tells it (StreamTables), judges each
// device envelope by its own sockets' filters, and sends their rooms what they get, to its
// own sockets only. Those packets are not in the shared stream, so a recovered filtered
// socket gets its filtered snapshot again (as a batched one does).
//
// When a leader sent its clients the whole table again (it found nothing in Redis, which
// had restarted empty, or it dropped what it held while Redis was away), its record says so
// (`resyncSeq`). A gateway through which the stream has not brought that broadcast by its
// next refresh reads the sensor's state again and sends it to each of its own subscribers
// of that sensor: they are right again whether or not the stream carried it to them.
import type { SensorStatus } from '../api-schemas.js'
import { snapshotChunks } from '../realtime/broadcaster.js'
import type { SensorDirectory } from '../realtime/realtime.js'
import type { RealtimeServer, RealtimeSocket } from '../realtime/types.js'
import { connectedClients } from '../realtime/census.js'
import type { EnvelopeFactory } from '../envelope.js'
import { TOPICS, type AnyEnvelope, type ConnectionState, type Topic, type WifiDevice } from '../events.js'
import type { Broadcaster } from '../realtime/broadcaster.js'
import { streamsOfBatchRoom, subscriptionsOf, type TopicSubscription } from '../realtime/rooms.js'
import { readGatewayRecords, readSensorRecords, removeGatewayRecord, stateOfRecord, writeGatewayRecord, type SensorRecord } from './cluster-view.js'
import { whenReady, type RedisClient, type RedisHealth } from './redis.js'
import { readSensorState, type SensorState } from './shared-state.js'
import { SnapshotGate } from './snapshot-gate.js'
import { MAX_HELD_WHILE_SEEDING, StreamTables } from './stream-tables.js'

/** How long a subscriber waits for the gateway's first Redis connection before being refused its snapshot. */
const FIRST_CONNECTION_WAIT_MS = 5000

/** A room no socket joins: the stream entries that give a gateway's reader its first offset. */
const READER_PRIMER_ROOM = 'kismet-ws:primer'

const READINESS: Record<ConnectionState, number> = { auth_failed: 0, backoff: 1, connecting: 2, connected: 3, disabled: 4 }

/** The sensors as a gateway knows them: from the producers' records in Redis. */
export class ClusterDirectory implements SensorDirectory {
  readonly #names: readonly string[]
  /** What the gateway's filters judge. */
  readonly tables: StreamTables
  records = new Map<string, SensorRecord>()
  /** Clients connected to every live gateway (this one's own count included as of the last refresh). */
  clusterClients = 0
  gateways = 0

  constructor(names: readonly string[]) {
    this.#names = names
    this.tables = new StreamTables(names)
  }

  names(): string[] {
    return [...this.#names]
  }

  stateOf(name: string): ConnectionState | undefined {
    return this.#names.includes(name) ? stateOfRecord(this.records.get(name)) : undefined
  }

  get state(): ConnectionState {
    let worst: ConnectionState = 'disabled'
    for (const name of this.#names) {
      const state = stateOfRecord(this.records.get(name))
      if (READINESS[state] < READINESS[worst]) worst = state
    }
    return worst
  }

  /** Sensors connected or disabled, as their leaders last said. */
  get ready(): number {
    return this.#names.filter((name) => {
      const state = this.stateOf(name)
      return state === 'connected' || state === 'disabled'
    }).length
  }

  /** Devices of every sensor, as their leaders last said. */
  get deviceCount(): number {
    let count = 0
    for (const record of this.records.values()) count += record.status.deviceCount
    return count
  }

  /** Each sensor as its leader last described it (/status); one nobody leads is `connecting`. */
  statuses(): SensorStatus[] {
    return this.#names.map(
      (name) =>
        this.records.get(name)?.status ?? {
          name,
          url: '',
          connected: false,
          state: 'connecting',
          retries: 0,
          deviceCount: 0,
          lastPoll: null,
          eventbus: { state: 'disabled', since: 0, pollIntervalMs: 0 },
        },
    )
  }

  // The tables as the stream tells them, for the filters (plain snapshots are read from Redis: Gateway.welcome).
  devicesOf(name: string): Iterable<WifiDevice> {
    return this.tables.devices(name)
  }

  deviceOf(name: string, key: string): WifiDevice | undefined {
    return this.tables.device(name, key)
  }

  /** The same tables, for exports and lookups by MAC (routes). */
  tableOf(name: string): Iterable<WifiDevice> {
    return this.tables.devices(name)
  }

  systemStatusOf(): undefined {
    return undefined
  }

  alertsOf(): [] {
    return []
  }
}

export interface GatewayOptions {
  id: string
  io: RealtimeServer
  redis: RedisClient
  health: RedisHealth
  directory: ClusterDirectory
  factory: EnvelopeFactory
  refreshMs: number
  log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void }
}

/** A socket's batch room, if it has one (rooms.ts). */
const batchRoomsOf = (socket: RealtimeSocket): string[] => [...socket.rooms].filter((room) => streamsOfBatchRoom(room) !== undefined)

/** Whether a subscription takes this sensor's part of its topic, with no filter. */
const takesPlainly = (subscription: TopicSubscription | undefined, sensor: string, all: readonly string[]): boolean =>
  subscription !== undefined && subscription.filter === undefined && (subscription.sensors ?? all).includes(sensor)

/** The topics whose snapshot a whole-table resync replaces (scan and system statuses come again by themselves). */
const RESYNCED_TOPICS = ['devices', 'alerts'] as const satisfies readonly Topic[]

/** At most one log line about envelopes the stream brought that could not be handled, per this many. */
const STREAM_ERROR_LOG_EVERY = 1000

/** The latest resync a sensor's leader reported: handled once the stream brought its snapshot, or once read from Redis. */
interface ResyncMark {
  seq: number
  handled: boolean
  /** Refreshes since the record first said so, the stream not having brought it yet. */
  waited: number
}

export class Gateway {
  readonly gate: SnapshotGate
  readonly directory: ClusterDirectory
  readonly #o: GatewayOptions
  #timer: NodeJS.Timeout | undefined
  #broadcaster: Broadcaster | undefined
  /** Per sensor, the latest whole-table resync its leaders reported (SensorRecord.resyncSeq) and whether it is handled. */
  readonly #resyncs = new Map<string, ResyncMark>()
  /** Sensors whose state is being read again, and those to read again once that is done (with resend or not). */
  readonly #rereading = new Set<string>()
  readonly #rereadAgain = new Map<string, boolean>()
  /** Snapshots that could not be read from Redis. */
  snapshotFailures = 0
  /** Times this gateway read a sensor's state again for its subscribers, the stream not having brought its leader's whole-table resync. */
  resyncs = 0
  /** Envelopes from the stream that could not be folded or judged (delivered to the plain rooms all the same). */
  streamErrors = 0

  constructor(options: GatewayOptions) {
    this.#o = options
    this.directory = options.directory
    this.gate = new SnapshotGate(options.io, options.factory.runId)
  }

  get tables(): StreamTables {
    return this.directory.tables
  }

  /** A gateway's batches go to its own sockets only, through the snapshot gate. */
  sendBatch = (rooms: string[], batch: AnyEnvelope[]): void => this.gate.sendLocal(rooms, 'events', batch)

  /**
   * The stream's envelopes, as they arrive: folded into the tables and judged by this
   * gateway's filters; and, for batched delivery (the producers route one packet per envelope
   * to the streams, their rooms the same everywhere), gathered by the gateway's own
   * Broadcaster into the batch rooms of its sockets.
   */
  attach(broadcaster: Broadcaster): void {
    this.#broadcaster = broadcaster
    this.gate.onStreamEvent = (rooms, envelope) => {
      // Inside the adapter's read loop: an exception would have the entry read again for ever.
      try {
        const folded = this.tables.fold(envelope)
        if (folded === 'changed') broadcaster.routeToLocalFilters(envelope)
        else if (folded === 'replaced' && envelope.sensor !== undefined) this.#refilter(envelope.sensor)
      } catch (error) {
        if (this.streamErrors++ % STREAM_ERROR_LOG_EVERY === 0) this.#o.log.warn({ err: error, errors: this.streamErrors }, 'An envelope from the stream could not be folded or judged for the filters (delivered to the plain rooms all the same)')
      }
      broadcaster.queueForStreams(rooms, envelope)
    }
  }

  /**
   * A recovered socket: what the stream replayed is what went through it. Batches and the
   * filters' packets were made here and are not in it: such a subscription gets its snapshot
   * again (its filter registered again first, should this gateway not have it).
   */
  resume = (socket: RealtimeSocket): void => {
    const broadcaster = this.#broadcaster
    if (!broadcaster) return
    // Its batch room may be new to this gateway: routed to from now on.
    broadcaster.prepareBatchRooms(batchRoomsOf(socket))
    const subscriptions = subscriptionsOf(socket.rooms)
    for (const topic of TOPICS) {
      const subscription = subscriptions[topic]
      if (!subscription) continue
      const sensors = subscription.sensors ?? this.directory.names()
      if (subscription.filter === undefined) {
        if (subscription.batch) this.welcome(socket, topic, sensors)
      } else if (broadcaster.filters.restore(subscription.filter, socket.data.filter) !== 'gone') this.#sendFiltered(socket, sensors, subscription.filter)
      else {
        this.#o.log.warn({ socket: socket.id }, 'A recovered socket names a filter that is gone: it must subscribe again')
        this.#o.io.local.to(socket.id).emit('error', { code: 'INTERNAL', message: 'Your device filter could not be restored on this server; subscribe again' })
      }
    }
  }

  /** A new subscriber's first events, to that socket only: read from Redis, exact against the stream (SnapshotGate); a filtered one's from this gateway's tables. */
  welcome = (socket: RealtimeSocket, topic: Topic, sensors: string[], filter?: string): void => {
    if (topic === 'tak') return
    if (filter !== undefined) {
      // What its plain snapshot of the topic included says nothing of what it holds now.
      this.gate.forgetCuts(socket, topic)
      return this.#sendFiltered(socket, sensors, filter)
    }
    this.#welcomeAll([socket], [topic], sensors, { tell: true }).catch(() => {})
  }

  /**
   * Reads each sensor's state once and sends it to every one of these sockets, each held by
   * the gate meanwhile and released with the sequences its snapshots include. A socket whose
   * subscription no longer takes a topic and sensor plainly (it left, or took a filter,
   * meanwhile) gets nothing of it. With `tell`, a failed read tells the sockets to subscribe again.
   */
  async #welcomeAll(sockets: RealtimeSocket[], topics: readonly Topic[], sensors: string[], options: { tell: boolean; read?: (sensor: string) => Promise<SensorState> }): Promise<void> {
    for (const socket of sockets) this.gate.hold(socket)
    let states: SensorState[]
    try {
      await this.#connected()
      states = await Promise.all(sensors.map(options.read ?? ((sensor) => readSensorState(this.#o.redis, sensor))))
    } catch (error) {
      for (const socket of sockets) {
        this.gate.release(socket, [])
        if (options.tell) this.#o.io.local.to(socket.id).emit('error', { code: 'INTERNAL', message: `The ${topics.join(' and ')} snapshot could not be read (Redis unavailable); subscribe again` })
      }
      if (options.tell) {
        this.snapshotFailures += 1
        this.#o.health.failed(error)
        this.#o.log.warn({ sockets: sockets.length, topics, err: error }, 'A snapshot could not be read from Redis')
      }
      throw error
    }
    for (const socket of sockets) {
      const subscriptions = subscriptionsOf(socket.rooms)
      const cuts = topics.flatMap((topic) =>
        sensors.flatMap((sensor, i) => (socket.connected && takesPlainly(subscriptions[topic], sensor, this.directory.names()) ? [this.#send(socket, topic, sensor, states[i]!)] : [])),
      )
      this.gate.release(socket, cuts)
    }
  }

  /**
   * Resolves once the first connection to Redis is made (at once after that): a gateway listens
   * while it still connects, and a Redis Cluster's first connection takes a few round trips (a
   * seed node, CLUSTER SLOTS, then each master), so a client quick to subscribe would find no
   * connection and be refused its snapshot. A Redis that was reached and is away now (`down`)
   * is not waited for: its commands fail at once, as they do everywhere.
   */
  #connected(): Promise<void> {
    if (this.#o.health.state !== 'connecting') return Promise.resolve()
    return whenReady(this.#o.redis, FIRST_CONNECTION_WAIT_MS).catch(() => {})
  }

  #send(socket: RealtimeSocket, topic: Topic, sensor: string, state: SensorState): { topic: string; sensor: string; seq: number } {
    const to = this.#o.io.local.to(socket.id)
    // Made by this gateway (its run id): ids increase within each run, the producer's and this one's.
    const make = this.#o.factory
    if (topic === 'devices') this.#sendDevices(socket, sensor, state.devices)
    if (topic === 'alerts') to.emit('event', make.create('alert:snapshot', { alerts: state.backlog }, sensor))
    if (topic === 'scan' && state.scan) to.emit('event', make.create('scan:status', state.scan, sensor))
    if (topic === 'system' && state.system) to.emit('event', make.create('system:status', { ...state.system, service: { ...state.system.service, clients: this.#o.directory.clusterClients } }, sensor))
    return { topic, sensor, seq: state.lastSeq }
  }

  /** A table as `device:snapshot` chunks, to that socket only. */
  #sendDevices(socket: RealtimeSocket, sensor: string, devices: readonly WifiDevice[]): void {
    const to = this.#o.io.local.to(socket.id)
    for (const chunk of snapshotChunks(devices)) to.emit('event', this.#o.factory.create('device:snapshot', chunk, sensor))
  }

  /**
   * What a filter's rooms hold of these sensors, from this gateway's tables (the filter's
   * packets are made here too: no gate), after what its batch room still holds (judged
   * before). A table not read from Redis yet sends nothing: once it is read, every filter
   * judges it and its subscribers get their snapshot (#refilter).
   */
  #sendFiltered(socket: RealtimeSocket, sensors: string[], filter: string): void {
    const broadcaster = this.#broadcaster
    if (!broadcaster) return
    broadcaster.prepareBatchRooms(batchRoomsOf(socket))
    for (const sensor of sensors) if (this.tables.isSeeded(sensor)) this.#sendDevices(socket, sensor, [...broadcaster.filters.membersOf(filter, sensor)])
  }

  /** This gateway's sockets whose subscription to `topic` covers `sensor`: with a filter, or plainly. */
  #subscribers(topic: Topic, sensor: string, filtered: boolean): Array<{ socket: RealtimeSocket; filter: string | undefined }> {
    const found: Array<{ socket: RealtimeSocket; filter: string | undefined }> = []
    for (const socket of this.#o.io.of('/').sockets.values()) {
      const subscription = subscriptionsOf(socket.rooms)[topic]
      if (!subscription || (subscription.filter !== undefined) !== filtered || !(subscription.sensors ?? this.directory.names()).includes(sensor)) continue
      found.push({ socket, filter: subscription.filter })
    }
    return found
  }

  /** A sensor's table was replaced: every filter judges it anew, and this gateway's filtered subscribers of it get their snapshot again. */
  #refilter(sensor: string): void {
    const filters = this.#broadcaster?.filters
    if (!filters || filters.size === 0) return
    filters.rejudge(sensor)
    for (const { socket, filter } of this.#subscribers('devices', sensor, true)) this.#sendFiltered(socket, [sensor], filter!)
  }

  /**
   * What the leaders' records say of whole-table resyncs. The first record seen of a sensor
   * is where this gateway starts (its subscribers came after). A later resync the stream has
   * brought (its device:snapshot went through this gateway) reached its subscribers; one it
   * has not brought by the next refresh is read from Redis and sent to them.
   */
  #checkResyncs(): void {
    for (const sensor of this.directory.names()) {
      const record = this.directory.records.get(sensor)
      const seq = record?.writer.resyncSeq ?? 0
      let mark = this.#resyncs.get(sensor)
      if (!mark) {
        if (record) this.#resyncs.set(sensor, { seq, handled: true, waited: 0 })
      } else if (seq > mark.seq) this.#resyncs.set(sensor, (mark = { seq, handled: false, waited: 0 }))
      if (mark && !mark.handled) {
        if (this.gate.sawSnapshot(sensor, mark.seq)) mark.handled = true
        else if (mark.waited++ >= 1) {
          mark.handled = true
          void this.#reread(sensor, true)
          continue
        }
      }
      if (!this.tables.isSeeded(sensor)) void this.#reread(sensor, false)
    }
  }

  /**
   * Reads a sensor's state again: the table the filters judge, and (`resend`) what this
   * gateway's own plain subscribers of the sensor's devices and alerts get again (one read
   * for all; filtered ones get theirs from the table).
   */
  async #reread(sensor: string, resend: boolean): Promise<void> {
    if (this.#rereading.has(sensor)) {
      this.#rereadAgain.set(sensor, resend || (this.#rereadAgain.get(sensor) ?? false))
      return
    }
    this.#rereading.add(sensor)
    this.tables.beginSeed(sensor)
    let seeded = false
    let reading: Promise<SensorState> | undefined
    const read = (): Promise<SensorState> =>
      (reading ??= readSensorState(this.#o.redis, sensor).then((state) => {
        seeded = this.tables.seed(sensor, state)
        return state
      }))
    const welcomes = resend ? RESYNCED_TOPICS.map((topic) => this.#welcomeAll(this.#subscribers(topic, sensor, false).map(({ socket }) => socket), [topic], [sensor], { tell: false, read })) : []
    try {
      await Promise.all([read(), ...welcomes])
      if (!seeded) throw new Error(`more than ${MAX_HELD_WHILE_SEEDING} envelopes came from the stream while the table was read`)
      if (resend) {
        this.resyncs += 1
        this.#o.log.info({ sensor }, "Sent this gateway's subscribers the sensor's state again (its leader resent the whole table, which the stream did not bring here)")
      }
    } catch (error) {
      this.tables.abandonSeed(sensor)
      this.#o.health.failed(error)
      this.#o.log.warn({ sensor, err: error }, "Could not read the sensor's state again from Redis; trying again at the next refresh")
      // Read again (and sent again) at the next refresh.
      const mark = this.#resyncs.get(sensor)
      if (resend && mark) mark.handled = false
    } finally {
      // The filters judge the table as it now is (read, or kept with what came meanwhile).
      this.#refilter(sensor)
      this.#rereading.delete(sensor)
      const again = this.#rereadAgain.get(sensor)
      this.#rereadAgain.delete(sensor)
      if (again === true || (again === false && !this.tables.isSeeded(sensor))) void this.#reread(sensor, again)
    }
  }

  start(): void {
    const tick = () => {
      void this.refresh().finally(() => {
        if (this.#timer !== undefined) this.#timer = setTimeout(tick, this.#o.refreshMs)
      })
    }
    this.#timer = setTimeout(tick, 0)
  }

  /** Writes this gateway's record and reads the producers' and the other gateways'. */
  async refresh(): Promise<void> {
    const { redis, directory } = this.#o
    // Not connected (yet, or any more): RedisHealth says so; nothing to try until it is back.
    if (this.#o.health.state !== 'ready') return
    // The streams adapter's reader starts at `$` (only what comes after its XREAD arrives) and
    // stays there until it reads an entry: across a Redis restart such a reader misses what
    // is added before its XREAD is sent again. One entry of its own (to a room nobody is in,
    // so nothing is delivered or replayed) gives it a real offset, after which nothing is missed.
    if (!this.gate.hasRead) (this.#o.io.to(READER_PRIMER_ROOM) as unknown as { emit(event: string): void }).emit('kismet-ws:primer')
    try {
      await writeGatewayRecord(redis, this.#o.id, connectedClients(this.#o.io), this.#o.refreshMs * 3)
      directory.records = await readSensorRecords(redis, directory.names())
      this.#checkResyncs()
      const gateways = await readGatewayRecords(redis)
      directory.gateways = gateways.size
      directory.clusterClients = [...gateways.values()].reduce((sum, record) => sum + record.clients, 0)
    } catch (error) {
      this.#o.health.failed(error)
    }
  }

  async close(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    this.gate.close()
    await removeGatewayRecord(this.#o.redis, this.#o.id).catch(() => {})
  }
}
