// Kismet's wire format for the requests this service makes (KISMET-API.md sections 2-4 and
// the fixtures). Every device, status and datasource request names its `fields`; the
// record types below are what Kismet answers to exactly these field lists. Kismet answers
// an unknown or absent path with the number 0, so every optional sub-record may be 0.

/** A Kismet `fields` entry: a path, or `[path, alias]`. */
export type FieldSpec = string | readonly [string, string]

export const DEVICE_FIELDS = [
  'kismet.device.base.key',
  'kismet.device.base.macaddr',
  'kismet.device.base.commonname',
  'kismet.device.base.type',
  'kismet.device.base.phyname',
  'kismet.device.base.manuf',
  'kismet.device.base.channel',
  'kismet.device.base.frequency',
  'kismet.device.base.crypt',
  'kismet.device.base.first_time',
  'kismet.device.base.last_time',
  'kismet.device.base.packets.total',
  'kismet.device.base.datasize',
  ['kismet.device.base.signal/kismet.common.signal.last_signal', 'signal.last'],
  // Where the device is best placed (src/kismet/mapping.ts, bestLocation): where its signal
  // was strongest, else the average of the positions it was heard at, else the last one.
  ['kismet.device.base.signal/kismet.common.signal.peak_loc', 'location.peak'],
  ['kismet.device.base.location/kismet.common.location.avg_loc', 'location.avg'],
  ['kismet.device.base.location/kismet.common.location.last', 'location.last'],
  ['dot11.device/dot11.device.last_beaconed_ssid_record/dot11.advertisedssid.ssid', 'dot11.ssid'],
  ['dot11.device/dot11.device.last_probed_ssid_record/dot11.probedssid.ssid', 'dot11.probed_ssid'],
  ['dot11.device/dot11.device.num_associated_clients', 'dot11.clients'],
  ['dot11.device/dot11.device.last_bssid', 'dot11.bssid'],
] as const satisfies readonly FieldSpec[]

/**
 * Kismet's location triplet (`kismet.common.location.*`); only `geopoint` is always there.
 * The sub-records differ (fixtures gps/): `last` has speed and heading but no time, `avg_loc`
 * and `signal/peak_loc` a time, `min_loc`/`max_loc` only geopoint and alt; /gps/location.json
 * adds `gps_uuid`.
 */
export interface KismetLocation {
  'kismet.common.location.geopoint'?: [number, number] // [lon, lat]
  'kismet.common.location.alt'?: number
  'kismet.common.location.fix'?: number
  'kismet.common.location.speed'?: number
  'kismet.common.location.heading'?: number
  'kismet.common.location.time_sec'?: number
  'kismet.common.location.time_usec'?: number
  'kismet.common.location.gps_uuid'?: string
}

/** A device record as Kismet answers DEVICE_FIELDS. */
export interface KismetDeviceRecord {
  'kismet.device.base.key': string
  'kismet.device.base.macaddr': string
  'kismet.device.base.commonname': string
  'kismet.device.base.type': string
  'kismet.device.base.phyname': string
  'kismet.device.base.manuf': string | 0
  'kismet.device.base.channel': string | 0
  'kismet.device.base.frequency': number
  'kismet.device.base.crypt': string | 0
  'kismet.device.base.first_time': number
  'kismet.device.base.last_time': number
  'kismet.device.base.packets.total': number
  'kismet.device.base.datasize': number
  'signal.last': number
  /** Kismet's master build sends it even without a fix, as [0, 0] with fix 0 (fixtures gps/). */
  'location.peak': KismetLocation | 0
  'location.avg': KismetLocation | 0
  'location.last': KismetLocation | 0
  'dot11.ssid': string | 0
  'dot11.probed_ssid': string | 0
  'dot11.clients': number
  'dot11.bssid': string | 0
}

/** `/devices/views/{view}/devices.json?page=&length=` wraps the list (2025-09-R1 and later). */
export interface KismetPage<T> {
  data: T[]
  last_page: number
  last_row: number
  total_row: number
}

export const STATUS_FIELDS = [
  'kismet.system.version',
  'kismet.system.git',
  'kismet.system.timestamp.sec',
  'kismet.system.timestamp.usec',
  'kismet.system.timestamp.start_sec',
  'kismet.system.devices.count',
  'kismet.system.memory.rss',
  'kismet.system.battery.percentage',
  'kismet.system.battery.ac',
  'kismet.server.uuid',
] as const satisfies readonly FieldSpec[]

export interface KismetSystemStatus {
  'kismet.system.version': string
  'kismet.system.git': string
  'kismet.system.timestamp.sec': number
  'kismet.system.timestamp.usec': number
  'kismet.system.timestamp.start_sec': number
  'kismet.system.devices.count': number
  'kismet.system.memory.rss': number // kB
  'kismet.system.battery.percentage': number
  'kismet.system.battery.ac': number
  /** The server's identity; device keys derive from it, so another UUID means another key space ('' when not reported). */
  'kismet.server.uuid': string
}

