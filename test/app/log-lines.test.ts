// Log lines that mean what they say: a 401 names the credential as it was configured (or says
// none was sent); a port that cannot be had is said before anything about Kismet, and nothing
// is asked of Kismet; the first "not reachable" line says it once, and retries count from 1.
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import { KismetSimulator } from '../../sim/simulator.js'
import { startApp, TEST_API_KEY, testEnv } from '../helper.js'
import { LogCapture } from '../support/logs.js'
import { runToExit, startServiceProcess } from '../support/service-process.js'
import { freePort } from '../support/ports.js'

const HOUR = '3600000'

/** A Kismet simulator that wants `credentials`, and an app reading it with `env`; one cycle run. */
async function authFailureLine(t: Test, credentials: { apiKey?: string; user?: string; password?: string }, env: Record<string, string>): Promise<string> {
  const sim = new KismetSimulator({ devices: 1, seed: 3, ...credentials })
  const simUrl = await sim.listen()
  t.teardown(() => sim.close())
  const logs = new LogCapture()
  const fullEnv = testEnv({ KISMET_ENABLED: 'true', POLL_INTERVAL_MS: HOUR, HEARTBEAT_INTERVAL_MS: HOUR, RETRY_DELAY_MS: HOUR, ...env })
  for (const [k, v] of Object.entries(fullEnv)) if (typeof v === 'string') fullEnv[k] = v.replaceAll('<SIM>', simUrl)
  const { app } = await startApp(t, { logs, env: fullEnv })
  for (const pipeline of app.sensors.all()) await pipeline.poller.runCycle()
  const errors = logs.entries.filter((entry) => entry.level >= 50)
  t.equal(errors.length, app.sensors.all().length, 'one error line per sensor refused')
  t.ok(app.sensors.all().every((p) => p.poller.state === 'auth_failed'), 'auth_failed')
  t.notMatch(logs.text(), /WRONG-SECRET|wrong-password/, 'no secret in the log')
  return errors.map((e) => e.msg).join('\n')
}

t.test('401 with no credential configured: none was sent, and what to set', async (t) => {
  const line = await authFailureLine(t, { apiKey: TEST_API_KEY }, { KISMET_API_URL: '<SIM>' })
  t.match(line, /^Kismet at http:\/\/127\.0\.0\.1:\d+ requires a credential \(HTTP 401\) and none was sent\. Set KISMET_API_KEY to a Kismet API key \(role readonly\), or KISMET_USER and KISMET_PASSWORD/)
  t.notMatch(line, /refused/)
})

t.test('401 for the configured key or login names the variables', async (t) => {
  const key = await authFailureLine(t, { apiKey: TEST_API_KEY }, { KISMET_API_URL: '<SIM>', KISMET_API_KEY: 'WRONG-SECRET-0000' })
  t.match(key, /refused the API key in KISMET_API_KEY \(HTTP 401\): it is wrong, or was revoked/)
  const login = await authFailureLine(t, { user: 'kismet', password: 'right-password' }, { KISMET_API_URL: '<SIM>', KISMET_USER: 'kismet', KISMET_PASSWORD: 'wrong-password' })
  t.match(login, /refused the login in KISMET_USER and KISMET_PASSWORD \(HTTP 401\)/)
})

t.test('with KISMET_SENSORS, the 401 names the sensor and its entry', async (t) => {
  const sensors = JSON.stringify([
    { name: 'north', url: '<SIM>', apiKey: 'WRONG-SECRET-0000' },
    { name: 'south', url: '<SIM>', user: 'kismet', password: 'wrong-password' },
    { name: 'east', url: '<SIM>' },
  ])
  const lines = (await authFailureLine(t, { apiKey: TEST_API_KEY }, { KISMET_SENSORS: sensors })).split('\n')
  t.match(lines[0], /^Kismet "north" at .* refused the "apiKey" of sensor "north" in KISMET_SENSORS \(HTTP 401\)/)
  t.match(lines[1], /^Kismet "south" at .* refused the "user" and "password" of sensor "south" in KISMET_SENSORS/)
  t.match(lines[2], /^Kismet "east" at .* requires a credential \(HTTP 401\) and none was sent\. Give sensor "east" in KISMET_SENSORS an "apiKey"/)
})

