// Scale-out, Redis restarted: readiness, and a subscriber after the restart.
// Real redis-server, real server.ts processes, one Kismet simulator, real Socket.IO clients
// (test/support/cluster.ts). Every wait is for an event or a condition, with an overall timeout.
import t from 'tap'
import { WatchedClient, cluster, settled, pollUntil, readyOf } from '../support/cluster.js'

t.test('Redis restarts: everything resumes; /ready says Redis is away meanwhile; a subscriber gets what was published during the gap', async (t) => {
  const { sim, gateways, redis } = await cluster(t)
  const a = new WatchedClient(t, gateways[0]!.url)
  await a.subscribe(['devices', 'alerts'])
  await settled(sim, [a], 'the first table')
  await redis.stop()
  const down = await pollUntil(() => readyOf(gateways[0]!), (r) => r.status === 503, '/ready 503 while Redis is down')
  t.match(down.body.error?.message, /Redis is unavailable/, '/ready says Redis is unavailable')
  const during = sim.addDevice({ name: 'during-outage' })
  await redis.start()
  await pollUntil(() => readyOf(gateways[0]!), (r) => r.status === 200, '/ready 200 again')
  t.pass('/ready is 200 again')
  // A subscriber on either gateway now: its snapshot (from the new leader's table) holds the device added during the gap.
  const b = new WatchedClient(t, gateways[1]!.url)
  await b.subscribe(['devices', 'alerts'])
  await settled(sim, [b], "a new subscriber's table, with the device added during the outage")
  const after = sim.addDevice({ name: 'after-outage' })
  await b.until(() => b.table.devices.has(after.key), 'a device added after the restart')
  await a.until(() => a.table.devices.has(after.key), 'the same device at the client that stayed connected')
  t.ok(b.table.devices.has(during.key) && b.table.devices.has(after.key), 'both devices are in the new subscriber\'s table')
  t.same(b.table.anomalies, [], 'no anomaly at the new subscriber')
})
