// The application as a Fastify plugin: plugins first (one concern each), then routes.
// src/server.ts runs it; test/helper.ts builds it for a test.
import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import type { Clock } from './clock.js'
import type { ClientLimits } from './realtime/client-handlers.js'
import type { SlowConsumerLimits } from './realtime/slow-consumers.js'
import config from '../plugins/config.js'
import events from '../plugins/events.js'
import errors from '../plugins/errors.js'
import kismet from '../plugins/kismet.js'
import poller from '../plugins/poller.js'
import cors from '../plugins/cors.js'
import rateLimit from '../plugins/rate-limit.js'
import auth from '../plugins/auth.js'
import swagger from '../plugins/swagger.js'
import socketio from '../plugins/socketio.js'
import healthRoutes from '../routes/health.js'
import kismetWsRoutes from '../routes/kismet-ws.js'
import metricsRoutes from '../routes/metrics.js'

export interface AppOptions {
  /** Environment to configure from (default process.env). */
  env?: Record<string, string | undefined>
  /** Time source for the poller, throttle and limiters (tests pass a ManualClock). */
  clock?: Clock
  /** Socket.IO limits (tests tighten them). */
  socket?: {
    limits?: Partial<ClientLimits>
    maxConnectionsPerAddress?: number
    recoveryWindowMs?: number
    recoveryBufferPackets?: number
    slowConsumers?: Partial<SlowConsumerLimits>
  }
}

const app: FastifyPluginAsync<AppOptions> = async (instance, opts) => {
  await instance.register(config, opts.env ? { env: opts.env } : {})
  await instance.register(events, opts.clock ? { clock: opts.clock } : {})
  await instance.register(errors)
  await instance.register(kismet)
  await instance.register(poller)
  await instance.register(cors)
  await instance.register(rateLimit)
  await instance.register(auth)
  await instance.register(swagger)
  await instance.register(socketio, opts.socket ?? {})
  await instance.register(healthRoutes)
  await instance.register(kismetWsRoutes)
  await instance.register(metricsRoutes)
}

// Not encapsulated: the server entry and tests reach the decorators (config, io, poller...).
export default fp(app, { name: 'kismet-ws', fastify: '5.x' })
