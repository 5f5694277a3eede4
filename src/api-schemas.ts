// TypeBox schemas of the REST API (SPEC section 4): every response and error. Routes
// validate and serialise with them; /docs is generated from them; tests check against them.
import { Type, type Static } from '@sinclair/typebox'
import { ConnectionStateSchema, TOPICS } from './events.js'
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

export const StatusResponseSchema = Type.Object({
  success: Type.Literal(true),
  data: Type.Object({
    kismet: Type.Object({
      connected: Type.Boolean(),
      state: ConnectionStateSchema,
      retries: Type.Integer({ minimum: 0 }),
      deviceCount: Type.Integer({ minimum: 0 }),
      lastPoll: Type.Union([Type.Number(), Type.Null()], { description: 'epoch ms of the last successful poll' }),
      version: Type.Optional(Type.String()),
    }),
    websocket: Type.Object({
      clients: Type.Integer({ minimum: 0 }),
      clientDetails: Type.Array(
        Type.Object({
          id: Type.String(),
          address: Type.String(),
          connectedAt: Type.Number({ description: 'epoch ms' }),
          topics: Type.Array(Type.String()),
        }),
      ),
      rooms: RoomCountsSchema,
    }),
  }),
})
export type StatusResponse = Static<typeof StatusResponseSchema>

export const RefreshResponseSchema = Type.Object({ success: Type.Literal(true), message: Type.String() })

export const StatsResponseSchema = Type.Object({
  success: Type.Literal(true),
  data: Type.Object({
    websocket: Type.Object({
      connectedClients: Type.Integer({ minimum: 0 }),
      rooms: RoomCountsSchema,
      uptime: Type.Number({ description: 'seconds since the service started' }),
    }),
    kismet: Type.Object({
      state: ConnectionStateSchema,
      polls: Type.Integer({ minimum: 0 }),
      errors: Type.Integer({ minimum: 0 }),
      errorsByKind: countsOf(KISMET_ERROR_KINDS),
      requests: Type.Integer({ minimum: 0 }),
      lastPollMs: Type.Number(),
      bytesReceived: Type.Integer({ minimum: 0 }),
      devicesTracked: Type.Integer({ minimum: 0 }),
      malformedRecords: Type.Integer({ minimum: 0 }),
    }),
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
  }),
})
export type StatsResponse = Static<typeof StatsResponseSchema>

export const HealthResponseSchema = Type.Object({ status: Type.Literal('ok'), uptime: Type.Number() })
export const ReadyResponseSchema = Type.Object({ ready: Type.Literal(true), kismet: ConnectionStateSchema })
export const NotReadyResponseSchema = Type.Object({
  success: Type.Literal(false),
  ready: Type.Literal(false),
  kismet: ConnectionStateSchema,
  error: Type.Object({ message: Type.String(), code: Type.Literal('NOT_READY') }),
})
