import t from 'tap'
import Fastify from 'fastify'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
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
      HEARTBEAT_INTERVAL_MS: 30000,
      RETRY_DELAY_MS: 5000,
      MAX_RETRIES: 5,
      DEVICE_TTL_S: 300,
      KISMET_TIMEOUT_MS: 10000,
      THROTTLE_DEVICE_UPDATE_MS: 500,
      THROTTLE_SIGNAL_MS: 250,
      THROTTLE_SCAN_MS: 1000,
      THROTTLE_SYSTEM_MS: 2000,
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
