// TypeBox schemas of the REST API (SPEC section 4): every response and error. Routes
// validate and serialise with them; /docs is generated from them; tests check against them.
import { Type, type Static } from '@sinclair/typebox'
import { BANDS, ConnectionStateSchema, DEVICE_TYPES, ENCRYPTION_CLASSES, SubscriptionsSchema, TAK_COT_KINDS, TakStatusDataSchema, TOPICS, WatchEntrySchema, WifiDeviceSchema } from './events.js'
import { MAX_WATCH_ENTRIES, WatchEntryInputSchema } from './watchlist/entries.js'
import { KISMET_ERROR_KINDS } from './kismet/errors.js'
import { ERROR_CODES, EVENT_TYPES } from './events.js'
import { REFUSAL_REASONS } from './realtime/refusals.js'
import { EVENTBUS_STATES } from './kismet/eventbus.js'
import { EVENTBUS_TOPICS } from './kismet/wire.js'

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
  'WATCHLIST_FULL',
  'WATCHLIST_UNAVAILABLE',
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

export const EventbusStateSchema = Type.Union(EVENTBUS_STATES.map((s) => Type.Literal(s)), {
  description: 'connected: pushes arrive; connecting; reconnecting or refused: polling alone; disabled: not used (KISMET_EVENTBUS=off)',
})

const EventbusStatusSchema = Type.Object({
  state: EventbusStateSchema,
  since: Type.Number({ description: 'epoch ms when this state began' }),
  pollIntervalMs: Type.Integer({ minimum: 0, description: 'the poll interval now: POLL_INTERVAL_EVENTBUS_MS while connected, else POLL_INTERVAL_MS' }),
})

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
  eventbus: EventbusStatusSchema,
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

