// The ordered shutdown (src/pipeline.ts, shutDown): what the throttle holds goes out, then
// clients get server:shutdown and are let go, then polling stops. One pre-close hook, so the
// order is written once.
import fp from 'fastify-plugin'
import { shutDown } from '../../src/pipeline.js'

/** `docker stop` (and Kubernetes' default grace) sends SIGKILL this long after SIGTERM. */
export const DOCKER_STOP_TIMEOUT_MS = 10_000
/**
 * How long server.ts lets the ordered shutdown take before it gives up and exits 1: below
 * DOCKER_STOP_TIMEOUT_MS with a margin, so a stuck close ends with our own log line and exit
 * status rather than a SIGKILL. The shutdown itself takes 1-4 s under load (its own bounds:
 * 2 s to drain writes, 1 s for websocket closes).
 */
export const CLOSE_GRACE_MS = 8_000

export default fp(
  async (app) => {
    app.addHook('preClose', async () => shutDown(app.sensors.all(), () => app.realtime.announceShutdown()))
  },
  { name: 'shutdown', fastify: '5.x', dependencies: ['sensors', 'socketio'] },
)
