// The application as a Fastify plugin (the composition root): the app's own plugins and
// third-party ones, then the routes. What stays open with API_TOKEN set (/health, and the
// API docs: a browser cannot send a bearer token when it loads a page) is registered outside
// the protected context; everything else inside it, where the auth plugin also marks each
// operation of the OpenAPI document as needing the bearer token. server.ts runs the
// app; test/helper.ts builds it for a test.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import type { Clock } from './src/clock.js'
import auth from './plugins/app/auth.js'
import config from './plugins/app/config.js'
import errors from './plugins/app/errors.js'
import events from './plugins/app/events.js'
import history from './plugins/app/history.js'
import openAccess from './plugins/app/open-access.js'
import producer from './plugins/app/producer.js'
import scale from './plugins/app/scale.js'
import sensors from './plugins/app/sensors.js'
import shutdown from './plugins/app/shutdown.js'
import socketio, { type SocketIoPluginOptions } from './plugins/app/socketio.js'
import watchlist, { type WatchListPluginOptions } from './plugins/app/watchlist.js'
import tak from './plugins/app/tak.js'
import cors from './plugins/external/cors.js'
import rateLimit from './plugins/external/rate-limit.js'
import swagger from './plugins/external/swagger.js'
import swaggerUi from './plugins/external/swagger-ui.js'
import dashboard, { type DashboardOptions } from './plugins/app/dashboard.js'
import deviceDetailRoutes from './routes/device-detail.js'
import devicesRoutes from './routes/devices.js'
import healthRoutes from './routes/health.js'
import kismetWsRoutes from './routes/kismet-ws.js'
import metricsRoutes from './routes/metrics.js'
import readyRoutes from './routes/ready.js'
import watchlistRoutes from './routes/watchlist.js'

export interface AppOptions {
  /** Environment to configure from (default process.env). */
  env?: Record<string, string | undefined>
  /** Time source for the poller, throttle and limiters (tests pass a ManualClock). */
  clock?: Clock
  /** Socket.IO limits (tests tighten them). */
  socket?: SocketIoPluginOptions
  /** Where the built dashboard is (tests build their own). */
  dashboard?: DashboardOptions
  /** Watch-list webhook tuning (tests shorten its delays). */
  watchlist?: WatchListPluginOptions
}

/** The REST API prefix of the service's own routes. */
export const API_PREFIX = '/api/kismet/ws'

const app: FastifyPluginAsync<AppOptions> = async (instance, opts) => {
  await instance.register(config, opts.env ? { env: opts.env } : {})
  await instance.register(events, opts.clock ? { clock: opts.clock } : {})
  await instance.register(scale)
  // ROLE=producer serves no clients: its sensors' pipelines, the stream, and /health.
  if (instance.config.ROLE === 'producer') {
    await instance.register(errors)
    await instance.register(producer)
    await instance.register(healthRoutes)
    return
  }
  await instance.register(openAccess)
  await instance.register(errors)
  await instance.register(cors)
  await instance.register(rateLimit)
  await instance.register(swagger)
  await instance.register(history)
  await instance.register(sensors)
  await instance.register(tak)
  await instance.register(socketio, opts.socket ?? {})
  await instance.register(watchlist, opts.watchlist ?? {})
  await instance.register(shutdown)

  await instance.register(healthRoutes)
  await instance.register(dashboard, opts.dashboard ?? {})
  await instance.register(swaggerUi)
  await instance.register(async (secured: FastifyInstance) => {
    await secured.register(auth)
    await secured.register(readyRoutes)
    await secured.register(metricsRoutes)
    await secured.register(kismetWsRoutes, { prefix: API_PREFIX })
    await secured.register(deviceDetailRoutes, { prefix: API_PREFIX })
    await secured.register(devicesRoutes, { prefix: API_PREFIX })
    await secured.register(watchlistRoutes, { prefix: API_PREFIX })
  })
}

// Not encapsulated: the server entry and tests reach the decorators (config, io, pipeline...).
export default fp(app, { name: 'kismet-ws', fastify: '5.x' })
