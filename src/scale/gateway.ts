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
// (`resyncSeq`), and the gateway reads the sensor's state again and sends it to each of its
// own subscribers of that sensor: they are right again whether or not the stream carried
// the leader's broadcast to them.
import type { SensorStatus } from '../api-schemas.js'
import { SNAPSHOT_CHUNK_SIZE } from '../realtime/broadcaster.js'
import type { SensorDirectory } from '../realtime/realtime.js'
import type { RealtimeServer, RealtimeSocket } from '../realtime/types.js'
import { connectedClients } from '../realtime/census.js'
import type { EnvelopeFactory } from '../envelope.js'
import { TOPICS, type AnyEnvelope, type ConnectionState, type Topic, type WifiDevice } from '../events.js'
import type { Broadcaster } from '../realtime/broadcaster.js'
import { streamsOfBatchRoom, subscriptionsOf } from '../realtime/rooms.js'
import { readGatewayRecords, readSensorRecords, removeGatewayRecord, stateOfRecord, writeGatewayRecord, type SensorRecord } from './cluster-view.js'
import type { RedisClient, RedisHealth } from './redis.js'
import { readSensorState, type SensorState } from './shared-state.js'
import { SnapshotGate } from './snapshot-gate.js'
import { StreamTables } from './stream-tables.js'

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
  log: { warn(obj: object, msg: string): void }
}

/** The topics whose snapshot a whole-table resync replaces (scan and system statuses come again by themselves). */
const RESYNCED_TOPICS = ['devices', 'alerts'] as const satisfies readonly Topic[]

export class Gateway {
  readonly gate: SnapshotGate
  readonly directory: ClusterDirectory
  readonly #o: GatewayOptions
  #timer: NodeJS.Timeout | undefined
  #broadcaster: Broadcaster | undefined
  /** Per sensor, the latest whole-table resync of its leaders (SensorRecord.resyncSeq) this gateway acted on. */
  readonly #resyncsSeen = new Map<string, number>()
  /** Sensors whose state is being read again, and those to read again once that is done. */
  readonly #resyncing = new Set<string>()
  readonly #resyncAgain = new Map<string, boolean>()
  /** Snapshots that could not be read from Redis. */
  snapshotFailures = 0
  /** Times this gateway read a sensor's state again after its leader resent the whole table. */
  resyncs = 0

  constructor(options: GatewayOptions) {
    this.#o = options
    this.directory = options.directory
    this.gate = new SnapshotGate(options.io)
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
      const folded = this.tables.fold(envelope)
      if (folded === 'changed') broadcaster.routeToLocalFilters(envelope)
      else if (folded === 'replaced' && envelope.sensor !== undefined) this.#refilter(envelope.sensor)
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
    broadcaster.prepareBatchRooms([...socket.rooms].filter((room) => streamsOfBatchRoom(room) !== undefined))
    const subscriptions = subscriptionsOf(socket.rooms)
    for (const topic of TOPICS) {
      const subscription = subscriptions[topic]
      if (!subscription) continue
      const sensors = subscription.sensors ?? this.directory.names()
      if (subscription.filter !== undefined) {
        const filter = socket.data.filter
        const registered = broadcaster.filters.get(subscription.filter) !== undefined || (filter !== undefined && broadcaster.filters.register(filter).ok && broadcaster.filters.get(subscription.filter) !== undefined)
        if (registered) this.#sendFiltered(socket, sensors, subscription.filter)
        else this.#o.io.local.to(socket.id).emit('error', { code: 'INTERNAL', message: 'Your device filter could not be restored on this server; subscribe again' })
      } else if (subscription.batch) this.welcome(socket, topic, sensors)
    }
  }

  /** A new subscriber's first events, to that socket only: read from Redis, exact against the stream (SnapshotGate); a filtered one's from this gateway's tables. */
  welcome = (socket: RealtimeSocket, topic: Topic, sensors: string[], filter?: string): void => {
    if (topic === 'tak') return
    if (filter !== undefined) return this.#sendFiltered(socket, sensors, filter)
    this.#welcomeAll([socket], [topic], sensors).catch(() => {})
  }

