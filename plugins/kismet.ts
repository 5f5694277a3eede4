// The Kismet client as `app.kismet`, built from configuration; in-flight requests are
// aborted on close.
import fp from 'fastify-plugin'
import { KismetClient } from '../src/kismet/client.js'

declare module 'fastify' {
  interface FastifyInstance {
    kismet: KismetClient
  }
}

export default fp(
  async (app) => {
    const { config, stats } = app
    const client = new KismetClient({
      baseUrl: config.KISMET_API_URL,
      ...(config.KISMET_API_KEY !== undefined && { apiKey: config.KISMET_API_KEY }),
      ...(config.KISMET_USER !== undefined && { user: config.KISMET_USER }),
      ...(config.KISMET_PASSWORD !== undefined && { password: config.KISMET_PASSWORD }),
      timeoutMs: config.KISMET_TIMEOUT_MS,
      onResponse: ({ bytes }) => {
        stats.kismetRequests += 1
        stats.bytesReceived += bytes
      },
    })
    app.decorate('kismet', client)
    app.addHook('onClose', async () => client.close())
  },
  { name: 'kismet', fastify: '5.x', dependencies: ['config', 'events'] },
)
