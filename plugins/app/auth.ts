// With API_TOKEN set, every request in the context this plugin is registered in needs
// `Authorization: Bearer <token>`. app.ts registers it in the context of the protected
// routes only, so what stays open (/health) is decided by where a route is registered, not
// by a list of URLs. (Socket.IO handshakes are checked by src/realtime's connection guard.)
import fp from 'fastify-plugin'
import { tokensMatch } from '../../src/realtime/connection-guard.js'
import { errorBody } from './errors.js'

export default fp(
  async (app) => {
    const token = app.config.API_TOKEN
    if (token === undefined) return
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
