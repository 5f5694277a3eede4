// Socket.IO on the service port through fastify-socket.io, with CORS and origin refusal from
// CORS_ORIGIN and connection state recovery; everything the service does with it is
// src/realtime's (attachRealtime), decorated as `app.realtime`. Saying goodbye to clients at
// shutdown is part of the ordered shutdown (plugins/app/shutdown.ts), so fastify-socket.io's
// own pre-close disconnect is turned off.
import fp from 'fastify-plugin'
import fastifySocketIO from 'fastify-socket.io'
import type { IncomingMessage } from 'node:http'
import { originAllowed, parseOrigins, sameOrigin } from '../../src/realtime/origins.js'
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
      cors: { origin: origins === '*' ? '*' : origins, methods: ['GET', 'POST'] },
      // Browsers send Origin; a disallowed one is refused at the handshake, not just left
      // without CORS headers. Clients that send no Origin (scripts, servers) are allowed, and
      // so are pages of this service itself (the dashboard).
      allowRequest: (req: IncomingMessage, callback: (err: string | null | undefined, success: boolean) => void) => {
        const allowed = originAllowed(req.headers.origin, origins) || sameOrigin(req.headers.origin, req.headers.host)
        if (!allowed) stats.connectionsRefused += 1
        callback(allowed ? null : 'origin not allowed', allowed)
      },
      maxHttpBufferSize: MAX_HTTP_BUFFER_SIZE,
      connectionStateRecovery: { maxDisconnectionDuration: opts.recoveryWindowMs ?? DEFAULT_RECOVERY_WINDOW_MS, skipMiddlewares: false },
      preClose: (done) => done(),
    })

    const realtime = attachRealtime({
      ...opts,
      io: app.io,
      channel: events,
      factory: envelopes,
      stats,
      clock,
      ...(config.API_TOKEN !== undefined && { apiToken: config.API_TOKEN }),
      sensors: app.sensors,
      log: app.log,
    })
    app.decorate('realtime', realtime)
    app.addHook('onClose', async () => realtime.close())
  },
  { name: 'socketio', fastify: '5.x', dependencies: ['config', 'events', 'sensors'] },
)
