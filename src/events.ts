// The client-facing contract (SPEC section 3): data shapes, event payloads, the envelope
// and the Socket.IO event maps. Defined once as TypeBox schemas so the server validates
// and serialises with them, the OpenAPI document is generated from them, and tests check
// every event they receive against them.
import { Type, type Static, type TSchema } from '@sinclair/typebox'

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

export const TOPICS = ['devices', 'alerts', 'system', 'scan', 'tak'] as const
export const TopicSchema = Type.Union(TOPICS.map((t) => Type.Literal(t)))
export type Topic = (typeof TOPICS)[number]

export const DEVICE_TYPES = ['AP', 'Client', 'Bridged', 'Ad-Hoc', 'WDS', 'Device', 'Unknown'] as const
export type DeviceType = (typeof DEVICE_TYPES)[number]

export const LocationSchema = Type.Object({
  lat: Type.Number(),
  lon: Type.Number(),
  alt: Type.Optional(Type.Number()),
  fix: Type.Number(),
})
export type Location = Static<typeof LocationSchema>

export const WifiDeviceSchema = Type.Object({
  key: Type.String(),
  mac: Type.String(),
  /** Kismet's PHY name ('IEEE802.11', 'Bluetooth', ...): a MAC is one device per PHY. */
  phy: Type.String(),
  name: Type.String(),
  ssid: Nullable(Type.String()),
  type: Type.Union(DEVICE_TYPES.map((t) => Type.Literal(t))),
  manufacturer: Nullable(Type.String()),
  channel: Nullable(Type.Number()),
  frequency: Nullable(Type.Number()),
  signal: Nullable(Type.Number()),
  encryption: Nullable(Type.String()),
  firstSeen: Type.Number(),
  lastSeen: Type.Number(),
  packets: Type.Number(),
  dataBytes: Type.Number(),
  clients: Type.Optional(Type.Number()),
  bssid: Type.Optional(Nullable(Type.String())),
  location: Type.Optional(Nullable(LocationSchema)),
})
export type WifiDevice = Static<typeof WifiDeviceSchema>

/** Fields whose change alone is a `signal:update` rather than a `device:update`. */
export const LIVE_COUNTER_FIELDS = ['signal', 'lastSeen', 'packets', 'dataBytes'] as const

export const AlertSchema = Type.Object({
  id: Type.String(),
  type: Type.Literal('kismet'),
  timestamp: Type.Number(),
  severity: Type.Union([Type.Literal('low'), Type.Literal('medium'), Type.Literal('high')]),
  message: Type.String(),
  header: Type.String(),
  class: Type.String(),
  deviceKey: Type.Optional(Type.String()),
  mac: Type.Optional(Type.String()),
  read: Type.Literal(false),
})
export type Alert = Static<typeof AlertSchema>

export const CONNECTION_STATES = ['disabled', 'connecting', 'connected', 'backoff', 'auth_failed'] as const
export const ConnectionStateSchema = Type.Union(CONNECTION_STATES.map((s) => Type.Literal(s)))
export type ConnectionState = (typeof CONNECTION_STATES)[number]

/**
 * `changes` of a device:update: the fields that differ from what the room was last sent, with
 * their new values. A field the device no longer has (Kismet reclassified it: an AP that
 * became a client loses `clients`) is null, so that it survives JSON.
 */
export const DeviceChangesSchema = Type.Partial(Type.Object({ ...WifiDeviceSchema.properties, clients: Nullable(Type.Number()) }))
export type DeviceChanges = Static<typeof DeviceChangesSchema>

export const DeviceUpdateDataSchema = Type.Object({
  device: WifiDeviceSchema,
  action: Type.Union([Type.Literal('new'), Type.Literal('update'), Type.Literal('remove')]),
  changes: Type.Optional(DeviceChangesSchema),
})
export type DeviceUpdateData = Static<typeof DeviceUpdateDataSchema>

