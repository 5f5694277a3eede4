// Says once, when the server listens, that the configuration leaves the stream open to anyone
// (src/open-access.ts decides).
import fp from 'fastify-plugin'
import { openAccessWarning } from '../../src/open-access.js'

export default fp(
  async (app) => {
    app.addHook('onListen', async () => {
      const address = app.server.address()
      const port = typeof address === 'object' && address !== null ? address.port : app.config.PORT
      const warning = openAccessWarning(app.config, port)
      if (warning !== undefined) app.log.warn({ HOST: app.config.HOST, CORS_ORIGIN: app.config.CORS_ORIGIN }, warning)
    })
  },
  { name: 'open-access', fastify: '5.x', dependencies: ['config'] },
)
