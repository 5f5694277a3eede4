// OpenAPI generated from the routes' TypeBox schemas, served at /docs.
import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'

export default fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        info: {
          title: 'kismet-ws',
          description: 'REST side of kismet-ws. Live events are on Socket.IO at /socket.io (see the README).',
          version: '0.1.0',
        },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      },
    })
    await app.register(swaggerUi, { routePrefix: '/docs' })
  },
  { name: 'swagger', fastify: '5.x' },
)