export const SignalUpdateDataSchema = Type.Object({
  key: Type.String(),
  mac: Type.String(),
  signal: Nullable(Type.Number()),
  lastSeen: Type.Number(),
  packets: Type.Number(),
  dataBytes: Type.Number(),
})
export type SignalUpdateData = Static<typeof SignalUpdateDataSchema>

export const DeviceSnapshotDataSchema = Type.Object({
  devices: Type.Array(WifiDeviceSchema),
  chunk: Type.Integer({ minimum: 0 }),
  chunks: Type.Integer({ minimum: 1 }),
})
export type DeviceSnapshotData = Static<typeof DeviceSnapshotDataSchema>

export const AlertNewDataSchema = Type.Object({ alert: AlertSchema })
export type AlertNewData = Static<typeof AlertNewDataSchema>

export const ScanStatusDataSchema = Type.Object({
  scanning: Type.Boolean(),
  devicesFound: Type.Integer({ minimum: 0 }),
  packetsProcessed: Type.Number({ minimum: 0 }),
  errors: Type.Integer({ minimum: 0 }),
  currentChannel: Type.Optional(Type.Number()),
})
export type ScanStatusData = Static<typeof ScanStatusDataSchema>

export const KismetLinkSchema = Type.Object({
  state: ConnectionStateSchema,
  connected: Type.Boolean(),
  retries: Type.Integer({ minimum: 0 }),
  version: Type.Optional(Type.String()),
  /** Kismet's server UUID (kismet.server.uuid): which Kismet server answers. */
  serverUuid: Type.Optional(Type.String()),
  startedAt: Type.Optional(Type.Number()),
  lastPoll: Type.Optional(Type.Number()),
})
export type KismetLink = Static<typeof KismetLinkSchema>

export const SystemStatusDataSchema = Type.Object({
  kismet: KismetLinkSchema,
  service: Type.Object({
    uptime: Type.Number(),
    clients: Type.Integer({ minimum: 0 }),
    memoryRss: Type.Number(),
  }),
  sensor: Type.Optional(
    Type.Object({
      memoryRss: Type.Number(),
      battery: Type.Optional(Type.Number()),
      /** Where the sensor itself is, when its Kismet has a GPS fix (absent otherwise). */
      position: Type.Optional(LocationSchema),
    }),
  ),
})
export type SystemStatusData = Static<typeof SystemStatusDataSchema>

export const ServerShutdownDataSchema = Type.Object({ message: Type.String() })
export type ServerShutdownData = Static<typeof ServerShutdownDataSchema>

/**
 * `tak:cot`: one Cursor-on-Target event as produced for TAK (src/tak/), whether or not a
 * network output is enabled. `kind`: a device's marker, the sensor's own, or the explicit
 * delete of a device's marker; `deviceKey` is the device's Kismet key (null for the sensor).
 */
export const TAK_COT_KINDS = ['device', 'sensor', 'delete'] as const
export const TakCotDataSchema = Type.Object({
  uid: Type.String(),
  deviceKey: Nullable(Type.String()),
  kind: Type.Union(TAK_COT_KINDS.map((k) => Type.Literal(k))),
  xml: Type.String(),
})
export type TakCotData = Static<typeof TakCotDataSchema>

/** The TAK network outputs (each enabled by configuration) and the states they go through. */
export const TAK_OUTPUTS = ['multicast', 'unicast', 'tcp', 'tls'] as const
export type TakOutputName = (typeof TAK_OUTPUTS)[number]
export const TAK_OUTPUT_STATES = ['connecting', 'connected', 'backoff', 'closed'] as const
export type TakOutputState = (typeof TAK_OUTPUT_STATES)[number]

/**
 * `tak:status`: one output's state and counters. An output serves every sensor, so this
 * event is about no sensor: its envelope has no `sensor`, and it reaches every subscriber of
 * `tak`, whatever sensors the subscription is narrowed to.
 */
