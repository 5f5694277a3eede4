// CORS for the REST API from CORS_ORIGIN (Socket.IO takes the same list through its own option).
import fp from 'fastify-plugin'
import cors from '@fastify/cors'
import { parseOrigins } from '../../src/realtime/origins.js'

export default fp(
  async (app) => {
    const origins = parseOrigins(app.config.CORS_ORIGIN)
    await app.register(cors, { origin: origins === '*' ? '*' : origins, methods: ['GET', 'POST'] })
  },
  { name: 'cors', fastify: '5.x', dependencies: ['config'] },
)
