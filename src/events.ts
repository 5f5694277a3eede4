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

/**
 * Why a device arrives or leaves, when it is not simply heard for the first time:
 * - `filter`: it started (`new`) or stopped (`remove`) matching the subscription's filter;
 * - `expired`: unheard for DEVICE_TTL_S (`remove`);
 * - `resync`: a full read of Kismet no longer lists it (`remove`: Kismet forgot it, or came
 *   back as another server).
 */
export const DEVICE_UPDATE_REASONS = ['filter', 'expired', 'resync'] as const
export type DeviceUpdateReason = (typeof DEVICE_UPDATE_REASONS)[number]

export const DeviceUpdateDataSchema = Type.Object({
  device: WifiDeviceSchema,
  action: Type.Union([Type.Literal('new'), Type.Literal('update'), Type.Literal('remove')]),
  changes: Type.Optional(DeviceChangesSchema),
  reason: Type.Optional(Type.Union(DEVICE_UPDATE_REASONS.map((r) => Type.Literal(r)))),
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

/** What a socket that subscribes to `alerts` gets first, per sensor: the alerts Kismet still holds (its backlog, 50 by default), oldest first. */
export const AlertSnapshotDataSchema = Type.Object({ alerts: Type.Array(AlertSchema) })
export type AlertSnapshotData = Static<typeof AlertSnapshotDataSchema>

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

/** A MAC address as clients and REST callers may write it (`:` or `-`, any case); stored upper-case with `:`. */
export const MacAddressSchema = Type.String({ pattern: '^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$', description: 'AA:BB:CC:DD:EE:FF' })
/** A MAC prefix: 1 to 5 octets (an OUI is 3: AA:BB:CC). */
export const MacPrefixSchema = Type.String({ pattern: '^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){0,4}$', description: 'a MAC prefix of 1 to 5 octets, such as the OUI AA:BB:CC' })

/** A watch-list entry: exactly one of `mac`, `oui` (a MAC prefix) or `ssid` (exact, case-insensitive), with a label. */
export const WatchEntrySchema = Type.Object({
  id: Type.String({ description: 'assigned by the service' }),
  label: Type.String({ minLength: 1, maxLength: 128 }),
  mac: Type.Optional(Type.String()),
  oui: Type.Optional(Type.String()),
  ssid: Type.Optional(Type.String()),
  createdAt: Type.Number({ description: 'epoch ms' }),
})
export type WatchEntry = Static<typeof WatchEntrySchema>

/** watch:found (heard for the first time, or again after being lost) and watch:lost (unheard for WATCH_LOST_S). */
export const WatchEventDataSchema = Type.Object({
  entry: WatchEntrySchema,
  /** The device as last heard. */
  device: WifiDeviceSchema,
  /** Epoch ms when the service last heard it (watch:lost: when it was last heard). */
  lastHeard: Type.Number(),
})
export type WatchEventData = Static<typeof WatchEventDataSchema>

/** Every event type, its payload schema and the room it is delivered to. */
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
  'alert:snapshot': { room: 'alerts', data: AlertSnapshotDataSchema },
  'scan:status': { room: 'scan', data: ScanStatusDataSchema },
  'system:status': { room: 'system', data: SystemStatusDataSchema },
  'server:shutdown': { room: null, data: ServerShutdownDataSchema },
  'watch:found': { room: 'alerts', data: WatchEventDataSchema },
  'watch:lost': { room: 'alerts', data: WatchEventDataSchema },
  'tak:cot': { room: 'tak', data: TakCotDataSchema },
  'tak:status': { room: 'tak', data: TakStatusDataSchema, sensor: false },
} as const

export interface EventDataMap {
  'device:update': DeviceUpdateData
  'signal:update': SignalUpdateData
  'device:snapshot': DeviceSnapshotData
  'alert:new': AlertNewData
  'alert:snapshot': AlertSnapshotData
  'scan:status': ScanStatusData
  'system:status': SystemStatusData
  'server:shutdown': ServerShutdownData
  'watch:found': WatchEventData
  'watch:lost': WatchEventData
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

export const ERROR_CODES = ['INVALID_PAYLOAD', 'INVALID_TOPIC', 'INVALID_SENSOR', 'RATE_LIMITED', 'UNAUTHORIZED', 'INTERNAL', 'INVALID_FILTER'] as const
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

export const BANDS = ['2.4', '5', '6'] as const
export type Band = (typeof BANDS)[number]
export const ENCRYPTION_CLASSES = ['open', 'wep', 'wpa', 'wpa2', 'wpa3'] as const
export type EncryptionClass = (typeof ENCRYPTION_CLASSES)[number]
export const MAX_FILTER_MACS = 256
export const MAX_FILTER_OUIS = 64
export const MAX_FILTER_CHANNELS = 64
export const MAX_FILTER_SSID_LENGTH = 64

/**
 * Which devices a subscription (or an export) takes. Every field is optional; those given
 * must all hold (AND); a list holds when the device matches one of its items (OR).
 * - `macs`: exact MACs; `ouis`: MAC prefixes (1 to 5 octets);
 * - `ssid`: a substring of the device's SSID, case-insensitive (a device without one never matches);
 * - `types`: WifiDevice types; `minSignal`: last signal at least this many dBm (none: no match);
 * - `bands`: by frequency, 2.4 (2400-2500 MHz), 5 (5150-5895 MHz), 6 (5925-7125 MHz);
 * - `channels`: primary channel numbers;
 * - `encryption`: Kismet's crypt string classed as open, wep, wpa (WPA1), wpa2, wpa3;
 * - `randomized`: false leaves locally administered (randomised) MACs out, true keeps only them.
 */
export const DeviceFilterSchema = Type.Object(
  {
    macs: Type.Optional(Type.Array(MacAddressSchema, { minItems: 1, maxItems: MAX_FILTER_MACS })),
    ouis: Type.Optional(Type.Array(MacPrefixSchema, { minItems: 1, maxItems: MAX_FILTER_OUIS })),
    ssid: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_FILTER_SSID_LENGTH })),
    types: Type.Optional(Type.Array(Type.Union(DEVICE_TYPES.map((t) => Type.Literal(t))), { minItems: 1, maxItems: DEVICE_TYPES.length })),
    minSignal: Type.Optional(Type.Number({ minimum: -200, maximum: 50 })),
    bands: Type.Optional(Type.Array(Type.Union(BANDS.map((b) => Type.Literal(b))), { minItems: 1, maxItems: BANDS.length })),
    channels: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 255 }), { minItems: 1, maxItems: MAX_FILTER_CHANNELS })),
    encryption: Type.Optional(Type.Array(Type.Union(ENCRYPTION_CLASSES.map((c) => Type.Literal(c))), { minItems: 1, maxItems: ENCRYPTION_CLASSES.length })),
    randomized: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)
