// The Socket.IO side of the service, assembled on a server it is given: the connection guard
// (token, per-address cap), per-socket handlers and limits, the broadcaster that routes the
// event channel to rooms, the slow-consumer guard, and the goodbye at shutdown. Fastify-free:
// plugins/app/socketio.ts creates the server and hands it here.
import type { Clock } from '../clock.js'
import type { EnvelopeFactory, EventChannel } from '../envelope.js'
import { TOPICS, type Alert, type ConnectionState, type SystemStatusData, type Topic, type WifiDevice } from '../events.js'
import type { ServiceStats } from '../stats.js'
import { Broadcaster, type BroadcasterDeps } from './broadcaster.js'
import { attachClientHandlers, DEFAULT_CLIENT_LIMITS, type ClientHandlerDeps, type ClientLimits } from './client-handlers.js'
import { createConnectionGuard } from './connection-guard.js'
import type { AllowedOrigins } from './origins.js'
import { RefusalLog } from './refusals.js'
import { closeRecoverably, closeWithin, drainWrites, engineConnections, DEFAULT_RECOVERY_BUFFER_PACKETS } from './engine.js'
import { DEFAULT_SLOW_CONSUMER_LIMITS, SlowConsumerGuard, type SlowConsumerLimits } from './slow-consumers.js'
import { subscriptionsOf } from './rooms.js'
import type { RealtimeServer, RealtimeSocket } from './types.js'

export const SHUTDOWN_MESSAGE = 'kismet-ws is shutting down'
/** How long a dropped client may come back and have what it missed replayed. */
export const DEFAULT_RECOVERY_WINDOW_MS = 2 * 60 * 1000

export interface RealtimeLimits {
  limits?: Partial<ClientLimits>
  maxConnectionsPerAddress?: number
  /** How long missed events are kept for a client that reconnects. */
  recoveryWindowMs?: number
  /** At most this many broadcast packets are kept for clients that reconnect. */
  recoveryBufferPackets?: number
  /** When a client that does not read what it is sent is dropped. */
  slowConsumers?: Partial<SlowConsumerLimits>
}

export interface RealtimeOptions extends RealtimeLimits {
  io: RealtimeServer
  channel: EventChannel
  factory: EnvelopeFactory
  stats: ServiceStats
  clock: Clock
  /** Browsers' origins allowed to connect (CORS_ORIGIN). */
  origins: AllowedOrigins
  /** When set, the handshake must carry `auth: { token }`. */
  apiToken?: string
  /** What the Socket.IO layer reads about the sensors, when it needs it. */
  sensors: SensorDirectory
  log: { warn(obj: object, msg: string): void }
  /**
   * What a socket gets first when a subscription newly covers sensors, when it is not the
   * Broadcaster's (a gateway reads it from Redis: src/scale/gateway.ts).
   */
  welcome?: (socket: RealtimeSocket, topic: Topic, sensors: string[], filter: string | undefined) => void
  /**
   * At shutdown, let clients go so that they reconnect by themselves and are recovered by
   * another server (a gateway among others); by default they are told to go (no reconnection).
   */
  recoverableShutdown?: boolean
  /** How batches go out, when not through the adapter (BroadcasterDeps.sendBatch). */
  sendBatch?: BroadcasterDeps['sendBatch']
  /**
   * What a recovered socket gets besides the replay, when not the default (its filter
   * registered again should it be gone): a gateway's replay misses what it sent its own
   * sockets (src/scale/gateway.ts).
   */
  resume?: (socket: RealtimeSocket) => void
}

/** The sensors as the Socket.IO layer sees them: names, states and device tables (src/sensors.ts is one). */
export interface SensorDirectory {
  names(): string[]
  /** The least ready sensor's state. */
  readonly state: ConnectionState
  stateOf(name: string): ConnectionState | undefined
  /** A sensor's devices as clients were last told them (snapshots). */
  devicesOf(name: string): Iterable<WifiDevice>
  /** The sensor's system status as of now. */
  systemStatusOf(name: string): SystemStatusData | undefined
  /** One device as clients were last told it (what a filter judges after a signal:update). */
  deviceOf(name: string, key: string): WifiDevice | undefined
  /** The alerts a sensor's Kismet still holds, oldest first. */
  alertsOf(name: string): readonly Alert[]
}

export interface Realtime {
  readonly broadcaster: Broadcaster
  /** Tells every client the server is going away, lets what is queued go out, and closes every connection. */
  announceShutdown(): Promise<void>
  /** Stops timers (idempotent). */
  close(): void
}

