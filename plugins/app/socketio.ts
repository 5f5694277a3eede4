// Socket.IO on the service port through fastify-socket.io, with connection state recovery;
// everything the service does with it is src/realtime's (attachRealtime), decorated as
// `app.realtime`. A browser's origin is checked against CORS_ORIGIN by src/realtime's
// connection guard at the Socket.IO handshake, for websocket and long-polling alike, so a
// refused page gets `connect_error` "origin not allowed" instead of a transport error. For
// that, engine.io's CORS answers every origin: a page can read the long-polling handshake and
// the refusal, and nothing else, since every event goes only to sockets the guard let in. Saying goodbye to clients at
// shutdown is part of the ordered shutdown (plugins/app/shutdown.ts), so fastify-socket.io's
// own pre-close disconnect is turned off.
import fp from 'fastify-plugin'
import fastifySocketIO from 'fastify-socket.io'
import { parseOrigins } from '../../src/realtime/origins.js'
import { attachRealtime, DEFAULT_RECOVERY_WINDOW_MS, type Realtime, type RealtimeLimits } from '../../src/realtime/realtime.js'
import type { RealtimeServer } from '../../src/realtime/types.js'

declare module 'fastify' {
  interface FastifyInstance {
    io: RealtimeServer
    realtime: Realtime
  }
}

export type SocketIoPluginOptions = RealtimeLimits

export const MAX_HTTP_BUFFER_SIZE = 16 * 1024

export default fp<SocketIoPluginOptions>(
  async (app, opts) => {
    const { config, stats, clock, envelopes, events } = app
    const origins = parseOrigins(config.CORS_ORIGIN)

    await app.register(fastifySocketIO.default, {
      transports: ['websocket', 'polling'],
      cors: { origin: true, methods: ['GET', 'POST'] },
      maxHttpBufferSize: MAX_HTTP_BUFFER_SIZE,
      connectionStateRecovery: { maxDisconnectionDuration: opts.recoveryWindowMs ?? DEFAULT_RECOVERY_WINDOW_MS, skipMiddlewares: false },
      preClose: (done) => done(),
      // REDIS_URL: the streams adapter (plugins/app/scale.ts), whose stream also keeps what recovery replays.
      ...(app.scale && { adapter: app.scale.adapter }),
    })
    // ROLE=gateway: the sensors, snapshots and refusals come from the cluster (src/scale/gateway.ts).
    const gateway = app.scale?.role === 'gateway' ? app.scale.startGateway(app.io) : undefined

    const realtime = attachRealtime({
      ...opts,
      io: app.io,
      origins,
      channel: events,
      factory: envelopes,
      stats,
      clock,
      ...(config.API_TOKEN !== undefined && { apiToken: config.API_TOKEN }),
      sensors: gateway?.directory ?? app.sensors,
      log: app.log,
      ...(gateway && { welcome: gateway.welcome, resume: gateway.resume, recoverableShutdown: true, sendBatch: gateway.sendBatch }),
    })
    gateway?.attach(realtime.broadcaster)
    app.decorate('realtime', realtime)
    app.addHook('onClose', async () => realtime.close())
  },
  { name: 'socketio', fastify: '5.x', dependencies: ['config', 'events', 'sensors', 'scale'] },
)
