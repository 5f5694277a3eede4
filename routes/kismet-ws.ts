// The service's own REST API, registered under the prefix /api/kismet/ws (app.ts): status, refresh, stats.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import {
  ErrorResponseSchema,
  RefreshResponseSchema,
  StatsResponseSchema,
  StatusResponseSchema,
} from '../src/api-schemas.js'
import { clientDetails, connectedClients, roomSizes } from '../src/realtime/census.js'
import { errorBody } from '../plugins/app/errors.js'

/** A full resync costs Kismet a whole device listing: at most one per window, whoever asks. */
export const REFRESH_LIMIT = { max: 1, timeWindow: 5000 }

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/status',
    { schema: { summary: 'Kismet connection and Socket.IO clients', response: { 200: StatusResponseSchema, 401: ErrorResponseSchema } } },
    async () => {
      const link = app.pipeline.poller.link
      const details = clientDetails(app.io)
      return {
        success: true as const,
        data: {
          kismet: {
            connected: link.connected,
            state: link.state,
            retries: link.retries,
            deviceCount: app.pipeline.tracker.size,
            lastPoll: link.lastPoll ?? null,
            ...(link.version !== undefined && { version: link.version }),
          },
          websocket: { clients: details.length, clientDetails: details, rooms: roomSizes(app.io) },
        },
      }
    },
  )

  app.post(
    '/refresh',
    {
      config: { rateLimit: { ...REFRESH_LIMIT, keyGenerator: () => 'refresh' } },
      schema: {
        summary: 'Start a full resync with Kismet now (devices, alerts, status)',
        response: { 200: RefreshResponseSchema, 401: ErrorResponseSchema, 429: ErrorResponseSchema, 503: ErrorResponseSchema },
      },
    },
    async (request, reply) => {
      if (!app.config.KISMET_ENABLED) {
        return reply.code(503).send(errorBody('KISMET_DISABLED', 'Kismet is disabled (KISMET_ENABLED=false): nothing to refresh'))
      }
      // The resync runs in the background; its outcome shows in /status and system:status.
      app.pipeline.poller.refresh().catch((error: unknown) => request.log.warn({ err: error }, 'refresh failed'))
      return { success: true as const, message: 'Data refresh initiated' }
    },
  )

  app.get(
    '/stats',
    { schema: { summary: 'Counters: polls, errors, bytes, events, clients', response: { 200: StatsResponseSchema, 401: ErrorResponseSchema } } },
    async () => {
      const { stats } = app
      return {
        success: true as const,
        data: {
          websocket: { connectedClients: connectedClients(app.io), rooms: roomSizes(app.io), uptime: process.uptime() },
          kismet: {
            state: app.pipeline.poller.state,
            polls: stats.polls,
            errors: stats.totalKismetErrors,
            errorsByKind: { ...stats.kismetErrors },
            requests: stats.kismetRequests,
            lastPollMs: stats.lastPollMs,
            bytesReceived: stats.bytesReceived,
            devicesTracked: app.pipeline.tracker.size,
            malformedRecords: stats.malformedRecords,
          },
          events: { totalEmitted: stats.totalEmitted, byType: { ...stats.eventsByType }, coalesced: stats.coalesced },
          clients: { errorsByCode: { ...stats.clientErrors }, dropped: stats.socketsDropped, refused: stats.connectionsRefused },
        },
      }
    },
  )
}

export default routes
