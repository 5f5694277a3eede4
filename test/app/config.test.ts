import t from 'tap'
import Fastify from 'fastify'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import configPlugin from '../../plugins/app/config.js'
import { ConfigError } from '../../src/config.js'

async function loadConfig(env: Record<string, string>) {
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  await app.register(configPlugin, { env })
  await app.ready()
  return app.config
}

t.test('every variable has its documented default', async (t) => {
  const config = await loadConfig({})
  t.same(
    { ...config },
    {
      PORT: 8001,
      HOST: '0.0.0.0',
      KISMET_API_URL: 'http://localhost:2501',
      KISMET_ENABLED: true,
      CORS_ORIGIN: '*',
      LOG_LEVEL: 'info',
      POLL_INTERVAL_MS: 2000,
      KISMET_EVENTBUS: 'auto',
      POLL_INTERVAL_EVENTBUS_MS: 15000,
      HEARTBEAT_INTERVAL_MS: 30000,
      RETRY_DELAY_MS: 5000,
      MAX_RETRIES: 5,
      DEVICE_TTL_S: 300,
      GPS_INTERVAL_MS: 10000,
      KISMET_TIMEOUT_MS: 10000,
      THROTTLE_DEVICE_UPDATE_MS: 500,
      THROTTLE_SIGNAL_MS: 250,
      THROTTLE_SCAN_MS: 1000,
      THROTTLE_SYSTEM_MS: 2000,
      HISTORY_WINDOW_S: 300,
      HISTORY_STEP_S: 5,
      WATCH_LOST_S: 300,
      TAK_ENABLED: true,
      TAK_STALE_S: 300,
      TAK_REFRESH_S: 60,
      TAK_MIN_INTERVAL_S: 5,
      TAK_MAX_DEVICES: 500,
      TAK_INCLUDE_CLIENTS: false,
      TAK_INCLUDE_RANDOMIZED: false,
      TAK_TYPE_AP: 'a-u-G',
      TAK_TYPE_CLIENT: 'a-u-G',
      TAK_TYPE_SENSOR: 'a-f-G-E-S',
      TAK_UID_PREFIX: 'kismet',
      TAK_UID_SENSOR: false,
      TAK_SENSOR_MARKER: true,
      TAK_DELETE_ON_REMOVE: false,
      TAK_MULTICAST_ENABLED: false,
      TAK_MULTICAST_ADDRESS: '239.2.3.1',
      TAK_MULTICAST_PORT: 6969,
      TAK_MULTICAST_TTL: 1,
      TAK_UNICAST_ENABLED: false,
      TAK_UNICAST_PORT: 4242,
      TAK_TCP_ENABLED: false,
      TAK_TCP_PORT: 8087,
      TAK_TLS_ENABLED: false,
      TAK_TLS_PORT: 8089,
      TAK_TLS_VERIFY: true,
      ROLE: 'all',
      REDIS_STREAM_MAXLEN: 30000,
      LEADER_LOCK_TTL_MS: 5000,
      CLUSTER_REFRESH_MS: 1000,
    },
  )
})

t.test('values are read and converted', async (t) => {
  const config = await loadConfig({
    PORT: '9000',
    KISMET_API_URL: 'https://sensor.local:2501/kismet',
    KISMET_ENABLED: 'false',
    KISMET_API_KEY: 'ABCDEF0123456789ABCDEF0123456789',
    POLL_INTERVAL_MS: '500',
    API_TOKEN: 'a-long-token',
  })
  t.equal(config.PORT, 9000)
  t.equal(config.KISMET_ENABLED, false)
  t.equal(config.POLL_INTERVAL_MS, 500)
  t.equal(config.KISMET_API_URL, 'https://sensor.local:2501/kismet')
  t.equal(config.API_TOKEN, 'a-long-token')
})

