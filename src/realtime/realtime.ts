// The Socket.IO side of the service, assembled on a server it is given: the connection guard
// (token, per-address cap), per-socket handlers and limits, the broadcaster that routes the
// event channel to rooms, the slow-consumer guard, and the goodbye at shutdown. Fastify-free:
// plugins/app/socketio.ts creates the server and hands it here.
import type { Clock } from '../clock.js'
import type { EnvelopeFactory, EventChannel } from '../envelope.js'
import { TOPICS, type ConnectionState, type WifiDevice } from '../events.js'
import type { ServiceStats } from '../stats.js'
import { Broadcaster } from './broadcaster.js'
import { attachClientHandlers, DEFAULT_CLIENT_LIMITS, type ClientLimits } from './client-handlers.js'
import { createConnectionGuard } from './connection-guard.js'
import { closeWithin, drainWrites, engineConnections, DEFAULT_RECOVERY_BUFFER_PACKETS } from './engine.js'
import { DEFAULT_SLOW_CONSUMER_LIMITS, SlowConsumerGuard, type SlowConsumerLimits } from './slow-consumers.js'
import type { RealtimeServer } from './types.js'

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
  /** When set, the handshake must carry `auth: { token }`. */
  apiToken?: string
  /** What the Socket.IO layer reads about the sensors, when it needs it. */
  sensors: SensorDirectory
  log: { warn(obj: object, msg: string): void }
}

/** The sensors as the Socket.IO layer sees them: names, states and device tables (src/sensors.ts is one). */
export interface SensorDirectory {
  names(): string[]
  /** The least ready sensor's state. */
  readonly state: ConnectionState
  stateOf(name: string): ConnectionState | undefined
  devicesOf(name: string): Iterable<WifiDevice>
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
    sensorNames: () => options.sensors.names(),
    recoveryWindowMs: options.recoveryWindowMs ?? DEFAULT_RECOVERY_WINDOW_MS,
    recoveryBufferPackets: options.recoveryBufferPackets ?? DEFAULT_RECOVERY_BUFFER_PACKETS,
  })

  const { guard } = createConnectionGuard({
    ...(options.apiToken !== undefined && { apiToken: options.apiToken }),
    maxConnectionsPerAddress: options.maxConnectionsPerAddress ?? 1000,
    stats,
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
      onCovered: (s, topic, sensors) => broadcaster.welcome(s, topic, sensors),
      beforeBatchRoomChange: (rooms) => broadcaster.prepareBatchRooms(rooms),
    })
    const { sensors } = options
    socket.emit('connected', {
      id: socket.id,
      topics: [...TOPICS],
      kismet: { state: sensors.state },
      sensors: sensors.names().map((name) => ({ name, state: sensors.stateOf(name) ?? 'connecting' })),
    })
  })

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
      io.local.disconnectSockets(true)
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
