// The watch list (src/watchlist/) as `app.watchlist`: entries persisted under DATA_DIR,
// watch:found / watch:lost on the alerts topic, the optional webhook. Registered after the
// Socket.IO plugin, so that a device's own event reaches clients before the watch event it causes.
import fp from 'fastify-plugin'
import { createWatchList, type WatchList } from '../../src/watchlist/watch-list.js'

declare module 'fastify' {
  interface FastifyInstance {
    watchlist: WatchList
  }
}

export interface WatchListPluginOptions {
  webhook?: { retryDelayMs?: number; timeoutMs?: number; maxQueue?: number; maxAttempts?: number }
}

export default fp<WatchListPluginOptions>(
  async (app, opts) => {
    const { config } = app
    const watchlist = await createWatchList({
      channel: app.events,
      factory: app.envelopes,
      clock: app.clock,
      dataDir: config.DATA_DIR,
      lostMs: config.WATCH_LOST_S * 1000,
      webhookUrl: config.WATCH_WEBHOOK_URL,
      tables: function* () {
        for (const pipeline of app.sensors.all()) for (const device of pipeline.tracker.values()) yield { sensor: pipeline.name, device }
      },
      log: app.log.child({ module: 'watchlist' }),
      ...(opts.webhook && { webhook: opts.webhook }),
    })
    app.decorate('watchlist', watchlist)
    app.addHook('onClose', async () => watchlist.close())
  },
  { name: 'watchlist', fastify: '5.x', dependencies: ['config', 'events', 'sensors', 'socketio'] },
)
