// One device with the last minutes of its signal and position: GET /api/kismet/ws/devices/:key
// (registered under the API prefix in app.ts). A device is a sensor's: the same MAC heard by two
// Kismet servers is the same key twice, so `?sensor=` names the sensor when several hold it.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ErrorResponseSchema } from '../src/api-schemas.js'
import { DeviceKeyParamsSchema, DeviceQuerySchema, DeviceResponseSchema } from '../src/history/schemas.js'
import { errorBody } from '../plugins/app/errors.js'

/** A name from a request, fit to be quoted in an error message. */
const quoted = (value: string) => JSON.stringify(value.slice(0, 64))

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/devices/:key',
    {
      schema: {
        summary: "One device, with its signal (and position) over the last minutes; ?sensor= when several sensors hold the key",
        params: DeviceKeyParamsSchema,
        querystring: DeviceQuerySchema,
        tags: ['devices'],
        response: { 200: DeviceResponseSchema, 400: ErrorResponseSchema, 404: ErrorResponseSchema },
      },
    },
    async (request, reply) => {
      const { key } = request.params
      const { sensor } = request.query
      if (sensor !== undefined && !app.sensors.has(sensor)) return reply.code(404).send(errorBody('NOT_FOUND', `No sensor ${quoted(sensor)}`))
      const holders = (sensor === undefined ? app.sensors.all() : [app.sensors.get(sensor)!]).filter((pipeline) => pipeline.tracker.get(key) !== undefined)
      if (holders.length === 0) {
        return reply.code(404).send(errorBody('NOT_FOUND', `No device ${quoted(key)}${sensor === undefined ? '' : ` on sensor ${quoted(sensor)}`}`))
      }
      if (holders.length > 1) {
        const names = holders.map((pipeline) => pipeline.name).join(', ')
        return reply.code(400).send(errorBody('BAD_REQUEST', `Device ${quoted(key)} is held by ${holders.length} sensors (${names}): name one with ?sensor=`))
      }
      const pipeline = holders[0]!
      return {
        success: true as const,
        data: { sensor: pipeline.name, device: pipeline.tracker.get(key)!, history: app.history.of(pipeline.name, key, app.clock.now()) },
      }
    },
  )
}

export default routes