export function attachRealtime(options: RealtimeOptions): Realtime {
  const { io, channel, factory, stats, clock } = options
  const broadcaster = new Broadcaster({
    io,
    channel,
    factory,
    clock,
    devices: (sensor) => options.sensors.devicesOf(sensor),
    systemStatus: (sensor) => options.sensors.systemStatusOf(sensor),
    device: (sensor, key) => options.sensors.deviceOf(sensor, key),
    sensorNames: () => options.sensors.names(),
    alerts: (sensor) => options.sensors.alertsOf(sensor),
    onFilterEvaluations: (count) => (stats.filterEvaluations += count),
    recoveryWindowMs: options.recoveryWindowMs ?? DEFAULT_RECOVERY_WINDOW_MS,
    recoveryBufferPackets: options.recoveryBufferPackets ?? DEFAULT_RECOVERY_BUFFER_PACKETS,
    ...(options.sendBatch && { sendBatch: options.sendBatch }),
  })

  const { guard } = createConnectionGuard({
    origins: options.origins,
    ...(options.apiToken !== undefined && { apiToken: options.apiToken }),
    maxConnectionsPerAddress: options.maxConnectionsPerAddress ?? 1000,
    stats,
    refusals: new RefusalLog({ log: options.log, clock }),
    now: () => clock.now(),
  })
  io.use(guard)

  const limits = { ...DEFAULT_CLIENT_LIMITS, ...options.limits }
  io.on('connection', (socket) => {
    attachClientHandlers(socket, {
      clock,
      stats,
      limits,
      sensorNames: () => options.sensors.names(),
      onCovered: options.welcome ?? ((s, topic, sensors, filter) => broadcaster.welcome(s, topic, sensors, filter)),
      beforeBatchRoomChange: (rooms) => broadcaster.prepareBatchRooms(rooms),
      registerFilter: (filter) => broadcaster.filters.register(filter),
      filterOf: (id) => broadcaster.filters.get(id),
    })
    if (socket.recovered) (options.resume ?? resumeFilter)(socket)
    const { sensors } = options
    socket.emit('connected', {
      id: socket.id,
      topics: [...TOPICS],
      kismet: { state: sensors.state },
      sensors: sensors.names().map((name) => ({ name, state: sensors.stateOf(name) ?? 'connecting' })),
    })
  })

  /**
   * A recovered socket's rooms name its filter by id. The registry keeps a filter for the
   * recovery window after its last room went away, so it is normally still there, with every
   * event routed to its rooms meanwhile (replayed now). Should it be gone, it is registered
   * again from socket.data and the socket gets a fresh filtered snapshot: its table is right
   * again, whatever the replay missed.
   */
  const resumeFilter = (socket: RealtimeSocket): void => {
    const subscription = subscriptionsOf(socket.rooms).devices
    if (subscription?.filter === undefined) return
    const restored = broadcaster.filters.restore(subscription.filter, socket.data.filter)
    if (restored === 'gone') options.log.warn({ socket: socket.id }, 'A recovered socket names a filter that is gone: it must subscribe again')
    if (restored === 'registered') broadcaster.welcome(socket, 'devices', subscription.sensors ?? options.sensors.names(), subscription.filter)
  }

  // Memory per client stays bounded: one that stops reading is dropped, not buffered for ever.
  const slowConsumers = new SlowConsumerGuard({
    io,
    clock,
    stats,
    limits: { ...DEFAULT_SLOW_CONSUMER_LIMITS, ...options.slowConsumers },
    onDrop: (socket, backlog) =>
      options.log.warn({ socket: socket.id, address: socket.data.address, backlog }, 'Dropped a Socket.IO client that stopped reading (too much queued for it)'),
  })
  slowConsumers.start()

  return {
    broadcaster,
    async announceShutdown() {
      channel.publish(factory.create('server:shutdown', { message: SHUTDOWN_MESSAGE }))
      slowConsumers.stop()
      await drainWrites(io, 2000)
      const connections = engineConnections(io)
      if (options.recoverableShutdown) closeRecoverably(io, connections)
      else io.local.disconnectSockets(true)
      // A client that does not read would hold the close for ever: cut what is still open.
      await closeWithin(connections, 1000)
      broadcaster.close()
    },
    close() {
      slowConsumers.stop()
      broadcaster.close()
    },
  }
}
