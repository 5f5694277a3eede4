// With API_TOKEN set, every request in the context this plugin is registered in needs
// `Authorization: Bearer <token>`. app.ts registers it in the context of the protected
// routes only, so what stays open (/health) is decided by where a route is registered, not
// by a list of URLs. Each route of that context is marked in the OpenAPI document as needing
// the bearer scheme (plugins/external/swagger.ts), so Swagger UI's Authorize sends the token
// on exactly those. (Socket.IO handshakes are checked by src/realtime's connection guard.)
import fp from 'fastify-plugin'
import { ErrorResponseSchema } from '../../src/api-schemas.js'
import { tokensMatch } from '../../src/realtime/connection-guard.js'
import { errorBody } from './errors.js'
import { BEARER_SCHEME } from '../external/swagger.js'

export default fp(
  async (app) => {
    const token = app.config.API_TOKEN
    if (token === undefined) return
    // Runs for the routes registered after this plugin in its context; @fastify/swagger reads
    // the route's schema when the document is generated, so the mark is seen.
    app.addHook('onRoute', (route) => {
      const response = { 401: ErrorResponseSchema, ...(route.schema?.response as object | undefined) }
      route.schema = { ...route.schema, security: [{ [BEARER_SCHEME]: [] }], response }
    })
    app.addHook('onRequest', async (request, reply) => {
      const header = request.headers.authorization
      const given = header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined
      if (!tokensMatch(given, token)) {
        return reply.code(401).send(errorBody('UNAUTHORIZED', 'Missing or wrong bearer token'))
      }
    })
  },
  { name: 'auth', fastify: '5.x', dependencies: ['config', 'errors'] },
)