export const TakStatusDataSchema = Type.Object({
  output: Type.Union(TAK_OUTPUTS.map((o) => Type.Literal(o))),
  /** Where it sends (host:port; never a credential). */
  target: Type.String(),
  /** UDP outputs are `connected` once their socket is ready to send. */
  state: Type.Union(TAK_OUTPUT_STATES.map((s) => Type.Literal(s))),
  /** CoT events handed to the network. */
  sent: Type.Integer({ minimum: 0 }),
  /** CoT events never sent: superseded by a newer one of the same uid while queued, pushed out of a full queue, or refused by the network. */
  dropped: Type.Integer({ minimum: 0 }),
  /** Waiting to be sent (streams: the latest event per uid, bounded). */
  queued: Type.Integer({ minimum: 0 }),
  bytesSent: Type.Integer({ minimum: 0 }),
  /** What the server sent (read and discarded). */
  bytesReceived: Type.Integer({ minimum: 0 }),
  /** Connections made (UDP: sockets opened). */
  connects: Type.Integer({ minimum: 0 }),
  connectedAt: Nullable(Type.Number()),
  lastError: Nullable(Type.String()),
  lastErrorAt: Nullable(Type.Number()),
})
export type TakStatusData = Static<typeof TakStatusDataSchema>

/**
 * Every event type, its payload schema and the room it is delivered to. `sensor: false`
 * marks a type about no sensor (its envelope has no `sensor`); server:shutdown has no room.
 */
export const EVENT_TYPES = {
  'device:update': { room: 'devices', data: DeviceUpdateDataSchema },
  'signal:update': { room: 'devices', data: SignalUpdateDataSchema },
  'device:snapshot': { room: 'devices', data: DeviceSnapshotDataSchema },
  'alert:new': { room: 'alerts', data: AlertNewDataSchema },
  'scan:status': { room: 'scan', data: ScanStatusDataSchema },
  'system:status': { room: 'system', data: SystemStatusDataSchema },
  'server:shutdown': { room: null, data: ServerShutdownDataSchema },
  'tak:cot': { room: 'tak', data: TakCotDataSchema },
  'tak:status': { room: 'tak', data: TakStatusDataSchema, sensor: false },
} as const

export interface EventDataMap {
  'device:update': DeviceUpdateData
  'signal:update': SignalUpdateData
  'device:snapshot': DeviceSnapshotData
  'alert:new': AlertNewData
  'scan:status': ScanStatusData
  'system:status': SystemStatusData
  'server:shutdown': ServerShutdownData
  'tak:cot': TakCotData
  'tak:status': TakStatusData
}
export type EventType = keyof EventDataMap

/**
 * The envelope every `event` carries: `id` is `<run id>-<sequence>`, the sequence increasing
 * within a run; `sensor` is the configured name of the sensor the event is about (every type
 * but server:shutdown and tak:status carries it).
 */
export interface Envelope<T extends EventType = EventType> {
  type: T
  data: EventDataMap[T]
  timestamp: number
  id: string
  sensor?: string
}
export type AnyEnvelope = { [T in EventType]: Envelope<T> }[EventType]

/** Event types about one sensor (all but server:shutdown and tak:status): their envelopes carry `sensor`. */
export function isSensorEvent(type: EventType): boolean {
  const entry = EVENT_TYPES[type]
  return entry.room !== null && !('sensor' in entry && entry.sensor === false)
}

export const EnvelopeSchemas = Object.fromEntries(
  (Object.keys(EVENT_TYPES) as EventType[]).map((type) => [
    type,
    Type.Object({
      type: Type.Literal(type),
      data: EVENT_TYPES[type].data,
      timestamp: Type.Number(),
      id: Type.String(),
      ...(isSensorEvent(type) && { sensor: Type.String() }),
    }),
  ]),
) as unknown as { [T in EventType]: TSchema }

