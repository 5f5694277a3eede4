// The OpenAPI document, generated from the routes' TypeBox schemas (registered before the
// routes, so it sees every one of them); plugins/external/swagger-ui.ts serves it at /docs.
import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'

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
  },
  { name: 'swagger', fastify: '5.x' },
)
