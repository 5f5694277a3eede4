// Which Kismet servers to read (several sensors in one stream): KISMET_SENSORS, a JSON array
// (or the path of a file holding one) of { name, url, apiKey } or { name, url, user, password };
// without it, KISMET_API_URL and its credential variables are one sensor named `default`. A
// bad entry stops the start with one line naming the entry and the problem, and never shows
// a secret.
import { readFileSync } from 'node:fs'
import { ConfigError, isHttpUrl, type Config } from './config.js'

export interface SensorConfig {
  /** Configured name: unique, in every envelope about the sensor, in room names and URLs. */
  name: string
  url: string
  apiKey?: string
  user?: string
  password?: string
}

export const DEFAULT_SENSOR = 'default'
export const MAX_SENSORS = 64
/** Letters, digits, '-' and '_', starting with a letter or digit: safe in a room name (`devices@north`) and a URL path. */
export const SENSOR_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/

const SINGLE_SENSOR_VARIABLES = ['KISMET_API_URL', 'KISMET_API_KEY', 'KISMET_USER', 'KISMET_PASSWORD'] as const
const ENTRY_KEYS = new Set(['name', 'url', 'apiKey', 'user', 'password'])

/** The sensors to read, from validated configuration and the raw environment it came from. */
export function sensorsFromConfig(config: Config, env: Record<string, string | undefined>): SensorConfig[] {
  const raw = config.KISMET_SENSORS
  if (raw === undefined) {
    return [
      {
        name: DEFAULT_SENSOR,
        url: config.KISMET_API_URL,
        ...(config.KISMET_API_KEY !== undefined && { apiKey: config.KISMET_API_KEY }),
        ...(config.KISMET_USER !== undefined && { user: config.KISMET_USER }),
        ...(config.KISMET_PASSWORD !== undefined && { password: config.KISMET_PASSWORD }),
      },
    ]
  }
  const alsoSet = SINGLE_SENSOR_VARIABLES.filter((name) => env[name] !== undefined)
  if (alsoSet.length > 0) {
    throw new ConfigError(`Invalid configuration: KISMET_SENSORS names the sensors, so ${alsoSet.join(', ')} must not be set as well`)
  }
  return parseSensors(readSensorsText(raw))
}

/** The JSON text: the value itself when it starts like an array, else the file it names. */
function readSensorsText(raw: string): string {
  if (raw.trimStart().startsWith('[')) return raw
  try {
    return readFileSync(raw.trim(), 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable'
    throw new ConfigError(`Invalid configuration: KISMET_SENSORS is neither a JSON array nor a readable file (${JSON.stringify(raw.trim().slice(0, 200))}: ${code})`)
  }
}

/** The sensor list from its JSON text; every problem is a ConfigError of one line without secrets. */
export function parseSensors(text: string): SensorConfig[] {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    // JSON.parse's message quotes the text, which holds the credentials: say only what is wrong.
    throw new ConfigError('Invalid configuration: KISMET_SENSORS is not valid JSON (expected an array of { "name", "url", "apiKey" } or { "name", "url", "user", "password" })')
  }
  if (!Array.isArray(value)) throw new ConfigError('Invalid configuration: KISMET_SENSORS must be a JSON array of sensors')
  if (value.length === 0) throw new ConfigError('Invalid configuration: KISMET_SENSORS names no sensor')
  if (value.length > MAX_SENSORS) throw new ConfigError(`Invalid configuration: KISMET_SENSORS names ${value.length} sensors; at most ${MAX_SENSORS}`)
  const seen = new Set<string>()
  return value.map((entry: unknown, index) => {
    const sensor = parseEntry(entry, index)
    const folded = sensor.name.toLowerCase()
    if (seen.has(folded)) throw entryError(index, sensor.name, 'the name is used by an earlier entry (names must be unique, ignoring case)')
    seen.add(folded)
    return sensor
  })
}

function entryError(index: number, name: unknown, problem: string): ConfigError {
  const label = typeof name === 'string' && SENSOR_NAME.test(name) ? ` (${JSON.stringify(name)})` : ''
  return new ConfigError(`Invalid configuration: KISMET_SENSORS entry ${index + 1}${label}: ${problem}`)
}

