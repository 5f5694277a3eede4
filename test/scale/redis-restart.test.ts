// Scale-out, Redis restarted: readiness; a client connected through the restart and a
// subscriber after it both end with the table Kismet has, the gap included.
// Real redis-server, real server.ts processes, one Kismet simulator, real Socket.IO clients
// (test/support/cluster.ts). Every wait is for an event or a condition, with an overall timeout.
import t from 'tap'
import { WatchedClient, cluster, keysOf, keysOnChannel, settled, pollUntil, readyOf } from '../support/cluster.js'

t.test('Redis restarts empty: everything resumes; /ready says Redis is away meanwhile; the client connected throughout and a new subscriber both get what was published during the gap', async (t) => {
  const { sim, gateways, redis } = await cluster(t)
  const a = new WatchedClient(t, gateways[0]!.url)
  await a.subscribe(['devices', 'alerts'])
  // A filtered one, whose filter its gateway judges against the table it keeps from the stream.
  const f = new WatchedClient(t, gateways[1]!.url)
  await f.subscribe(['devices'], { filter: { channels: [6] } })
  await settled(sim, [a], 'the first table')
  await f.until(() => f.table.snapshotComplete, 'the filtered snapshot')
  await redis.stop()
  const down = await pollUntil(() => readyOf(gateways[0]!), (r) => r.status === 503, '/ready 503 while Redis is down')
  t.match(down.body.error?.message, /Redis is unavailable/, '/ready says Redis is unavailable')
  const during = sim.addDevice({ name: 'during-outage', channel: '6' })
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
  // The client connected throughout: the new leader found Redis empty and sent the whole
  // table again (through the stream; or, should the stream not bring it, its gateway reads
  // it from Redis: test/scale/resync.test.ts).
  await settled(sim, [a], 'the table of the client connected throughout, the gap included')
  t.ok(a.table.devices.has(during.key), 'the device added during the outage is in its table')
  t.same(a.table.anomalies, [], 'no anomaly at the client connected throughout')
  await f.until(() => keysOf(f).join() === keysOnChannel(sim, 6).join(), 'the filtered table connected throughout: the matching devices, the gap included')
  t.ok(f.table.devices.has(during.key), 'the matching device added during the outage is in the filtered table')
  t.same(f.table.anomalies, [], 'no anomaly at the filtered client')
  t.same(b.table.anomalies, [], 'no anomaly at the new subscriber')
})
