// The live pipeline: device tracker, alert de-duplication, throttle and the poll loop,
// started when the app is ready and stopped on close.
import fp from 'fastify-plugin'
import { AlertDeduper } from '../src/alerts.js'
import { Poller } from '../src/poller.js'
import { EventThrottle } from '../src/throttle.js'
import { DeviceTracker } from '../src/tracker.js'
import { urlForLogs } from '../src/config.js'

declare module 'fastify' {
  interface FastifyInstance {
    tracker: DeviceTracker
    throttle: EventThrottle
    poller: Poller
  }
}

/** Where the poller learns how many clients are connected; the Socket.IO plugin sets it. */
export interface ClientCounter {
  clients: () => number
}

export default fp(
  async (app) => {
    const { config, clock, stats, envelopes, events } = app
    const tracker = new DeviceTracker({ ttlMs: config.DEVICE_TTL_S * 1000 })
    const throttle = new EventThrottle({
      clock,
      factory: envelopes,
      publish: (envelope) => events.publish(envelope),
      stats,
      windows: {
        deviceUpdateMs: config.THROTTLE_DEVICE_UPDATE_MS,
        signalMs: config.THROTTLE_SIGNAL_MS,
        scanMs: config.THROTTLE_SCAN_MS,
        systemMs: config.THROTTLE_SYSTEM_MS,
      },
    })
    const poller = new Poller({
      kismet: app.kismet,
      tracker,
      throttle,
      alerts: new AlertDeduper(),
      stats,
      clock,
      log: app.log.child({ module: 'poller' }),
      settings: {
        enabled: config.KISMET_ENABLED,
        kismetUrl: urlForLogs(config.KISMET_API_URL),
        pollIntervalMs: config.POLL_INTERVAL_MS,
        heartbeatIntervalMs: config.HEARTBEAT_INTERVAL_MS,
        retryDelayMs: config.RETRY_DELAY_MS,
        maxRetries: config.MAX_RETRIES,
        deviceTtlS: config.DEVICE_TTL_S,
      },
      service: () => ({ clients: app.hasDecorator('io') ? app.io.engine.clientsCount : 0 }),
    })
    app.decorate('tracker', tracker)
    app.decorate('throttle', throttle)
    app.decorate('poller', poller)
    app.addHook('onReady', async () => poller.start())
    app.addHook('onClose', async () => {
      // A cycle waiting on a slow Kismet must not hold the shutdown (KISMET_TIMEOUT_MS can
      // exceed the 10 s allowed): stop the loop, then abort its requests, then wait for it.
      const stopped = poller.stop()
      app.kismet.close()
      await stopped
      throttle.close()
    })
  },
  { name: 'poller', fastify: '5.x', dependencies: ['config', 'events', 'kismet'] },
)
