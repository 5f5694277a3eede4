// Configuration (SPEC section 2): one TypeBox schema that @fastify/env validates and that
// types `app.config`, plus the one-line explanation printed when a value is bad.
import { Type, type Static } from '@sinclair/typebox'
import { EVENTBUS_MODES } from './kismet/eventbus.js'

const positiveMs = (defaultValue: number, what: string) =>
  Type.Integer({ minimum: 1, default: defaultValue, description: `${what}: a whole number of milliseconds, 1 or more` })

// TAK (src/tak/settings.ts checks what a schema cannot: addresses of this host, files, ranges between variables).
const flag = (defaultValue: boolean) => Type.Boolean({ default: defaultValue, description: 'true or false' })
const port = (defaultValue: number) => Type.Integer({ minimum: 1, maximum: 65535, default: defaultValue, description: 'a port number from 1 to 65535' })
const host = () => Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._:-]{1,253}$', description: 'a host name or an IP address, such as tak.example.org or 192.168.1.20' }))
const cotType = (defaultValue: string) =>
  Type.String({ pattern: '^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$', default: defaultValue, description: 'a CoT type such as a-u-G, a-h-G or b-m-p-s-m' })
const pemFile = (what: string) => Type.Optional(Type.String({ minLength: 1, description: `the path of a PEM file holding ${what}` }))

