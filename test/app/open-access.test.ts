// The start log warns once when the stream is open to anyone (no API_TOKEN, CORS_ORIGIN=*, a
// HOST other machines can reach), naming the two variables that close it.
import t from 'tap'
import { isLoopbackHost, openAccessWarning } from '../../src/open-access.js'
import { startApp, testEnv } from '../helper.js'
import { LogCapture } from '../support/logs.js'

t.test('loopback addresses', async (t) => {
  for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST']) t.ok(isLoopbackHost(host), host)
  for (const host of ['0.0.0.0', '::', '192.168.1.20', '10.0.0.1', 'fe80::1', '::ffff:10.0.0.1', 'sensor-box', '128.0.0.1']) t.notOk(isLoopbackHost(host), host)
})

t.test('the warning: only when all three hold', async (t) => {
  const open = { HOST: '0.0.0.0', CORS_ORIGIN: '*' }
  const warning = openAccessWarning(open, 8001)
  t.match(warning, /anyone who can reach port 8001, and any web page one of them opens, can read the stream/)
  t.match(warning, /set API_TOKEN/)
  t.match(warning, /CORS_ORIGIN/)
  t.equal(openAccessWarning({ ...open, API_TOKEN: 'a-long-token' }, 8001), undefined, 'a token closes it')
  t.equal(openAccessWarning({ ...open, CORS_ORIGIN: 'https://map.example' }, 8001), undefined, 'a list of origins closes it to other pages')
  t.equal(openAccessWarning({ ...open, HOST: '127.0.0.1' }, 8001), undefined, 'loopback is this machine only')
  t.ok(openAccessWarning({ ...open, CORS_ORIGIN: 'https://a.example, *' }, 8001), 'a list holding * is *')
})

t.test('an open service warns once at start, with the port it listens on', async (t) => {
  const logs = new LogCapture()
  // The configuration says HOST=0.0.0.0 (the container's); the test itself listens on loopback.
  const { url } = await startApp(t, { logs, env: testEnv({ HOST: '0.0.0.0' }) })
  const warnings = logs.warnings(/Open to anyone/)
  t.equal(warnings.length, 1, 'once')
  t.match(warnings[0]!.msg, `port ${new URL(url).port}`)
  t.match(warnings[0], { HOST: '0.0.0.0', CORS_ORIGIN: '*' })
})

t.test('no warning when it is closed', async (t) => {
  for (const env of [{ HOST: '0.0.0.0', API_TOKEN: 'a-long-token' }, { HOST: '0.0.0.0', CORS_ORIGIN: 'https://map.example' }, { HOST: '127.0.0.1' }]) {
    const logs = new LogCapture()
    await startApp(t, { logs, env: testEnv(env) })
    t.same(logs.warnings(/Open to anyone/), [], JSON.stringify(env))
  }
})
