// The ordered shutdown (src/pipeline.ts, shutDown): what the throttle holds goes out, then
// clients get server:shutdown and are let go, then polling stops. One pre-close hook, so the
// order is written once.
import fp from 'fastify-plugin'
import { shutDown } from '../../src/pipeline.js'

export default fp(
  async (app) => {
    app.addHook('preClose', async () => shutDown(app.sensors.all(), () => app.realtime.announceShutdown()))
  },
  { name: 'shutdown', fastify: '5.x', dependencies: ['sensors', 'socketio'] },
)
