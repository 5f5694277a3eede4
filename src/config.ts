// Configuration (SPEC section 2): one TypeBox schema that @fastify/env validates and that
// types `app.config`, plus the one-line explanation printed when a value is bad.
import { Type, type Static } from '@sinclair/typebox'

const positiveMs = (defaultValue: number, what: string) =>
  Type.Integer({ minimum: 1, default: defaultValue, description: `${what}: a whole number of milliseconds, 1 or more` })

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
})

export type Config = Static<typeof ConfigSchema>

/** Variables whose values are never printed, logged or returned. */
export const SECRET_VARIABLES = ['KISMET_API_KEY', 'KISMET_PASSWORD', 'API_TOKEN', 'KISMET_SENSORS'] as const

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
