// Swagger UI at /docs and the raw OpenAPI document at /docs/json.
import fp from 'fastify-plugin'
import swaggerUi from '@fastify/swagger-ui'

export default fp(
  async (app) => {
    await app.register(swaggerUi, { routePrefix: '/docs' })
  },
  { name: 'swagger-ui', fastify: '5.x', dependencies: ['swagger'] },
)