export interface KismetTimestamp {
  'kismet.system.timestamp.sec': number
  'kismet.system.timestamp.usec': number
}

export const DATASOURCE_FIELDS = [
  'kismet.datasource.uuid',
  'kismet.datasource.name',
  'kismet.datasource.interface',
  'kismet.datasource.running',
  'kismet.datasource.paused',
  'kismet.datasource.error',
  'kismet.datasource.error_reason',
  'kismet.datasource.hopping',
  'kismet.datasource.channel',
  'kismet.datasource.hop_rate',
  'kismet.datasource.num_packets',
] as const satisfies readonly FieldSpec[]

export interface KismetDatasource {
  'kismet.datasource.uuid': string
  'kismet.datasource.name': string
  'kismet.datasource.interface': string
  'kismet.datasource.running': number
  'kismet.datasource.paused': number
  'kismet.datasource.error': number
  'kismet.datasource.error_reason': string
  'kismet.datasource.hopping': number
  'kismet.datasource.channel': string
  'kismet.datasource.hop_rate': number
  'kismet.datasource.num_packets': number
}

/** An alert record as `/alerts/last-time/{ts}/alerts.json` answers it (full record, no fields). */
export interface KismetAlertRecord {
  'kismet.alert.hash': number
  'kismet.alert.header': string
  'kismet.alert.class': string
  'kismet.alert.severity': number
  'kismet.alert.timestamp': number // seconds with microseconds
  'kismet.alert.text': string
  'kismet.alert.device_key': string
  'kismet.alert.transmitter_mac': string
  'kismet.alert.source_mac': string
  'kismet.alert.dest_mac': string
  'kismet.alert.other_mac': string
  'kismet.alert.channel': string
  'kismet.alert.frequency': number
  'kismet.alert.phy_id': number
  'kismet.alert.location'?: KismetLocation
}

/** What the alert handling reads (src/kismet/mapping.ts toAlert): the ALERT subscription's `fields`. */
export const ALERT_FIELDS = [
  'kismet.alert.hash',
  'kismet.alert.header',
  'kismet.alert.class',
  'kismet.alert.severity',
  'kismet.alert.timestamp',
  'kismet.alert.text',
  'kismet.alert.device_key',
  'kismet.alert.transmitter_mac',
  'kismet.alert.source_mac',
] as const satisfies readonly FieldSpec[]

/** The part of Kismet's location triplet the sensor's position needs (mapping.ts toLocation). */
export const GPS_FIELDS = [
  'kismet.common.location.geopoint',
  'kismet.common.location.alt',
  'kismet.common.location.fix',
] as const satisfies readonly FieldSpec[]

// ---------------------------------------------------------------------------------------
// The eventbus websocket (KISMET-API.md 5.1, fixtures eventbus/*.json): text JSON commands
// `{"SUBSCRIBE": topic, "fields"?: [...]}` one per topic (a repeated one replaces the
// previous), no acknowledgement; every frame is a JSON object keyed by its topic.

export const EVENTBUS_PATH = '/eventbus/events.ws'

/** The datasource topics: each frame carries only the source's UUID string. */
export const DATASOURCE_TOPICS = ['DATASOURCE_OPENED', 'DATASOURCE_CLOSED', 'DATASOURCE_ERROR', 'DATASOURCE_PAUSED', 'DATASOURCE_RESUMED'] as const
export type DatasourceTopic = (typeof DATASOURCE_TOPICS)[number]

export const EVENTBUS_TOPICS = ['TIMESTAMP', 'ALERT', 'NEW_DEVICE', ...DATASOURCE_TOPICS, 'GPS_LOCATION'] as const
export type EventbusTopic = (typeof EVENTBUS_TOPICS)[number]

export interface EventbusSubscribe {
  SUBSCRIBE: EventbusTopic
  fields?: readonly FieldSpec[]
}

/**
 * What this service subscribes to, with `fields` where they cut bytes: a NEW_DEVICE record
 * is about 10 kB in full and 0.5 kB with DEVICE_FIELDS. TIMESTAMP is small already, and the
 * datasource payloads are bare UUID strings (`fields` would turn them into zeros).
 */
export const EVENTBUS_SUBSCRIPTIONS: readonly EventbusSubscribe[] = [
  { SUBSCRIBE: 'TIMESTAMP' },
  { SUBSCRIBE: 'ALERT', fields: ALERT_FIELDS },
  { SUBSCRIBE: 'NEW_DEVICE', fields: DEVICE_FIELDS },
  ...DATASOURCE_TOPICS.map((topic): EventbusSubscribe => ({ SUBSCRIBE: topic })),
  { SUBSCRIBE: 'GPS_LOCATION', fields: GPS_FIELDS },
]

/** A UUID as Kismet prints it (datasource and GPS UUIDs). */
export const KISMET_UUID = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/