export const ConfigSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8001, description: 'a TCP port number from 0 to 65535' }),
  HOST: Type.String({ minLength: 1, default: '0.0.0.0', description: 'an address to bind to, such as 0.0.0.0 or 127.0.0.1' }),
  KISMET_API_URL: Type.String({
    format: 'http-url',
    default: 'http://localhost:2501',
    description: 'an http:// or https:// URL of the Kismet server, such as http://localhost:2501',
  }),
  KISMET_API_KEY: Type.Optional(Type.String({ minLength: 1, description: 'a Kismet API key (32 hex characters)' })),
  KISMET_USER: Type.Optional(Type.String({ minLength: 1, description: 'the Kismet admin user name' })),
  KISMET_PASSWORD: Type.Optional(Type.String({ minLength: 1, description: 'the Kismet admin password' })),
  KISMET_SENSORS: Type.Optional(
    Type.String({ minLength: 1, description: 'a JSON array of sensors [{ "name", "url", "apiKey" } or { "name", "url", "user", "password" }], or the path of a file holding one' }),
  ),
  READY_MIN_SENSORS: Type.Optional(Type.Integer({ minimum: 1, description: 'a whole number of sensors, 1 or more' })),
  KISMET_ENABLED: Type.Boolean({ default: true, description: 'true or false' }),
  CORS_ORIGIN: Type.String({ minLength: 1, default: '*', description: '* or a comma-separated list of origins such as https://map.example' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info', description: 'one of fatal, error, warn, info, debug, trace, silent' },
  ),
  POLL_INTERVAL_MS: Type.Integer({ minimum: 100, default: 2000, description: 'a whole number of milliseconds, 100 or more' }),
  KISMET_EVENTBUS: Type.Union(
    EVENTBUS_MODES.map((m) => Type.Literal(m)),
    { default: 'auto', description: "auto (use Kismet's eventbus where it is offered), on (expect it: a refusal is an error) or off (polling alone)" },
  ),
  POLL_INTERVAL_EVENTBUS_MS: Type.Integer({
    minimum: 100,
    default: 15000,
    description: 'a whole number of milliseconds, 100 or more (the poll interval while the eventbus is healthy)',
  }),
  HEARTBEAT_INTERVAL_MS: positiveMs(30000, 'heartbeat period'),
  RETRY_DELAY_MS: positiveMs(5000, 'first reconnection delay'),
  MAX_RETRIES: Type.Integer({ minimum: 1, maximum: 20, default: 5, description: 'a whole number from 1 to 20' }),
  DEVICE_TTL_S: Type.Integer({ minimum: 1, default: 300, description: 'a whole number of seconds, 1 or more' }),
  GPS_INTERVAL_MS: Type.Integer({ minimum: 0, default: 10000, description: "how often the poll loop reads Kismet's GPS position: a whole number of milliseconds, 0 (never) or more" }),
  KISMET_TIMEOUT_MS: positiveMs(10000, 'request timeout'),
  THROTTLE_DEVICE_UPDATE_MS: Type.Integer({ minimum: 0, default: 500, description: 'a whole number of milliseconds, 0 (no throttling) or more' }),
  THROTTLE_SIGNAL_MS: Type.Integer({ minimum: 0, default: 250, description: 'a whole number of milliseconds, 0 (no throttling) or more' }),
  THROTTLE_SCAN_MS: Type.Integer({ minimum: 0, default: 1000, description: 'a whole number of milliseconds, 0 (no throttling) or more' }),
  THROTTLE_SYSTEM_MS: Type.Integer({ minimum: 0, default: 2000, description: 'a whole number of milliseconds, 0 (no throttling) or more' }),
  API_TOKEN: Type.Optional(Type.String({ minLength: 8, description: 'a token of at least 8 characters' })),
  HISTORY_WINDOW_S: Type.Integer({ minimum: 0, maximum: 3600, default: 300, description: 'a whole number of seconds from 0 (no history) to 3600' }),
  HISTORY_STEP_S: Type.Integer({ minimum: 1, maximum: 600, default: 5, description: 'a whole number of seconds from 1 to 600' }),
  DATA_DIR: Type.Optional(Type.String({ minLength: 1, description: 'a directory the service may write to (the watch list and its state are kept there)' })),
  WATCH_LOST_S: Type.Integer({ minimum: 1, default: 300, description: 'a whole number of seconds, 1 or more' }),
  WATCH_WEBHOOK_URL: Type.Optional(Type.String({ format: 'http-url', description: 'an http:// or https:// URL to POST watch:found and watch:lost to' })),
  TAK_ENABLED: flag(true),
  TAK_STALE_S: Type.Integer({ minimum: 10, maximum: 86400, default: 300, description: 'seconds a marker stays valid after its device was last heard: a whole number from 10 to 86400' }),
  TAK_REFRESH_S: Type.Integer({ minimum: 1, default: 60, description: 'seconds between two sends of an unchanged marker: a whole number, 1 or more, less than TAK_STALE_S' }),
  TAK_MIN_INTERVAL_S: Type.Integer({ minimum: 0, default: 5, description: 'the least seconds between two sends of one marker: a whole number, 0 or more, at most TAK_REFRESH_S' }),
  TAK_MAX_DEVICES: Type.Integer({ minimum: 1, maximum: 100000, default: 500, description: 'the most device markers at once: a whole number from 1 to 100000' }),
  TAK_INCLUDE_CLIENTS: flag(false),
  TAK_INCLUDE_RANDOMIZED: flag(false),
  TAK_MIN_SIGNAL_DBM: Type.Optional(Type.Integer({ minimum: -150, maximum: 0, description: 'a signal in dBm from -150 to 0, such as -80' })),
  TAK_ALLOW: Type.Optional(Type.String({ minLength: 1, description: 'a comma-separated list (or a JSON array) of MACs AA:BB:CC:DD:EE:FF, OUIs AA:BB:CC and ssid:<SSID>' })),
  TAK_DENY: Type.Optional(Type.String({ minLength: 1, description: 'a comma-separated list (or a JSON array) of MACs AA:BB:CC:DD:EE:FF, OUIs AA:BB:CC and ssid:<SSID>' })),
  TAK_TYPE_AP: cotType('a-u-G'),
  TAK_TYPE_CLIENT: cotType('a-u-G'),
  TAK_TYPE_SENSOR: cotType('a-f-G-E-S'),
  TAK_UID_PREFIX: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$', default: 'kismet', description: 'up to 32 letters, digits, ".", "-" or "_", starting with a letter or digit' }),
  TAK_UID_SENSOR: flag(false),
  TAK_SENSOR_MARKER: flag(true),
  TAK_DELETE_ON_REMOVE: flag(false),
  TAK_MULTICAST_ENABLED: flag(false),
  TAK_MULTICAST_ADDRESS: Type.String({ minLength: 1, default: '239.2.3.1', description: 'an IPv4 multicast address (224.0.0.0 to 239.255.255.255), such as 239.2.3.1' }),
  TAK_MULTICAST_PORT: port(6969),
  TAK_MULTICAST_TTL: Type.Integer({ minimum: 0, maximum: 255, default: 1, description: 'a multicast TTL from 0 to 255 (1: this network only)' }),
  TAK_MULTICAST_INTERFACE: Type.Optional(Type.String({ minLength: 1, description: "an IPv4 address of one of this machine's interfaces, such as 192.168.1.5" })),
  TAK_UNICAST_ENABLED: flag(false),
  TAK_UNICAST_HOST: host(),
  TAK_UNICAST_PORT: port(4242),
  TAK_TCP_ENABLED: flag(false),
  TAK_TCP_HOST: host(),
  TAK_TCP_PORT: port(8087),
  TAK_TLS_ENABLED: flag(false),
  TAK_TLS_HOST: host(),
  TAK_TLS_PORT: port(8089),
  TAK_TLS_CERT: pemFile('the client certificate'),
  TAK_TLS_KEY: pemFile("the client certificate's private key"),
  TAK_TLS_KEY_PASSPHRASE: Type.Optional(Type.String({ minLength: 1, description: "the passphrase of TAK_TLS_KEY's private key" })),
  TAK_TLS_CA: pemFile("the CA certificate(s) that signed the TAK server's certificate"),
  TAK_TLS_VERIFY: flag(true),
  TAK_TLS_SERVER_NAME: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9.-]{1,253}$', description: "the host name in the TAK server's certificate, such as takserver" })),
  // Scale-out (src/scale/): the roles, and the Redis they share.
  ROLE: Type.Union(
    [Type.Literal('all'), Type.Literal('gateway'), Type.Literal('producer')],
    { default: 'all', description: 'all (one process does everything), gateway (serves clients, polls nothing) or producer (polls its sensors, serves /health only)' },
  ),
  REDIS_URL: Type.Optional(
    Type.String({
      pattern: '^rediss?://[^,\\s]+(,rediss?://[^,\\s]+)*$',
      description: 'a redis:// or rediss:// URL such as redis://redis:6379/0, or several comma-separated node URLs of a Redis Cluster',
    }),
  ),
  REDIS_STREAM_MAXLEN: Type.Integer({ minimum: 100, default: 30000, description: 'the most entries kept in the Socket.IO stream: a whole number, 100 or more' }),
  LEADER_LOCK_TTL_MS: Type.Integer({ minimum: 200, default: 5000, description: "a producer's lease on a sensor: a whole number of milliseconds, 200 or more" }),
  CLUSTER_REFRESH_MS: Type.Integer({ minimum: 50, default: 1000, description: 'how often a role writes and reads the cluster view in Redis: a whole number of milliseconds, 50 or more' }),
})

