// Readiness: whether the service has what it needs to serve (Kismet connected, or disabled).
// One envelope either way: { success, ready, kismet, sensors }, and the error when not ready.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { NotReadyResponseSchema, ReadyResponseSchema } from '../src/api-schemas.js'
import { TAGS } from '../plugins/external/swagger.js'
import { sensorsOf } from '../plugins/app/scale.js'

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/ready',
    {
      schema: {
        summary: 'Readiness: 200 when every sensor (or READY_MIN_SENSORS of them) is connected (or Kismet is disabled), 503 with the states otherwise',
        tags: [TAGS.health],
        response: { 200: ReadyResponseSchema, 503: NotReadyResponseSchema },
      },
    },
    async (_request, reply) => {
      const sensors = sensorsOf(app)
      const state = sensors.state
      const states = sensors.names().map((name) => ({ name, state: sensors.stateOf(name) ?? ('connecting' as const) }))
      const needed = app.config.READY_MIN_SENSORS ?? states.length
      const redisDown = app.scale !== undefined && app.scale.health.state !== 'ready'
      if (sensors.ready >= needed && !redisDown) return { success: true as const, ready: true as const, kismet: state, sensors: states }
      const missing = states.filter((s) => s.state !== 'connected' && s.state !== 'disabled')
      const what = redisDown
        ? `Redis is unavailable (state: ${app.scale!.health.state})${app.scale!.health.connectionError === undefined ? '' : `: ${app.scale!.health.connectionError}`}`
        : states.length === 1 ? `Kismet is not connected (state: ${state})` : `${sensors.ready} of ${states.length} sensors connected, ${needed} needed (${missing.map((s) => `${s.name}: ${s.state}`).join(', ')})`
      return reply.code(503).send({ success: false as const, ready: false as const, kismet: state, sensors: states, error: { message: what, code: 'NOT_READY' as const } })
    },
  )
}

export default routes