export type DeviceFilter = Static<typeof DeviceFilterSchema>

/**
 * Optional second argument of `subscribe`:
 * - `{ batch: true }` asks for batched delivery of those topics — one `events` packet carrying
 *   a burst of envelopes (those published together, or within BATCH_INTERVAL_MS of the
 *   previous packet; at most MAX_BATCH_ENVELOPES) instead of one `event` packet each.
 *   Envelopes are unchanged.
 * - `{ sensors: [...] }` narrows those topics to some sensors (default: every sensor).
 * - `{ filter: {...} }` (the `devices` topic only) narrows it to the devices that match
 *   (DeviceFilterSchema): the snapshot is filtered, a device that starts matching arrives as
 *   `new` and one that stops matching leaves as `remove`, both with `reason: 'filter'`.
 * Subscribing to a topic again replaces its options.
 */
export const SubscribeOptionsSchema = Type.Object(
  {
    batch: Type.Optional(Type.Boolean()),
    sensors: Type.Optional(Type.Array(SensorNameSchema, { minItems: 1, maxItems: MAX_SENSORS_PER_REQUEST, uniqueItems: true })),
    filter: Type.Optional(Type.Unknown({ description: 'a DeviceFilter (validated on its own, so that a bad one gets INVALID_FILTER)' })),
  },
  { additionalProperties: false },
)
export type SubscribeOptions = Static<typeof SubscribeOptionsSchema>
export const BATCH_INTERVAL_MS = 10
export const MAX_BATCH_ENVELOPES = 500

/** What a socket takes of one topic: which sensors (null: every sensor), in which mode, and which devices (`filter`, when it has one, in its canonical form). */
export const TopicSubscriptionSchema = Type.Object({
  sensors: Nullable(Type.Array(Type.String())),
  batch: Type.Boolean(),
  filter: Type.Optional(DeviceFilterSchema),
})
export const SubscriptionsSchema = Type.Partial(Type.Object(Object.fromEntries(TOPICS.map((topic) => [topic, TopicSubscriptionSchema]))))
export type TopicSubscriptionView = Static<typeof TopicSubscriptionSchema>
export type SubscriptionsView = Partial<Record<Topic, TopicSubscriptionView>>

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
  /**
   * The ack's first argument is `timestamp` echoed (the server's time when none was sent);
   * the second is always the server's time (epoch ms) when it answered.
   */
  ping: (timestamp?: number, ack?: (timestamp: number, serverTime: number) => void) => void
}