function parseEntry(entry: unknown, index: number): SensorConfig {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw entryError(index, undefined, 'expected an object { "name", "url", ... }')
  const record = entry as Record<string, unknown>
  const { name, url, apiKey, user, password } = record
  const unknown = Object.keys(record).filter((key) => !ENTRY_KEYS.has(key))
  if (unknown.length > 0) {
    throw entryError(index, name, `unknown propert${unknown.length > 1 ? 'ies' : 'y'} ${unknown.map((k) => JSON.stringify(k.slice(0, 40))).join(', ')} (allowed: name, url, apiKey, user, password)`)
  }
  if (typeof name !== 'string' || !SENSOR_NAME.test(name)) {
    throw entryError(index, undefined, 'name must be 1 to 64 letters, digits, "-" or "_", starting with a letter or digit')
  }
  if (typeof url !== 'string' || !isHttpUrl(url)) throw entryError(index, name, 'url must be an http:// or https:// URL of the Kismet server')
  const optionalString = (key: string, value: unknown): string | undefined => {
    if (value === undefined) return undefined
    if (typeof value !== 'string' || value === '') throw entryError(index, name, `${key} must be a non-empty string`)
    return value
  }
  const key = optionalString('apiKey', apiKey)
  const login = optionalString('user', user)
  const secret = optionalString('password', password)
  if (key !== undefined && (login !== undefined || secret !== undefined)) {
    throw entryError(index, name, 'give either apiKey or user and password, not both (Kismet would use the key and ignore the login)')
  }
  if ((login === undefined) !== (secret === undefined)) throw entryError(index, name, 'user and password go together')
  return {
    name,
    url,
    ...(key !== undefined && { apiKey: key }),
    ...(login !== undefined && { user: login }),
    ...(secret !== undefined && { password: secret }),
  }
}

/**
 * How a sensor's credential is configured, in the operator's words (never its value), for
 * the line logged when Kismet answers 401: which setting was sent, or that none was, and what
 * to set. `listed`: the sensor comes from KISMET_SENSORS (else from KISMET_API_URL and its
 * variables).
 */
export interface CredentialSource {
  /** What is sent: nothing, the API key, the login, or the login written into the URL. */
  sent: 'none' | 'apiKey' | 'login' | 'url'
  /** What is sent and where it is set, e.g. 'the API key in KISMET_API_KEY' ('' when nothing is). */
  setting: string
  /** What to set when there is none, or to replace a refused one. */
  remedy: string
}

/** The setting that holds a sensor's URL, in the operator's words. */
export function urlSetting(sensor: SensorConfig, listed: boolean): string {
  return listed ? `the "url" of sensor ${JSON.stringify(sensor.name)} in KISMET_SENSORS` : 'KISMET_API_URL'
}

export function credentialSource(sensor: SensorConfig, listed: boolean): CredentialSource {
  const inUrl = (() => {
    try {
      const url = new URL(sensor.url)
      return url.username !== '' || url.password !== ''
    } catch {
      return false
    }
  })()
  const sent = sensor.apiKey !== undefined ? 'apiKey' : sensor.user !== undefined || sensor.password !== undefined ? 'login' : inUrl ? 'url' : 'none'
  const entry = `sensor ${JSON.stringify(sensor.name)} in KISMET_SENSORS`
  const setting = {
    none: '',
    apiKey: listed ? `the "apiKey" of ${entry}` : 'the API key in KISMET_API_KEY',
    login: listed ? `the "user" and "password" of ${entry}` : 'the login in KISMET_USER and KISMET_PASSWORD',
    url: listed ? `the login in the "url" of ${entry}` : 'the login in KISMET_API_URL (user:password@)',
  }[sent]
  const remedy = listed
    ? `Give ${entry} an "apiKey" (a Kismet API key, role readonly), or a "user" and "password" (the Kismet login)`
    : 'Set KISMET_API_KEY to a Kismet API key (role readonly), or KISMET_USER and KISMET_PASSWORD to the Kismet login'
  return { sent, setting, remedy }
}
