// Socket.IO on the service port through fastify-socket.io: CORS and origin refusal from
// CORS_ORIGIN, the token and per-address cap at connection, per-socket limits, room
// routing of envelopes, connection state recovery, and a pre-close that tells every
// client the server is going away before their connections close.
import fp from 'fastify-plugin'
import fastifySocketIO from 'fastify-socket.io'
import type { IncomingMessage } from 'node:http'
import { TOPICS } from '../src/events.js'
import { Broadcaster } from '../src/realtime/broadcaster.js'
import { attachClientHandlers, DEFAULT_CLIENT_LIMITS, type ClientLimits } from '../src/realtime/client-handlers.js'
import { createConnectionGuard } from '../src/realtime/connection-guard.js'
import type { RealtimeServer } from '../src/realtime/types.js'
import { originAllowed, parseOrigins } from '../src/realtime/origins.js'
import { DEFAULT_RECOVERY_BUFFER_PACKETS, trimRecoveryBuffer } from '../src/realtime/recovery-buffer.js'
import { backlogBytes, closeWithin, DEFAULT_SLOW_CONSUMER_LIMITS, SlowConsumerGuard, type SlowConsumerLimits } from '../src/realtime/slow-consumers.js'

declare module 'fastify' {
  interface FastifyInstance {
    io: RealtimeServer
    broadcaster: Broadcaster
  }
}

export interface SocketIoPluginOptions {
  limits?: Partial<ClientLimits>
  maxConnectionsPerAddress?: number
  /** How long missed events are kept for a client that reconnects. */
  recoveryWindowMs?: number
  /** At most this many broadcast packets are kept for clients that reconnect. */
  recoveryBufferPackets?: number
  /** When a client that does not read what it is sent is dropped. */
  slowConsumers?: Partial<SlowConsumerLimits>
}

export const MAX_HTTP_BUFFER_SIZE = 16 * 1024
export const SHUTDOWN_MESSAGE = 'kismet-ws is shutting down'

export default fp<SocketIoPluginOptions>(
  async (app, opts) => {
    const { config, stats, clock, envelopes, events } = app
    const origins = parseOrigins(config.CORS_ORIGIN)
    const recoveryWindowMs = opts.recoveryWindowMs ?? 2 * 60 * 1000

    await app.register(fastifySocketIO.default, {
      transports: ['websocket', 'polling'],
      cors: { origin: origins === '*' ? '*' : origins, methods: ['GET', 'POST'] },
      // Browsers send Origin; a disallowed one is refused at the handshake, not just left
      // without CORS headers. Clients that send no Origin (scripts, servers) are allowed.
      allowRequest: (req: IncomingMessage, callback: (err: string | null | undefined, success: boolean) => void) => {
        const allowed = originAllowed(req.headers.origin, origins)
        if (!allowed) stats.connectionsRefused += 1
        callback(allowed ? null : 'origin not allowed', allowed)
      },
      maxHttpBufferSize: MAX_HTTP_BUFFER_SIZE,
      connectionStateRecovery: { maxDisconnectionDuration: recoveryWindowMs, skipMiddlewares: false },
      preClose: (done) => {
        void announceShutdown().finally(() => done())
      },
    })
    const io = app.io

    const broadcaster = new Broadcaster({ io, channel: events, factory: envelopes, stats, clock, recoveryWindowMs, devices: () => app.tracker.all() })
    // After each broadcast (this listener comes after the broadcaster's): recovery memory stays bounded.
    const recoveryBufferPackets = opts.recoveryBufferPackets ?? DEFAULT_RECOVERY_BUFFER_PACKETS
    events.subscribe(() => trimRecoveryBuffer(io.of('/').adapter, recoveryBufferPackets))
    app.decorate('broadcaster', broadcaster)

    const { guard } = createConnectionGuard({
      ...(config.API_TOKEN !== undefined && { apiToken: config.API_TOKEN }),
      maxConnectionsPerAddress: opts.maxConnectionsPerAddress ?? 1000,
      stats,
      now: () => clock.now(),
    })
    io.use(guard)

    const limits = { ...DEFAULT_CLIENT_LIMITS, ...opts.limits }
    io.on('connection', (socket) => {
      attachClientHandlers(socket, {
        clock,
        stats,
        limits,
        onJoined: (s, topics) => broadcaster.welcome(s, topics),
        beforeBatchRoomChange: (rooms) => broadcaster.prepareBatchRooms(rooms),
      })
      socket.emit('connected', { id: socket.id, topics: [...TOPICS], kismet: { state: app.poller.state } })
    })

    // Memory per client stays bounded: one that stops reading is dropped, not buffered for ever.
    const slowConsumers = new SlowConsumerGuard({
      io,
      clock,
      stats,
      limits: { ...DEFAULT_SLOW_CONSUMER_LIMITS, ...opts.slowConsumers },
      onDrop: (socket, backlog) =>
        app.log.warn({ socket: socket.id, address: socket.data.address, backlog }, 'Dropped a Socket.IO client that stopped reading (too much queued for it)'),
    })
    slowConsumers.start()
    app.addHook('onClose', async () => slowConsumers.stop())

    async function announceShutdown(): Promise<void> {
      // What the throttle holds goes out first: clients keep the final state.
      app.throttle.flush()
      const envelope = envelopes.create('server:shutdown', { message: SHUTDOWN_MESSAGE })
      stats.eventsByType['server:shutdown'] += 1
      events.publish(envelope)
      slowConsumers.stop()
      await drainWrites(io, 2000)
      const connections = Object.values(engineClients(io))
      io.local.disconnectSockets(true)
      // A client that does not read would hold the close for ever: cut what is still open.
      await closeWithin(connections, 1000)
      broadcaster.close()
    }
  },
  { name: 'socketio', fastify: '5.x', dependencies: ['config', 'events', 'poller'] },
)

/** Waits until every client's transport has written what was queued for it, or `limitMs` passes. */
async function drainWrites(io: RealtimeServer, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs
  // Written means handed to the kernel: out of engine.io's writeBuffer and out of ws's buffer.
  const pending = () => Object.values(engineClients(io)).some((client) => backlogBytes(client) > 0)
  while (pending() && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** engine.io keeps its connections in a protected record of id → connection. */
function engineClients(io: RealtimeServer): Record<string, unknown> {
  return (io.engine as unknown as { clients: Record<string, unknown> }).clients
}