/** ROLE=gateway or producer, or REDIS_URL set: the cluster as Redis shows it (the rest of /status and /stats is this process's own). */
export const ClusterViewSchema = Type.Object(
  {
    role: Type.Union([Type.Literal('all'), Type.Literal('gateway'), Type.Literal('producer')]),
    local: Type.Array(Type.String(), { description: 'the sections of this answer that are this process only (the rest of the cluster is not in them)' }),
    redis: Type.Object({
      state: Type.Union([Type.Literal('connecting'), Type.Literal('ready'), Type.Literal('down')]),
      since: Type.Number({ description: 'epoch ms of the last change of state' }),
      disconnects: Type.Integer({ minimum: 0 }),
      failures: Type.Integer({ minimum: 0, description: 'Redis commands that failed' }),
    }),
    gateways: Type.Integer({ minimum: 0, description: 'live gateways (their records in Redis)' }),
    clients: Type.Integer({ minimum: 0, description: 'Socket.IO clients of every live gateway' }),
    deviceCount: Type.Integer({ minimum: 0, description: "devices of every sensor, as their leaders last said" }),
    sensors: Type.Array(
      Type.Object({
        name: Type.String(),
        leader: Type.Union([Type.String(), Type.Null()], { description: 'the run id of the producer leading it (null: none now)' }),
        state: ConnectionStateSchema,
        deviceCount: Type.Integer({ minimum: 0 }),
        polls: Type.Integer({ minimum: 0 }),
        errors: Type.Integer({ minimum: 0 }),
        held: Type.Integer({ minimum: 0, description: 'envelopes its leader holds while Redis is away' }),
        dropped: Type.Integer({ minimum: 0, description: 'envelopes its leader dropped (Redis away too long: clients got the whole table again)' }),
      }),
    ),
  },
  { description: 'Scale-out: what Redis says of the cluster' },
)
export type ClusterView = Static<typeof ClusterViewSchema>

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
    cluster: Type.Optional(ClusterViewSchema),
    tak: TakStatusSchema,
    websocket: Type.Object({
      clients: Type.Integer({ minimum: 0, description: 'Socket.IO clients connected (the same count as /stats and system:status)' }),
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

const EventbusCountersSchema = Type.Object({
  state: EventbusStateSchema,
  frames: countsOf(EVENTBUS_TOPICS),
  malformedFrames: Type.Integer({ minimum: 0 }),
  bytesReceived: Type.Integer({ minimum: 0 }),
  connects: Type.Integer({ minimum: 0, description: 'upgrades Kismet accepted' }),
  reconnects: Type.Integer({ minimum: 0, description: 'connection attempts after the first' }),
  fallbacks: Type.Integer({ minimum: 0, description: 'times the sensor went back to polling alone (refused, lost, stalled)' }),
  stalls: Type.Integer({ minimum: 0, description: 'connections given up for want of TIMESTAMP' }),
  refusals: Type.Integer({ minimum: 0, description: 'upgrades answered with an HTTP status' }),
})
export type EventbusCounters = Static<typeof EventbusCountersSchema>

export const StatsResponseSchema = Type.Object({
  success: Type.Literal(true),
  data: Type.Object({
    websocket: Type.Object({
      clients: Type.Integer({ minimum: 0, description: 'Socket.IO clients connected (the same count as /status and system:status)' }),
      rooms: RoomCountsSchema,
      uptime: Type.Number({ description: 'seconds since the service started' }),
      filters: Type.Object(
        {
          distinct: Type.Integer({ minimum: 0, description: 'device filters in use (sockets with the same filter share one)' }),
          evaluations: Type.Integer({ minimum: 0, description: 'devices judged by a filter: one per distinct filter per device change' }),
        },
        { description: 'subscription filters' },
      ),
    }),
    kismet: Type.Object(kismetCounters, { description: 'every sensor added up (state: the least ready; lastPollMs: the longest)' }),
    sensors: Type.Array(Type.Object({ name: Type.String(), ...kismetCounters, eventbus: EventbusCountersSchema })),
    cluster: Type.Optional(ClusterViewSchema),
    events: Type.Object({
      totalEmitted: Type.Integer({ minimum: 0 }),
      byType: countsOf(Object.keys(EVENT_TYPES)),
      coalesced: Type.Integer({ minimum: 0 }),
    }),
    watch: Type.Object(
      {
        entries: Type.Integer({ minimum: 0 }),
        tracked: Type.Integer({ minimum: 0, description: '(entry, device) pairs remembered' }),
        found: Type.Integer({ minimum: 0 }),
        lost: Type.Integer({ minimum: 0 }),
        webhook: Type.Union([
          Type.Null(),
          Type.Object({
            target: Type.String({ description: 'WATCH_WEBHOOK_URL without credentials or query' }),
            delivered: Type.Integer({ minimum: 0 }),
            failures: Type.Integer({ minimum: 0, description: 'attempts that failed' }),
            dropped: Type.Integer({ minimum: 0, description: 'events given up (queue full, or every attempt failed)' }),
            queued: Type.Integer({ minimum: 0 }),
          }),
        ]),
      },
      { description: 'watch list: transitions since start, and the webhook (null without WATCH_WEBHOOK_URL)' },
    ),
    clients: Type.Object({
      errorsByCode: countsOf(ERROR_CODES),
      dropped: Type.Integer({ minimum: 0 }),
      refused: Type.Integer({ minimum: 0, description: 'Socket.IO connections refused, every reason' }),
      refusedByReason: countsOf(REFUSAL_REASONS),
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
export const ReadyResponseSchema = Type.Object({ success: Type.Literal(true), ready: Type.Literal(true), kismet: ConnectionStateSchema, sensors: SensorStatesSchema })
export const NotReadyResponseSchema = Type.Object({
  success: Type.Literal(false),
  ready: Type.Literal(false),
  kismet: ConnectionStateSchema,
  sensors: SensorStatesSchema,
  error: Type.Object({ message: Type.String(), code: Type.Literal('NOT_READY') }),
})

// ---------------------------------------------------------------------------------------
// Exports: GET /api/kismet/ws/devices

const listParam = (what: string) => Type.Array(Type.String(), { maxItems: 256, description: `${what}: comma-separated or repeated` })

export const DevicesQuerySchema = Type.Object({
  format: Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('geojson'), Type.Literal('kml')], {
    default: 'json',
    description: 'json (paged), csv, geojson or kml (the last three streamed as a download; geojson and kml hold the geolocated devices only)',
  }),
  sensors: Type.Optional(listParam('sensor names (default: every sensor)')),
  macs: Type.Optional(listParam('exact MACs')),
  ouis: Type.Optional(listParam('MAC prefixes (1 to 5 octets)')),
  ssid: Type.Optional(Type.String({ description: 'a substring of the SSID, case-insensitive' })),
  types: Type.Optional(listParam(`device types (${DEVICE_TYPES.join(', ')})`)),
  minSignal: Type.Optional(Type.Number({ description: 'last signal at least this many dBm' })),
  bands: Type.Optional(listParam(`bands (${BANDS.join(', ')})`)),
  channels: Type.Optional(listParam('primary channel numbers')),
  encryption: Type.Optional(listParam(`encryption classes (${ENCRYPTION_CLASSES.join(', ')})`)),
  randomized: Type.Optional(Type.Boolean({ description: 'false: leave randomised (locally administered) MACs out; true: only them' })),
  offset: Type.Integer({ minimum: 0, default: 0, description: 'json: devices to skip' }),
  limit: Type.Integer({ minimum: 1, maximum: 5000, default: 500, description: 'json: devices per page (at most 5000)' }),
})

export const DevicesPageSchema = Type.Object({
  success: Type.Literal(true),
  data: Type.Object({
    devices: Type.Array(Type.Object({ sensor: Type.String(), device: WifiDeviceSchema }), { description: 'in configuration order of the sensors, then table order' }),
    total: Type.Integer({ minimum: 0, description: 'devices matching, every page together' }),
    offset: Type.Integer({ minimum: 0 }),
    limit: Type.Integer({ minimum: 1 }),
    nextOffset: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: 'the offset of the next page, null after the last' }),
  }),
})

// ---------------------------------------------------------------------------------------
// Watch list: /api/kismet/ws/watchlist

export { WatchEntryInputSchema }
export const WatchListResponseSchema = Type.Object({
  success: Type.Literal(true),
  data: Type.Object({
    entries: Type.Array(WatchEntrySchema),
    limit: Type.Literal(MAX_WATCH_ENTRIES),
    persisted: Type.Boolean({ description: 'kept in DATA_DIR/watchlist.json (false without DATA_DIR, or while the file is unreadable)' }),
    problem: Type.Optional(Type.String({ description: 'why the list cannot be changed (its file could not be read at start)' })),
  }),
})
export const WatchListReplaceSchema = Type.Object({ entries: Type.Array(WatchEntryInputSchema, { maxItems: MAX_WATCH_ENTRIES }) }, { additionalProperties: false })
export const WatchEntryParamsSchema = Type.Object({ id: Type.String({ maxLength: 64 }) })
export const WatchEntryResponseSchema = Type.Object({ success: Type.Literal(true), data: WatchEntrySchema })
