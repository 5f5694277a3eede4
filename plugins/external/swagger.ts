// The OpenAPI document, generated from the routes' TypeBox schemas (registered before the
// routes, so it sees every one of them); plugins/external/swagger-ui.ts serves it at /docs.
// With API_TOKEN set it declares the bearer scheme, which plugins/app/auth.ts puts on every
// operation it protects; each operation carries one of the tags below, by area.
import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'

/** The security scheme's name in the document (components.securitySchemes). */
export const BEARER_SCHEME = 'bearer'

/** The areas of the REST API: each operation is tagged with one. */
export const TAGS = {
  health: 'health',
  status: 'status',
  monitoring: 'monitoring',
  devices: 'devices',
  watchlist: 'watchlist',
} as const

const TAG_DESCRIPTIONS: Record<(typeof TAGS)[keyof typeof TAGS], string> = {
  health: 'Liveness and readiness, for orchestrators and scripts',
  status: 'The sensors and the Socket.IO clients: connection states, who is subscribed, resync',
  monitoring: 'Counters, as JSON and as Prometheus text',
  devices: 'Devices as the sensors see them: one, one MAC across sensors, and exports',
  watchlist: 'Watch lists: MACs, MAC prefixes and SSIDs to be told about (watch:found, watch:lost)',
}

export default fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        info: {
          title: 'kismet-ws',
          description: 'REST side of kismet-ws. Live events are on Socket.IO at /socket.io (see the README).',
          version: '0.1.0',
        },
        tags: Object.entries(TAG_DESCRIPTIONS).map(([name, description]) => ({ name, description })),
        ...(app.config.API_TOKEN !== undefined && {
          components: {
            securitySchemes: { [BEARER_SCHEME]: { type: 'http', scheme: 'bearer', description: 'The API_TOKEN the service was started with' } },
          },
        }),
      },
    })
  },
  { name: 'swagger', fastify: '5.x', dependencies: ['config'] },
)