export const ERROR_CODES = ['INVALID_PAYLOAD', 'INVALID_TOPIC', 'INVALID_SENSOR', 'RATE_LIMITED', 'UNAUTHORIZED', 'INTERNAL'] as const
export type ErrorCode = (typeof ERROR_CODES)[number]
export const ClientErrorSchema = Type.Object({
  message: Type.String(),
  code: Type.Union(ERROR_CODES.map((c) => Type.Literal(c))),
})
export type ClientError = Static<typeof ClientErrorSchema>

/** `subscribe` / `unsubscribe` payload: one known topic or up to 16 of them. */
export const MAX_TOPICS_PER_REQUEST = 16
export const SubscriptionRequestSchema = Type.Union([
  TopicSchema,
  Type.Array(TopicSchema, { maxItems: MAX_TOPICS_PER_REQUEST }),
])
export type SubscriptionRequest = Static<typeof SubscriptionRequestSchema>

/** A sensor's configured name, as KISMET_SENSORS allows it. */
export const SensorNameSchema = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$' })
export const MAX_SENSORS_PER_REQUEST = 64

/**
 * Optional second argument of `subscribe`:
 * - `{ batch: true }` asks for batched delivery of those topics — one `events` packet carrying
 *   a burst of envelopes (those published together, or within BATCH_INTERVAL_MS of the
 *   previous packet; at most MAX_BATCH_ENVELOPES) instead of one `event` packet each.
 *   Envelopes are unchanged.
 * - `{ sensors: [...] }` narrows those topics to some sensors (default: every sensor).
 * Subscribing to a topic again replaces its options.
 */
export const SubscribeOptionsSchema = Type.Object(
  {
    batch: Type.Optional(Type.Boolean()),
    sensors: Type.Optional(Type.Array(SensorNameSchema, { minItems: 1, maxItems: MAX_SENSORS_PER_REQUEST, uniqueItems: true })),
  },
  { additionalProperties: false },
)
export type SubscribeOptions = Static<typeof SubscribeOptionsSchema>
export const BATCH_INTERVAL_MS = 10
export const MAX_BATCH_ENVELOPES = 500

/** What a socket takes of one topic: which sensors (null: every sensor) and in which mode. */
export const TopicSubscriptionSchema = Type.Object({
  sensors: Nullable(Type.Array(Type.String())),
  batch: Type.Boolean(),
})
export const SubscriptionsSchema = Type.Partial(Type.Object(Object.fromEntries(TOPICS.map((topic) => [topic, TopicSubscriptionSchema]))))
export type SubscriptionsView = Partial<Record<Topic, Static<typeof TopicSubscriptionSchema>>>

export type SubscriptionAck = { ok: true; topics: Topic[]; subscriptions: SubscriptionsView } | { ok: false; error: ClientError }

export interface ConnectedData {
  id: string
  topics: Topic[]
  /** The least ready sensor's state ('connected' when every sensor is). */
  kismet: { state: ConnectionState }
  /** Every sensor, by configured name, with its state. */
  sensors: Array<{ name: string; state: ConnectionState }>
}

/** Socket.IO event maps, shared by the server and by tests' socket.io-client instances. */
export interface ServerToClientEvents {
  connected: (data: ConnectedData) => void
  event: (envelope: AnyEnvelope) => void
  /** Batched delivery (opt-in at subscribe): envelopes in the order they were published. */
  events: (envelopes: AnyEnvelope[]) => void
  error: (error: ClientError) => void
}

export interface ClientToServerEvents {
  subscribe: (
    topics: SubscriptionRequest,
    optionsOrAck?: SubscribeOptions | ((result: SubscriptionAck) => void),
    ack?: (result: SubscriptionAck) => void,
  ) => void
  unsubscribe: (topics: SubscriptionRequest, ack?: (result: SubscriptionAck) => void) => void
  ping: (timestamp?: number, ack?: (timestamp: number) => void) => void
}
