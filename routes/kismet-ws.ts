// The service's own REST API, registered under the prefix /api/kismet/ws (app.ts): status,
// refresh, stats, and one MAC as every sensor sees it.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import {
  ByMacResponseSchema,
  ErrorResponseSchema,
  MacParamsSchema,
  RefreshQuerySchema,
  RefreshResponseSchema,
  StatsResponseSchema,
  StatusResponseSchema,
} from '../src/api-schemas.js'
import { clientDetails, connectedClients, roomSizes } from '../src/realtime/census.js'
import { devicesByMac, eventbusCounters, overallStatus, sensorCounters, totalCounters } from '../src/sensors.js'
import { errorBody } from '../plugins/app/errors.js'
import { sensorsOf } from '../plugins/app/scale.js'
import { TAGS } from '../plugins/external/swagger.js'

/** A full resync costs Kismet a whole device listing: at most one per window, whoever asks. */
export const REFRESH_LIMIT = { max: 1, timeWindow: 5000 }

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/status',
    { schema: { summary: 'Kismet connection of every sensor, and Socket.IO clients', tags: [TAGS.status], response: { 200: StatusResponseSchema } } },
    async () => {
      const all = sensorsOf(app)
      const sensors = all.statuses()
      const details = clientDetails(app.io, (id) => app.realtime.broadcaster.filters.get(id))
      return {
        success: true as const,
        data: {
          kismet: overallStatus(all, sensors),
          sensors,
          tak: app.tak.status(),
          websocket: { clients: details.length, clientDetails: details, rooms: roomSizes(app.io) },
          ...(app.scale && { cluster: app.scale.view(['tak', 'websocket']) }),
        },
      }
    },
  )

  app.post(
    '/refresh',
    {
      config: { rateLimit: { ...REFRESH_LIMIT, keyGenerator: () => 'refresh' } },
      schema: {
        summary: 'Start a full resync with Kismet now (devices, alerts, status), for every sensor or one',
        tags: [TAGS.status],
        querystring: RefreshQuerySchema,
        response: { 200: RefreshResponseSchema, 404: ErrorResponseSchema, 429: ErrorResponseSchema, 503: ErrorResponseSchema },
      },
    },
    async (request, reply) => {
      if (!app.config.KISMET_ENABLED) {
        return reply.code(503).send(errorBody('KISMET_DISABLED', 'Kismet is disabled (KISMET_ENABLED=false): nothing to refresh'))
      }
      const { sensor } = request.query
      const pipelines = sensor === undefined ? app.sensors.all() : [app.sensors.get(sensor)].filter((p) => p !== undefined)
      if (pipelines.length === 0) return reply.code(404).send(errorBody('NOT_FOUND', `No sensor ${JSON.stringify(String(sensor).slice(0, 64))}`))
      // The resync runs in the background; its outcome shows in /status and system:status.
      for (const pipeline of pipelines) {
        pipeline.poller.refresh().catch((error: unknown) => request.log.warn({ err: error, sensor: pipeline.name }, 'refresh failed'))
      }
      return { success: true as const, message: 'Data refresh initiated' }
    },
  )

  app.get(
    '/stats',
    { schema: { summary: 'Counters: polls, errors, bytes (per sensor and added up), events, clients', tags: [TAGS.monitoring], response: { 200: StatsResponseSchema } } },
    async () => {
      const { stats } = app
      const sensors = app.sensors.all().map((pipeline) => ({ name: pipeline.name, ...sensorCounters(pipeline), eventbus: eventbusCounters(pipeline) }))
      return {
        success: true as const,
        data: {
          websocket: {
            clients: connectedClients(app.io),
            rooms: roomSizes(app.io),
            uptime: process.uptime(),
            filters: { distinct: app.realtime.broadcaster.filters.size, evaluations: stats.filterEvaluations },
          },
          kismet: totalCounters(app.sensors, sensors),
          sensors,
          ...(app.scale && { cluster: app.scale.view(['websocket', 'kismet', 'sensors', 'events', 'watch', 'clients', 'tak']) }),
          events: { totalEmitted: stats.totalEmitted, byType: { ...stats.eventsByType }, coalesced: stats.coalesced },
          watch: {
            entries: app.watchlist.store.entries.length,
            ...app.watchlist.watcher.counters,
            webhook: app.watchlist.webhook ? { target: app.watchlist.webhook.target, ...app.watchlist.webhook.counters } : null,
          },
          clients: { errorsByCode: { ...stats.clientErrors }, dropped: stats.socketsDropped, refused: stats.totalConnectionsRefused, refusedByReason: { ...stats.connectionsRefused } },
          tak: app.tak.counters(),
        },
      }
    },
  )

  app.get(
    '/devices/by-mac/:mac',
    {
      schema: {
        summary: "One MAC as every sensor sees it (signal, last heard, location): what places an emitter between sensors",
        tags: [TAGS.devices],
        params: MacParamsSchema,
        response: { 200: ByMacResponseSchema, 400: ErrorResponseSchema },
      },
    },
    async (request) => {
      const mac = request.params.mac.toUpperCase()
      // Strongest last signal first; a view without a signal last.
      const strength = (signal: number | null) => signal ?? Number.MIN_SAFE_INTEGER
      const views = devicesByMac(sensorsOf(app), mac).sort((a, b) => strength(b.device.signal) - strength(a.device.signal))
      return { success: true as const, data: { mac, views } }
    },
  )
}

export default routes
