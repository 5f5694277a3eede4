// With API_TOKEN set, every REST call but /health needs `Authorization: Bearer <token>`.
// (Socket.IO handshakes are checked by the connection guard in the Socket.IO plugin.)
import fp from 'fastify-plugin'
import { tokensMatch } from '../src/realtime/connection-guard.js'
import { errorBody } from './errors.js'

const OPEN_PATHS = new Set(['/health'])

export default fp(
  async (app) => {
    const token = app.config.API_TOKEN
    if (token === undefined) return
    app.addHook('onRequest', async (request, reply) => {
      if (OPEN_PATHS.has(request.url.split('?')[0] ?? '')) return
      const header = request.headers.authorization
      const given = header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined
      if (!tokensMatch(given, token)) {
        return reply.code(401).send(errorBody('UNAUTHORIZED', 'Missing or wrong bearer token'))
      }
    })
  },
  { name: 'auth', fastify: '5.x', dependencies: ['config', 'errors'] },
)
