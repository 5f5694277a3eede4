// Rate limits for the REST API (Socket.IO traffic never reaches Fastify's router; it has
// its own per-socket limiter). Routes tighten it with `config.rateLimit`.
import fp from 'fastify-plugin'
import rateLimit from '@fastify/rate-limit'

export default fp(
  async (app) => {
    await app.register(rateLimit, {
      max: 600,
      timeWindow: 60_000,
      // What the builder returns is thrown; the common error handler shapes the body.
      errorResponseBuilder: (_request, context) =>
        Object.assign(new Error(`Too many requests; retry in ${Math.ceil(context.ttl / 1000)} s`), { statusCode: context.statusCode }),
    })
  },
  { name: 'rate-limit', fastify: '5.x', dependencies: ['errors'] },
)