const badValues: Array<[string, string, RegExp]> = [
  ['PORT', 'abc', /PORT="abc" is invalid: expected a TCP port number/],
  ['PORT', '70000', /PORT="70000" is invalid/],
  ['POLL_INTERVAL_MS', '-1', /POLL_INTERVAL_MS="-1" is invalid: expected a whole number of milliseconds/],
  ['RETRY_DELAY_MS', '-5', /RETRY_DELAY_MS="-5" is invalid/],
  ['KISMET_API_URL', 'not a url', /KISMET_API_URL="not a url" is invalid: expected an http:\/\/ or https:\/\/ URL/],
  ['KISMET_API_URL', 'ftp://host', /KISMET_API_URL="ftp:\/\/host" is invalid/],
  ['KISMET_ENABLED', 'maybe', /KISMET_ENABLED="maybe" is invalid: expected true or false/],
  ['LOG_LEVEL', 'loud', /LOG_LEVEL="loud" is invalid: expected one of/],
  ['DEVICE_TTL_S', '0', /DEVICE_TTL_S="0" is invalid/],
  ['THROTTLE_SIGNAL_MS', 'fast', /THROTTLE_SIGNAL_MS="fast" is invalid/],
  ['HISTORY_WINDOW_S', '-1', /HISTORY_WINDOW_S="-1" is invalid: expected a whole number of seconds from 0 \(no history\) to 3600/],
  ['HISTORY_STEP_S', '0', /HISTORY_STEP_S="0" is invalid: expected a whole number of seconds from 1 to 600/],
  ['KISMET_EVENTBUS', 'yes', /KISMET_EVENTBUS="yes" is invalid: expected auto \(use Kismet's eventbus where it is offered\), on .* or off/],
  ['POLL_INTERVAL_EVENTBUS_MS', '50', /POLL_INTERVAL_EVENTBUS_MS="50" is invalid: expected a whole number of milliseconds, 100 or more/],
]

for (const [name, value, expected] of badValues) {
  t.test(`${name}=${value} is refused with one line naming the variable`, async (t) => {
    const error = await loadConfig({ [name]: value }).then(
      () => undefined,
      (e: unknown) => e,
    )
    t.ok(error instanceof ConfigError, 'a ConfigError')
    const message = (error as Error).message
    t.match(message, expected)
    t.notMatch(message, /\n/, 'one line')
  })
}

t.test('a secret that is invalid is named but never shown', async (t) => {
  const error = (await loadConfig({ API_TOKEN: 'short' }).catch((e: unknown) => e)) as Error
  t.match(error.message, /API_TOKEN is invalid/)
  t.notMatch(error.message, /short/)
})

t.test('the server process prints the line and exits 1 on a bad value', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server.ts'], {
    env: { ...process.env, PORT: 'abc', LOG_LEVEL: 'silent', KISMET_ENABLED: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const [code] = await once(child, 'exit')
  t.equal(code, 1)
  t.equal(stderr.trim().split('\n').length, 1, 'exactly one line')
  t.match(stderr, /^kismet-ws: Invalid configuration: PORT="abc" is invalid: expected a TCP port number/)
})

async function loadSensors(env: Record<string, string>) {
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  await app.register(configPlugin, { env })
  await app.ready()
  return app.sensorConfigs
}

t.test('without KISMET_SENSORS, KISMET_API_URL and its credential are one sensor named default', async (t) => {
  t.same(await loadSensors({ KISMET_API_URL: 'http://kismet:2501', KISMET_API_KEY: 'ABCDEF0123456789ABCDEF0123456789' }), [
    { name: 'default', url: 'http://kismet:2501', apiKey: 'ABCDEF0123456789ABCDEF0123456789' },
  ])
})

t.test('KISMET_SENSORS: a JSON array, or the path of a file holding one', async (t) => {
  const sensors = [
    { name: 'north', url: 'http://10.0.0.2:2501', apiKey: 'NORTHKEY0123456789ABCDEF01234567' },
    { name: 'south_2', url: 'https://10.0.0.3:2501/kismet', user: 'kismet', password: 'pw-south' },
  ]
  t.same(await loadSensors({ KISMET_SENSORS: JSON.stringify(sensors) }), sensors)
  const dir = mkdtempSync(path.join(tmpdir(), 'kismet-ws-sensors-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'sensors.json')
  writeFileSync(file, JSON.stringify(sensors, null, 2))
  t.same(await loadSensors({ KISMET_SENSORS: file }), sensors, 'read from the file')
})

const badSensors: Array<[string, string, RegExp]> = [
  ['not JSON', '[{"name": "north", "url": "http://a:2501", "apiKey": "SECRET-KEY-1"', /^Invalid configuration: KISMET_SENSORS is not valid JSON/],
  ['not an array', '{"name": "north"}', /KISMET_SENSORS is neither a JSON array nor a readable file/],
  ['an object inside', '[{"name": "north", "url": "http://a:2501"}, 5]', /KISMET_SENSORS entry 2: expected an object/],
  ['empty', '[]', /KISMET_SENSORS names no sensor/],
  ['a bad name', '[{"name": "north pole", "url": "http://a:2501"}]', /KISMET_SENSORS entry 1: name must be 1 to 64 letters, digits/],
  ['a room-unsafe name', '[{"name": "devices@x", "url": "http://a:2501"}]', /entry 1: name must be/],
  ['the same name twice', '[{"name": "north", "url": "http://a:2501"}, {"name": "North", "url": "http://b:2501"}]', /KISMET_SENSORS entry 2 \("North"\): the name is used by an earlier entry/],
  ['a bad url', '[{"name": "north", "url": "ftp://a", "apiKey": "SECRET-KEY-1"}]', /KISMET_SENSORS entry 1 \("north"\): url must be an http:\/\/ or https:\/\/ URL/],
  ['key and login', '[{"name": "north", "url": "http://a:2501", "apiKey": "SECRET-KEY-1", "user": "u", "password": "SECRET-PW-1"}]', /entry 1 \("north"\): give either apiKey or user and password, not both/],
  ['a user without password', '[{"name": "north", "url": "http://a:2501", "user": "u"}]', /entry 1 \("north"\): user and password go together/],
  ['a misspelt property', '[{"name": "north", "url": "http://a:2501", "apikey": "SECRET-KEY-1"}]', /entry 1 \("north"\): unknown property "apikey"/],
  ['a file that is not there', '/nonexistent/sensors.json', /KISMET_SENSORS is neither a JSON array nor a readable file \("\/nonexistent\/sensors.json": ENOENT\)/],
]

for (const [what, value, expected] of badSensors) {
  t.test(`KISMET_SENSORS with ${what} stops the start with one line naming the entry and the problem`, async (t) => {
    const error = await loadSensors({ KISMET_SENSORS: value }).then(
      () => undefined,
      (e: unknown) => e,
    )
    t.ok(error instanceof ConfigError, 'a ConfigError')
    const message = (error as Error).message
    t.match(message, expected)
    t.notMatch(message, /\n/, 'one line')
    t.notMatch(message, /SECRET/, 'no secret shown')
  })
}

t.test('KISMET_SENSORS together with KISMET_API_URL is refused; READY_MIN_SENSORS cannot exceed the sensors', async (t) => {
  const both = await loadSensors({ KISMET_SENSORS: '[{"name": "a", "url": "http://a:2501"}]', KISMET_API_URL: 'http://b:2501' }).catch((e: Error) => e)
  t.match((both as Error).message, /KISMET_SENSORS names the sensors, so KISMET_API_URL must not be set as well/)
  const tooMany = await loadSensors({ KISMET_SENSORS: '[{"name": "a", "url": "http://a:2501"}]', READY_MIN_SENSORS: '2' }).catch((e: Error) => e)
  t.match((tooMany as Error).message, /READY_MIN_SENSORS=2 is more than the 1 sensor\(s\) configured/)
})
