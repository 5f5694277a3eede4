// Readiness: whether the service has what it needs to serve (Kismet connected, or disabled).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { NotReadyResponseSchema, ReadyResponseSchema } from '../src/api-schemas.js'

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/ready',
    {
      schema: {
        summary: 'Readiness: 200 when Kismet is connected (or disabled), 503 with the state otherwise',
        response: { 200: ReadyResponseSchema, 503: NotReadyResponseSchema },
      },
    },
    async (_request, reply) => {
      const state = app.pipeline.poller.state
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