export type Config = Static<typeof ConfigSchema>

/** Variables whose values are never printed, logged or returned. */
export const SECRET_VARIABLES = ['KISMET_API_KEY', 'KISMET_PASSWORD', 'API_TOKEN', 'KISMET_SENSORS', 'WATCH_WEBHOOK_URL', 'TAK_TLS_KEY_PASSPHRASE', 'REDIS_URL'] as const

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value)
    return url.protocol === 'http:' || url.protocol === 'https:'
  } catch {
    return false
  }
}

/** The part of an ajv error this module reads. */
interface ValidationIssue {
  instancePath: string
  params?: Record<string, unknown>
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError'
}

/**
 * One line naming each bad variable, what it was (unless secret) and what is expected.
 * ajv reports one issue per failing keyword; one variable is named once.
 */
export function describeConfigIssues(issues: readonly ValidationIssue[], env: Record<string, unknown>): string {
  const names: string[] = []
  for (const issue of issues) {
    const name = issue.instancePath.replace(/^\//, '').split('/')[0] || String(issue.params?.['missingProperty'] ?? '')
    if (name && !names.includes(name)) names.push(name)
  }
  const properties = ConfigSchema.properties as Record<string, { description?: string }>
  const parts = names.map((name) => {
    const expected = properties[name]?.description ?? 'a valid value'
    const raw = env[name]
    const shown = (SECRET_VARIABLES as readonly string[]).includes(name) || raw === undefined ? '' : `=${JSON.stringify(String(raw))}`
    return `${name}${shown} is invalid: expected ${expected}`
  })
  return `Invalid configuration: ${parts.join('; ')}`
}

/** A URL fit for logs: user info (a password in the URL) removed. */
export function urlForLogs(value: string): string {
  try {
    const url = new URL(value)
    url.username = ''
    url.password = ''
    url.search = ''
    return url.toString().replace(/\/$/, '')
  } catch {
    return '(invalid URL)'
  }
}