t.test('Kismet unreachable: one first line that says it once, then retries numbered from 1', async (t) => {
  const kismetUrl = `http://127.0.0.1:${await freePort()}`
  const service = await startServiceProcess(t, { KISMET_ENABLED: 'true', KISMET_API_URL: kismetUrl, RETRY_DELAY_MS: '1000' })
  const first = await service.waitForLog(/Kismet is not reachable/)
  t.equal(first, `Kismet is not reachable at ${kismetUrl} (ECONNREFUSED on POST /system/status.json). Retry 1 in 1 s, then with a growing delay; the service keeps serving clients meanwhile. Check KISMET_API_URL if Kismet runs elsewhere. To see kismet-ws working without a Kismet, run \`npm run demo\` (simulated Kismet).`)
  const second = await service.waitForLog(/still not reachable/)
  t.equal(second, 'Kismet still not reachable (ECONNREFUSED on POST /system/status.json); retry 2 in 2 s')
  await service.waitForLog(/retry 3 in 4 s/, 10_000)
  const messages = service.logs.map((entry) => String(entry['msg']))
  t.equal(messages.filter((m) => /not reachable at/.test(m)).length, 1, 'the first line is logged once')
  t.same(
    service.logs.filter((entry) => entry['retry'] !== undefined).map((entry) => entry['retry']),
    [1, 2, 3],
    'retries numbered 1, 2, 3',
  )
  // Listening is said before anything about Kismet.
  const listening = messages.findIndex((m) => /Server listening at/.test(m))
  const connecting = messages.findIndex((m) => /Connecting to Kismet/.test(m))
  t.ok(listening >= 0 && listening < connecting, 'listening, then connecting to Kismet')
  service.child.kill('SIGTERM')
  t.equal((await service.exited).code, 0)
})

t.test('with KISMET_SENSORS, the unreachable line names the sensor and its url setting', async (t) => {
  const logs = new LogCapture()
  const sensors = JSON.stringify([{ name: 'north', url: `http://127.0.0.1:${await freePort()}` }])
  const { app } = await startApp(t, { logs, env: testEnv({ KISMET_ENABLED: 'true', KISMET_SENSORS: sensors, POLL_INTERVAL_MS: HOUR, HEARTBEAT_INTERVAL_MS: HOUR, RETRY_DELAY_MS: HOUR }) })
  await app.sensors.get('north')!.poller.runCycle()
  t.match(logs.warnings(/not reachable/), [
    { sensor: 'north', retry: 1, msg: /^Kismet "north" is not reachable at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED on POST \/system\/status\.json\)\. Retry 1 in 3600 s.* Check the "url" of sensor "north" in KISMET_SENSORS if Kismet runs elsewhere/ },
  ])
})

t.test('a port in use: the listening error, and nothing about or asked of Kismet', async (t) => {
  let kismetRequests = 0
  const kismet: Server = createServer((_req, res) => {
    kismetRequests += 1
    res.writeHead(500).end()
  })
  await new Promise<void>((resolve) => kismet.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => kismet.close(resolve)))
  const kismetUrl = `http://127.0.0.1:${(kismet.address() as { port: number }).port}`
  // The port taken: the Kismet stand-in's own.
  const taken = (kismet.address() as { port: number }).port
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', './scripts/lib/exit-with-parent.mjs', 'server.ts'], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(taken), LOG_LEVEL: 'info', KISMET_ENABLED: 'true', KISMET_API_URL: kismetUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const { code, stdout, stderr } = await runToExit(t, child)
  t.equal(code, 1)
  t.match(stderr, `kismet-ws: cannot listen on 127.0.0.1:${taken} (EADDRINUSE); set PORT or HOST to a free address`)
  t.notMatch(stdout, /Kismet/, 'no line about Kismet')
  t.equal(kismetRequests, 0, 'no request to Kismet')
})
