// REST schemas of one device with its history (GET /api/kismet/ws/devices/:key).
import { Type, type Static } from '@sinclair/typebox'
import { WifiDeviceSchema } from '../events.js'

export const DeviceKeyParamsSchema = Type.Object({
  key: Type.String({ minLength: 1, maxLength: 128, description: "Kismet's device key, as `key` in every device event" }),
})

export const DeviceQuerySchema = Type.Object({
  sensor: Type.Optional(Type.String({ maxLength: 64, description: 'the sensor whose device this is; needed when several sensors hold this key' })),
})

export const DeviceHistorySchema = Type.Object(
  {
    windowMs: Type.Integer({ minimum: 0, description: 'how far back the history reaches (HISTORY_WINDOW_S)' }),
    stepMs: Type.Integer({ minimum: 1, description: 'one sample per step (HISTORY_STEP_S)' }),
    signal: Type.Array(Type.Object({ t: Type.Number({ description: "the step's start, epoch ms" }), dbm: Type.Integer() }), {
      description: 'the last signal heard in each step, oldest first; steps without one are left out',
    }),
    location: Type.Array(Type.Object({ t: Type.Number(), lat: Type.Number(), lon: Type.Number() }), {
      description: 'where Kismet placed the device in each step it was heard while it had a location, oldest first',
    }),
  },
  { description: "The last minutes of the device's signal and position, as the service saw them" },
)

export const DeviceResponseSchema = Type.Object({
  success: Type.Literal(true),
  data: Type.Object({
    sensor: Type.String(),
    device: WifiDeviceSchema,
    history: DeviceHistorySchema,
  }),
})
export type DeviceResponse = Static<typeof DeviceResponseSchema>
