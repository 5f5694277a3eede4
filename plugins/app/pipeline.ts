// The sensor's pipeline (src/pipeline.ts) as `app.pipeline`, built from configuration and
// started when the app is ready. The ordered shutdown is plugins/app/shutdown.ts's; the
// onClose here only makes sure nothing is left running if the app closes before that.
import fp from 'fastify-plugin'
import { createPipeline, type Pipeline } from '../../src/pipeline.js'
import { connectedClients } from '../../src/realtime/census.js'

declare module 'fastify' {
  interface FastifyInstance {
    pipeline: Pipeline
  }
}

export default fp(
  async (app) => {
    const { config, clock, stats, envelopes, events } = app
    const pipeline = createPipeline({
      settings: {
        kismet: {
          baseUrl: config.KISMET_API_URL,
          ...(config.KISMET_API_KEY !== undefined && { apiKey: config.KISMET_API_KEY }),
          ...(config.KISMET_USER !== undefined && { user: config.KISMET_USER }),
          ...(config.KISMET_PASSWORD !== undefined && { password: config.KISMET_PASSWORD }),
          timeoutMs: config.KISMET_TIMEOUT_MS,
          onResponse: ({ bytes }) => {
            stats.kismetRequests += 1
            stats.bytesReceived += bytes
          },
        },
        poll: {
          enabled: config.KISMET_ENABLED,
          pollIntervalMs: config.POLL_INTERVAL_MS,
          heartbeatIntervalMs: config.HEARTBEAT_INTERVAL_MS,
          retryDelayMs: config.RETRY_DELAY_MS,
          maxRetries: config.MAX_RETRIES,
          deviceTtlS: config.DEVICE_TTL_S,
        },
        throttle: {
          deviceUpdateMs: config.THROTTLE_DEVICE_UPDATE_MS,
          signalMs: config.THROTTLE_SIGNAL_MS,
          scanMs: config.THROTTLE_SCAN_MS,
          systemMs: config.THROTTLE_SYSTEM_MS,
        },
      },
      clock,
      log: app.log.child({ module: 'poller' }),
      stats,
      factory: envelopes,
      publish: (envelope) => events.publish(envelope),
      // The Socket.IO plugin comes before this one (see app.ts).
      clients: () => connectedClients(app.io),
    })
    app.decorate('pipeline', pipeline)
    app.addHook('onReady', async () => pipeline.start())
    app.addHook('onClose', async () => pipeline.stop())
  },
  { name: 'pipeline', fastify: '5.x', dependencies: ['config', 'events', 'socketio'] },
)
