// ROLE=gateway: Socket.IO and REST for clients, on the streams adapter, polling nothing. What
// it says about sensors comes from Redis: the leading producers' records (state, link,
// counters), refreshed every CLUSTER_REFRESH_MS, and, for a new subscriber, the sensor's
// state (table, alerts, latest statuses) read at that moment and sent to that socket only
// (io.local.to(socket.id): a per-socket emit would go through the shared stream), made exact
// against the live stream by the SnapshotGate.
import type { SensorStatus } from '../api-schemas.js'
import { SNAPSHOT_CHUNK_SIZE } from '../realtime/broadcaster.js'
import type { SensorDirectory } from '../realtime/realtime.js'
import type { RealtimeServer, RealtimeSocket } from '../realtime/types.js'
import { connectedClients } from '../realtime/census.js'
import type { EnvelopeFactory } from '../envelope.js'
import { TOPICS, type AnyEnvelope, type ClientError, type ConnectionState, type Topic, type WifiDevice } from '../events.js'
import type { Broadcaster } from '../realtime/broadcaster.js'
import { streamsOfBatchRoom, subscriptionsOf } from '../realtime/rooms.js'
import { readGatewayRecords, readSensorRecords, removeGatewayRecord, stateOfRecord, writeGatewayRecord, type SensorRecord } from './cluster-view.js'
import { whenReady, type RedisClient, type RedisHealth } from './redis.js'
import { readSensorState, type SensorState } from './shared-state.js'
import { SnapshotGate } from './snapshot-gate.js'

/** How long a subscriber waits for the gateway's first Redis connection before being refused its snapshot. */
const FIRST_CONNECTION_WAIT_MS = 5000

/** A room no socket joins: the stream entries that give a gateway's reader its first offset. */
const READER_PRIMER_ROOM = 'kismet-ws:primer'

const READINESS: Record<ConnectionState, number> = { auth_failed: 0, backoff: 1, connecting: 2, connected: 3, disabled: 4 }

/** The sensors as a gateway knows them: from the producers' records in Redis. */
export class ClusterDirectory implements SensorDirectory {
  readonly #names: readonly string[]
  records = new Map<string, SensorRecord>()
  /** Clients connected to every live gateway (this one's own count included as of the last refresh). */
  clusterClients = 0
  gateways = 0

  constructor(names: readonly string[]) {
    this.#names = names
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

  // A gateway judges no filter and keeps no table: snapshots are read from Redis (GatewayWelcome).
  devicesOf(): Iterable<WifiDevice> {
    return []
  }

  deviceOf(): WifiDevice | undefined {
    return undefined
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

export class Gateway {
  readonly gate: SnapshotGate
  readonly directory: ClusterDirectory
  readonly #o: GatewayOptions
  #timer: NodeJS.Timeout | undefined
  /** Snapshots that could not be read from Redis. */
  snapshotFailures = 0

  constructor(options: GatewayOptions) {
    this.#o = options
    this.directory = options.directory
    this.gate = new SnapshotGate(options.io)
  }

  /** Filters are judged on the producer side, which cannot yet know a gateway's. */
  unsupported = (options: { batch: boolean; filter: boolean }): ClientError | undefined => {
    if (options.filter) return { code: 'NOT_SUPPORTED', message: 'Device filters are not served by a gateway (ROLE=gateway) yet; subscribe without a filter' }
    return undefined
  }

  /** A gateway's batches go to its own sockets only, through the snapshot gate. */
  sendBatch = (rooms: string[], batch: AnyEnvelope[]): void => this.gate.sendLocal(rooms, 'events', batch)

  /**
   * Batched delivery on a gateway: the producers route one packet per envelope to the streams
   * (their rooms are the same everywhere), and the gateway's own Broadcaster gathers what the
   * stream brings into the batch rooms of its sockets. A recovered batched socket had nothing
   * replayed for its batch room (batches never enter the stream): it gets its snapshot again.
   */
  attach(broadcaster: Broadcaster): void {
    this.gate.onStreamEvent = (rooms, envelope) => broadcaster.queueForStreams(rooms, envelope)
    this.#o.io.on('connection', (socket) => {
      if (!socket.recovered) return
      // Its batch room may be new to this gateway: routed to from now on.
      broadcaster.prepareBatchRooms([...socket.rooms].filter((room) => streamsOfBatchRoom(room) !== undefined))
      const subscriptions = subscriptionsOf(socket.rooms)
      for (const topic of TOPICS) {
        const subscription = subscriptions[topic]
        if (subscription?.batch) this.welcome(socket, topic, subscription.sensors ?? this.directory.names())
      }
    })
  }

  /** A new subscriber's first events, read from Redis, to that socket only, exact against the stream (SnapshotGate). */
  welcome = (socket: RealtimeSocket, topic: Topic, sensors: string[]): void => {
    if (topic === 'tak') return
    this.gate.hold(socket)
    void this.#connected().then(() => Promise.all(sensors.map((sensor) => readSensorState(this.#o.redis, sensor)))).then(
      (states) => {
        if (!socket.connected) return this.gate.release(socket, [])
        const cuts = sensors.map((sensor, i) => this.#send(socket, topic, sensor, states[i]!))
        this.gate.release(socket, cuts)
      },
      (error: unknown) => {
        this.snapshotFailures += 1
        this.#o.health.failed(error)
        this.gate.release(socket, [])
        this.#o.log.warn({ socket: socket.id, topic, err: error }, 'A snapshot could not be read from Redis')
        const to = this.#o.io.local.to(socket.id)
        to.emit('error', { code: 'INTERNAL', message: `The ${topic} snapshot could not be read (Redis unavailable); subscribe again` })
      },
    )
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
    if (topic === 'devices') {
      const chunks = Math.max(1, Math.ceil(state.devices.length / SNAPSHOT_CHUNK_SIZE))
      for (let chunk = 0; chunk < chunks; chunk++) {
        const devices = state.devices.slice(chunk * SNAPSHOT_CHUNK_SIZE, (chunk + 1) * SNAPSHOT_CHUNK_SIZE)
        to.emit('event', make.create('device:snapshot', { devices, chunk, chunks }, sensor))
      }
    }
    if (topic === 'alerts') to.emit('event', make.create('alert:snapshot', { alerts: state.backlog }, sensor))
    if (topic === 'scan' && state.scan) to.emit('event', make.create('scan:status', state.scan, sensor))
    if (topic === 'system' && state.system) to.emit('event', make.create('system:status', { ...state.system, service: { ...state.system.service, clients: this.#o.directory.clusterClients } }, sensor))
    return { topic, sensor, seq: state.lastSeq }
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
