// Scale-out on the Redis transports other than plain redis://: rediss:// (a TLS-only
// redis-server with certificates the test made, trusted the way a user would, with Node's
// NODE_EXTRA_CA_CERTS, or not trusted at all) and a Redis Cluster of three masters. Real
// redis-server processes (test/support/redis-servers.ts), real server.ts producers and
// gateways, one Kismet simulator, real Socket.IO clients. Every wait is for an event or a
// condition, with an overall timeout.
import { execFileSync } from 'node:child_process'
import t from 'tap'
import { makeCertificates } from '../support/certs.js'
import { WatchedClient, eachSeenOnce, pollUntil, readyOf, settled, startRole, topology } from '../support/cluster.js'
import { startRedisCluster, startTlsRedis } from '../support/redis-servers.js'
import type { ServiceProcess } from '../support/service-process.js'

const PASSWORD = 'Redis-pw-7f3a'

/** Everything a process wrote: its log lines and its stderr. */
const everythingFrom = (service: ServiceProcess) => JSON.stringify(service.logs) + service.stderr()

t.test('rediss://', async (t) => {
  const certs = makeCertificates(t)
  const redis = await startTlsRedis(t, certs, PASSWORD)

  t.test('a producer and a gateway on a TLS-only Redis whose CA they trust through NODE_EXTRA_CA_CERTS', async (t) => {
    const { sim, producers, gateways } = await topology(t, redis.url, { producers: 1, gateways: 1, env: { NODE_EXTRA_CA_CERTS: certs.ca.certPath } })
    const gateway = gateways[0]!
    const client = new WatchedClient(t, gateway.url)
    await client.subscribe(['devices', 'alerts'])
    await settled(sim, [client], 'the snapshot, read from Redis over TLS')
    await eachSeenOnce(t, sim, [client])
    const ready = await pollUntil(() => readyOf(gateway), (r) => r.status === 200, '/ready 200')
    t.equal(ready.status, 200, '/ready is 200')
    for (const service of [...producers, gateway]) {
      t.match(await service.waitForLog(/^Connected to Redis at /), new RegExp(`^Connected to Redis at rediss://127\\.0\\.0\\.1:${redis.port}$`), 'the log names the Redis reached, without its password')
      t.notMatch(everythingFrom(service), PASSWORD, 'the password is in no log line')
    }
  })

  t.test('a certificate nobody trusts, or a wrong password: a clear log line, /ready 503 "Redis is unavailable", no crash, no secret in the log', async (t) => {
    const wrongPassword = redis.url.replace(encodeURIComponent(PASSWORD), 'Wrong-pw-91c2')
    const [untrusting, refused] = await Promise.all([startRole(t, 'gateway', redis.url, {}), startRole(t, 'gateway', wrongPassword, { NODE_EXTRA_CA_CERTS: certs.ca.certPath })])
    const where = `rediss://127\\.0\\.0\\.1:${redis.port}`
    const cases = [
      { gateway: untrusting, line: new RegExp(`^Redis at ${where} is unavailable: self-signed certificate in certificate chain \\(retrying\\)$`), why: /: self-signed certificate in certificate chain$/ },
      // The AUTH error ioredis raises carries the password (its command's arguments): it used to end the process, logged whole.
      { gateway: refused, line: new RegExp(`^Redis at ${where} is unavailable: WRONGPASS invalid username-password pair`), why: /: WRONGPASS / },
    ]
    for (const { gateway, line, why } of cases) {
      t.match(await gateway.waitForLog(/^Redis at /), line, 'the log says Redis is unavailable, and why')
      const ready = await pollUntil(() => readyOf(gateway), (r) => r.status === 503 && why.test(r.body.error?.message ?? ''), '/ready 503 with the reason')
      t.match(ready.body.error?.message, /^Redis is unavailable \(state: \w+\): /, '/ready 503 says Redis is unavailable, and why')
      // Still serving, retrying with backoff.
      t.equal((await fetch(`${gateway.url}/health`)).status, 200, 'the process still serves /health')
      t.equal(gateway.child.exitCode, null, 'and has not exited')
      t.notMatch(everythingFrom(gateway), PASSWORD, 'the password is in no log line')
      t.notMatch(everythingFrom(gateway), 'Wrong-pw-91c2', 'nor the wrong one')
    }
  })
})

t.test('a Redis Cluster of three masters: snapshot, every new, remove and alert once, /ready, /status, connection state recovery', async (t) => {
  const redis = await startRedisCluster(t)
  const { sim, gateways } = await topology(t, redis.url, { producers: 1, gateways: 1 })
  const gateway = gateways[0]!
  // Subscribed as soon as the gateway listens: the snapshot waits for its first connection to the cluster.
  const a = new WatchedClient(t, gateway.url, { reconnectTo: () => gateway.url })
  const b = new WatchedClient(t, gateway.url)
  await Promise.all([a.subscribe(['devices', 'alerts']), b.subscribe(['devices', 'alerts'])])
  await settled(sim, [a, b], 'the snapshot and the seeded devices')
  await eachSeenOnce(t, sim, [a, b])

  const ready = await pollUntil(() => readyOf(gateway), (r) => r.status === 200, '/ready 200')
  t.equal(ready.status, 200, '/ready is 200')
  type Status = { data: { cluster?: { role: string; redis: { state: string }; gateways: number; clients: number; sensors: Array<{ leader: string | null; deviceCount: number }> } } }
  const status = await pollUntil(
    async () => ((await (await fetch(`${gateway.url}/api/kismet/ws/status`)).json()) as Status).data.cluster,
    (cluster) => cluster?.clients === 2 && cluster.sensors[0]?.deviceCount === sim.devices().length,
    "the cluster section counting the gateway's clients and the sensor's devices",
  )
  t.equal(status?.role, 'gateway', '/status has the cluster section')
  t.equal(status?.redis.state, 'ready', 'Redis ready')
  t.equal(status?.gateways, 1, 'one live gateway')
  t.ok(status?.sensors[0]?.leader, 'the sensor has a leader')
  // A real cluster: the sensor's keys (one slot, {default}), the gateways' records and the stream are spread over the masters.
  const holding = redis.nodes.filter((node) => Number(execFileSync('redis-cli', ['-p', String(node.port), 'dbsize'], { encoding: 'utf8' })) > 0)
  t.ok(holding.length >= 2, `the keys are spread over ${holding.length} masters`)

  // The adapter's session keys in the cluster: a dropped transport's session is saved (SET), then restored (GETDEL, XRANGE).
  const gone = a.waiters.until(() => !a.socket.connected, 'the disconnect')
  a.socket.io.engine.close()
  await gone
  const added = sim.addDevice({ name: 'while-away' })
  const alert = sim.raiseAlert()
  await a.until(() => a.connects >= 2, 'the reconnect')
  t.equal(a.recovered.at(-1), true, 'the session is recovered (same rooms, missed packets replayed)')
  await settled(sim, [a, b], 'the tables after the reconnect')
  await a.until(() => a.table.hasAlert(String(alert.hash)), 'the alert raised while away')
  t.equal(a.newsFor(added.key), 1, 'the device added while away came once')
  t.same(a.table.anomalies, [], 'no anomaly')
})
