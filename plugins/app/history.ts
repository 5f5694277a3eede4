// The signal history of every sensor's devices (src/history), as `app.history`: one more
// subscriber of the event channel, registered before the sensors start so it sees every
// device from its first event.
import fp from 'fastify-plugin'
import { SignalHistory } from '../../src/history/signal-history.js'

declare module 'fastify' {
  interface FastifyInstance {
    history: SignalHistory
  }
}

export default fp(
  async (app) => {
    const history = new SignalHistory({ windowMs: app.config.HISTORY_WINDOW_S * 1000, stepMs: app.config.HISTORY_STEP_S * 1000 })
    const unsubscribe = app.events.subscribe((envelope) => history.observe(envelope))
    app.decorate('history', history)
    app.addHook('onClose', async () => unsubscribe())
  },
  { name: 'history', fastify: '5.x', dependencies: ['config', 'events'] },
)
