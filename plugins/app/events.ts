// The internal event channel, the envelope factory and the service counters: what the
// pipeline produces into and what the Socket.IO layer, REST and metrics read.
import fp from 'fastify-plugin'
import { systemClock, type Clock } from '../../src/clock.js'
import { EnvelopeFactory, EventChannel } from '../../src/envelope.js'
import { ServiceStats } from '../../src/stats.js'

declare module 'fastify' {
  interface FastifyInstance {
    clock: Clock
    stats: ServiceStats
    envelopes: EnvelopeFactory
    events: EventChannel
  }
}

export interface EventsPluginOptions {
  clock?: Clock
}

export default fp<EventsPluginOptions>(
  async (app, opts) => {
    const clock = opts.clock ?? systemClock
    const stats = new ServiceStats()
    app.decorate('clock', clock)
    app.decorate('stats', stats)
    app.decorate('envelopes', new EnvelopeFactory({ clock, stats }))
    app.decorate('events', new EventChannel((error) => app.log.error({ err: error }, 'An event listener failed')))
  },
  { name: 'events', fastify: '5.x' },
)
