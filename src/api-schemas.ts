// TypeBox schemas of the REST API (SPEC section 4): every response and error. Routes
// validate and serialise with them; /docs is generated from them; tests check against them.
import { Type, type Static } from '@sinclair/typebox'
import { ConnectionStateSchema, SubscriptionsSchema, TAK_COT_KINDS, TakStatusDataSchema, TOPICS, WifiDeviceSchema } from './events.js'
import { KISMET_ERROR_KINDS } from './kismet/errors.js'
import { ERROR_CODES, EVENT_TYPES } from './events.js'

export const REST_ERROR_CODES = [
  'BAD_REQUEST',
  'UNAUTHORIZED',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'RATE_LIMITED',
  'KISMET_DISABLED',
  'NOT_READY',
  'INTERNAL',
] as const
export type RestErrorCode = (typeof REST_ERROR_CODES)[number]

export const ErrorResponseSchema = Type.Object(
  {
    success: Type.Literal(false),
    error: Type.Object({ message: Type.String(), code: Type.Union(REST_ERROR_CODES.map((c) => Type.Literal(c))) }),
  },
  { $id: 'ErrorResponse', description: 'Every error has this shape' },
)
export type ErrorResponse = Static<typeof ErrorResponseSchema>

const countsOf = (keys: readonly string[]) => Type.Object(Object.fromEntries(keys.map((k) => [k, Type.Integer({ minimum: 0 })])))

const RoomCountsSchema = countsOf(TOPICS)

const SensorStatusSchema = Type.Object({
  name: Type.String({ description: 'the configured sensor name' }),
  url: Type.String({ description: 'where its Kismet is (no credentials)' }),
  connected: Type.Boolean(),
  state: ConnectionStateSchema,
  retries: Type.Integer({ minimum: 0 }),
  deviceCount: Type.Integer({ minimum: 0 }),
  lastPoll: Type.Union([Type.Number(), Type.Null()], { description: 'epoch ms of the last successful poll' }),
  version: Type.Optional(Type.String()),
  serverUuid: Type.Optional(Type.String({ description: "Kismet's server UUID" })),
  startedAt: Type.Optional(Type.Number({ description: 'epoch ms when this Kismet started' })),
})
export type SensorStatus = Static<typeof SensorStatusSchema>

/** TAK in /status: whether it runs, the markers live now, each output as tak:status shows it. */
const TakStatusSchema = Type.Object({
  enabled: Type.Boolean({ description: 'TAK_ENABLED' }),
  markers: Type.Object({
    devices: Type.Integer({ minimum: 0, description: 'device markers live at TAK clients (sent, not stale)' }),
    sensors: Type.Integer({ minimum: 0, description: "sensors' own markers live" }),
    candidates: Type.Integer({ minimum: 0, description: 'devices that pass the policy (at most TAK_MAX_DEVICES of them get a marker)' }),
  }),
  outputs: Type.Array(TakStatusDataSchema),
})

export const StatusResponseSchema = Type.Object({
  success: Type.Literal(true),
  data: Type.Object({
    kismet: Type.Object(
      {
        connected: Type.Boolean({ description: 'every sensor connected' }),
        state: ConnectionStateSchema,
        retries: Type.Integer({ minimum: 0 }),
        deviceCount: Type.Integer({ minimum: 0 }),
        lastPoll: Type.Union([Type.Number(), Type.Null()], { description: "epoch ms of the stalest sensor's last successful poll" }),
        version: Type.Optional(Type.String()),
      },
      { description: 'All sensors taken together: the least ready state, the most retries, the devices of all' },
    ),
    sensors: Type.Array(SensorStatusSchema),
    tak: TakStatusSchema,
    websocket: Type.Object({
      clients: Type.Integer({ minimum: 0 }),
      clientDetails: Type.Array(
        Type.Object({
          id: Type.String(),
          address: Type.String(),
          connectedAt: Type.Number({ description: 'epoch ms' }),
          topics: Type.Array(Type.String()),
          subscriptions: SubscriptionsSchema,
        }),
      ),
      rooms: RoomCountsSchema,
    }),
  }),
})
export type StatusResponse = Static<typeof StatusResponseSchema>

export const RefreshQuerySchema = Type.Object({ sensor: Type.Optional(Type.String({ description: 'one sensor by name (default: every sensor)' })) })
export const RefreshResponseSchema = Type.Object({ success: Type.Literal(true), message: Type.String() })

const kismetCounters = {
  state: ConnectionStateSchema,
  polls: Type.Integer({ minimum: 0 }),
  errors: Type.Integer({ minimum: 0 }),
  errorsByKind: countsOf(KISMET_ERROR_KINDS),
  requests: Type.Integer({ minimum: 0 }),
  lastPollMs: Type.Number(),
  bytesReceived: Type.Integer({ minimum: 0 }),
  devicesTracked: Type.Integer({ minimum: 0 }),
  malformedRecords: Type.Integer({ minimum: 0 }),
}

export const StatsResponseSchema = Type.Object({
  success: Type.Literal(true),
  data: Type.Object({
    websocket: Type.Object({
      connectedClients: Type.Integer({ minimum: 0 }),
      rooms: RoomCountsSchema,
      uptime: Type.Number({ description: 'seconds since the service started' }),
    }),
    kismet: Type.Object(kismetCounters, { description: 'every sensor added up (state: the least ready; lastPollMs: the longest)' }),
    sensors: Type.Array(Type.Object({ name: Type.String(), ...kismetCounters })),
    events: Type.Object({
      totalEmitted: Type.Integer({ minimum: 0 }),
      byType: countsOf(Object.keys(EVENT_TYPES)),
      coalesced: Type.Integer({ minimum: 0 }),
    }),
    clients: Type.Object({
      errorsByCode: countsOf(ERROR_CODES),
      dropped: Type.Integer({ minimum: 0 }),
      refused: Type.Integer({ minimum: 0 }),
    }),
    tak: Type.Object({
      events: countsOf(TAK_COT_KINDS),
      outputs: Type.Array(Type.Pick(TakStatusDataSchema, ['output', 'state', 'sent', 'dropped', 'queued', 'bytesSent', 'bytesReceived', 'connects'])),
    }),
  }),
})
export type StatsResponse = Static<typeof StatsResponseSchema>

export const MacParamsSchema = Type.Object({ mac: Type.String({ pattern: '^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$', description: 'AA:BB:CC:DD:EE:FF' }) })
export const ByMacResponseSchema = Type.Object({
  success: Type.Literal(true),
  data: Type.Object({
    mac: Type.String(),
    views: Type.Array(Type.Object({ sensor: Type.String(), device: WifiDeviceSchema }), {
      description: "every sensor's record of this MAC, strongest last signal first",
    }),
  }),
})

export const HealthResponseSchema = Type.Object({ status: Type.Literal('ok'), uptime: Type.Number() })
const SensorStatesSchema = Type.Array(Type.Object({ name: Type.String(), state: ConnectionStateSchema }))
export const ReadyResponseSchema = Type.Object({ ready: Type.Literal(true), kismet: ConnectionStateSchema, sensors: SensorStatesSchema })
export const NotReadyResponseSchema = Type.Object({
  success: Type.Literal(false),
  ready: Type.Literal(false),
  kismet: ConnectionStateSchema,
  sensors: SensorStatesSchema,
  error: Type.Object({ message: Type.String(), code: Type.Literal('NOT_READY') }),
})