  /**
   * Reads each sensor's state once and sends it to every one of these sockets, each held by
   * the gate meanwhile and released with the sequences its snapshots include.
   */
  async #welcomeAll(sockets: RealtimeSocket[], topics: readonly Topic[], sensors: string[], read: (sensor: string) => Promise<SensorState> = (sensor) => readSensorState(this.#o.redis, sensor)): Promise<void> {
    for (const socket of sockets) this.gate.hold(socket)
    let states: SensorState[]
    try {
      states = await Promise.all(sensors.map(read))
    } catch (error) {
      this.snapshotFailures += 1
      this.#o.health.failed(error)
      for (const socket of sockets) {
        this.gate.release(socket, [])
        this.#o.io.local.to(socket.id).emit('error', { code: 'INTERNAL', message: `The ${topics.join(' and ')} snapshot could not be read (Redis unavailable); subscribe again` })
      }
      this.#o.log.warn({ sockets: sockets.length, topics, err: error }, 'A snapshot could not be read from Redis')
      throw error
    }
    for (const socket of sockets) {
      if (!socket.connected) {
        this.gate.release(socket, [])
        continue
      }
      const cuts = topics.flatMap((topic) => sensors.map((sensor, i) => this.#send(socket, topic, sensor, states[i]!)))
      this.gate.release(socket, cuts)
    }
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

  /** A table as `device:snapshot` chunks of at most SNAPSHOT_CHUNK_SIZE (one empty chunk for an empty table), to that socket only. */
  #sendDevices(socket: RealtimeSocket, sensor: string, devices: readonly WifiDevice[]): void {
    const to = this.#o.io.local.to(socket.id)
    const chunks = Math.max(1, Math.ceil(devices.length / SNAPSHOT_CHUNK_SIZE))
    for (let chunk = 0; chunk < chunks; chunk++) {
      to.emit('event', this.#o.factory.create('device:snapshot', { devices: devices.slice(chunk * SNAPSHOT_CHUNK_SIZE, (chunk + 1) * SNAPSHOT_CHUNK_SIZE), chunk, chunks }, sensor))
    }
  }

  /**
   * What a filter's rooms hold of these sensors, from this gateway's tables (the filter's
   * packets are made here too: no gate). A table not read from Redis yet sends nothing: once
   * it is read, every filter judges it and its subscribers get their snapshot (#refilter).
   */
  #sendFiltered(socket: RealtimeSocket, sensors: string[], filter: string): void {
    const filters = this.#broadcaster?.filters
    if (!filters) return
    for (const sensor of sensors) if (this.tables.isSeeded(sensor)) this.#sendDevices(socket, sensor, [...filters.membersOf(filter, sensor)])
  }

  /** A sensor's table was replaced: every filter judges it anew, and this gateway's filtered subscribers of it get their snapshot again. */
  #refilter(sensor: string): void {
    const filters = this.#broadcaster?.filters
    if (!filters || filters.size === 0) return
    filters.rejudge(sensor)
    for (const socket of this.#o.io.of('/').sockets.values()) {
      const subscription = subscriptionsOf(socket.rooms).devices
      if (subscription?.filter !== undefined && (subscription.sensors ?? this.directory.names()).includes(sensor)) this.#sendFiltered(socket, [sensor], subscription.filter)
    }
  }

  /**
   * Reads a sensor's state again: the table the filters judge, and (`resend`) what this
   * gateway's own subscribers of the sensor's devices and alerts get again (one read for all).
   */
  async #reread(sensor: string, resend: boolean): Promise<void> {
    if (this.#resyncing.has(sensor)) {
      this.#resyncAgain.set(sensor, resend || (this.#resyncAgain.get(sensor) ?? false))
      return
    }
    this.#resyncing.add(sensor)
    const subscribers = new Map<Topic, RealtimeSocket[]>()
    if (resend) {
      for (const socket of this.#o.io.of('/').sockets.values()) {
        const subscriptions = subscriptionsOf(socket.rooms)
        for (const topic of RESYNCED_TOPICS) {
          const subscription = subscriptions[topic]
          if (!subscription || subscription.filter !== undefined || !(subscription.sensors ?? this.directory.names()).includes(sensor)) continue
          subscribers.set(topic, [...(subscribers.get(topic) ?? []), socket])
        }
      }
    }
    this.tables.beginSeed(sensor)
    let seeded = false
    // One read, for the table and for every subscriber.
    let reading: Promise<SensorState> | undefined
    const read = (): Promise<SensorState> => (reading ??= readSensorState(this.#o.redis, sensor).then((state) => {
      seeded = this.tables.seed(sensor, state)
      return state
    }))
    try {
      await Promise.all([read(), ...[...subscribers].map(([topic, sockets]) => this.#welcomeAll(sockets, [topic], [sensor], read))])
      if (!seeded) throw new Error('Too much came from the stream while the table was read')
      if (resend) this.resyncs += 1
      this.#refilter(sensor)
    } catch (error) {
      this.tables.abandonSeed(sensor)
      this.#o.health.failed(error)
      // Read again at the next refresh.
      if (resend) this.#resyncsSeen.delete(sensor)
    } finally {
      this.#resyncing.delete(sensor)
      const again = this.#resyncAgain.get(sensor)
      this.#resyncAgain.delete(sensor)
      if (again !== undefined) void this.#reread(sensor, again)
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
      for (const sensor of directory.names()) {
        const resyncSeq = directory.records.get(sensor)?.writer.resyncSeq ?? 0
        if (resyncSeq > (this.#resyncsSeen.get(sensor) ?? 0)) {
          this.#resyncsSeen.set(sensor, resyncSeq)
          void this.#reread(sensor, true)
        } else if (!this.tables.isSeeded(sensor)) void this.#reread(sensor, false)
      }
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
