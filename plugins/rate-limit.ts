// Rate limits for the REST API (Socket.IO traffic never reaches Fastify's router; it has
// its own per-socket limiter). Routes tighten it with `config.rateLimit`.
import fp from 'fastify-plugin'
import rateLimit from '@fastify/rate-limit'
import { errorBody } from './errors.js'

export default fp(
  async (app) => {
    await app.register(rateLimit, {
      max: 600,
      timeWindow: 60_000,
      errorResponseBuilder: (_request, context) => ({
        statusCode: context.statusCode,
        ...errorBody('RATE_LIMITED', `Too many requests; retry in ${Math.ceil(context.ttl / 1000)} s`),
      }),
    })
  },
  { name: 'rate-limit', fastify: '5.x', dependencies: ['errors'] },
)
