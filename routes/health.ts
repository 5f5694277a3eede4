// Liveness and readiness for orchestrators and scripts.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { HealthResponseSchema, NotReadyResponseSchema, ReadyResponseSchema } from '../src/api-schemas.js'

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/health',
    { schema: { summary: 'Liveness: 200 while the process serves', response: { 200: HealthResponseSchema } } },
    async () => ({ status: 'ok' as const, uptime: process.uptime() }),
  )

  app.get(
    '/ready',
    {
      schema: {
        summary: 'Readiness: 200 when Kismet is connected (or disabled), 503 with the state otherwise',
        response: { 200: ReadyResponseSchema, 503: NotReadyResponseSchema },
      },
    },
    async (_request, reply) => {
      const state = app.poller.state
      if (state === 'connected' || state === 'disabled') return { ready: true as const, kismet: state }
      return reply.code(503).send({
        success: false as const,
        ready: false as const,
        kismet: state,
        error: { message: `Kismet is not connected (state: ${state})`, code: 'NOT_READY' as const },
      })
    },
  )
}

export default routes
