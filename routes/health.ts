// Liveness for orchestrators and scripts: open even when API_TOKEN is set.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { HealthResponseSchema } from '../src/api-schemas.js'
import { TAGS } from '../plugins/external/swagger.js'

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/health',
    { schema: { summary: 'Liveness: 200 while the process serves', tags: [TAGS.health], response: { 200: HealthResponseSchema } } },
    async () => ({ status: 'ok' as const, uptime: process.uptime() }),
  )
}

export default routes
