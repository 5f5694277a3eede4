// Scale-out, producer failover: SIGKILL and SIGTERM of the leading producer.
// Real redis-server, real server.ts processes, one Kismet simulator, real Socket.IO clients
// (test/support/cluster.ts). Every wait is for an event or a condition, with an overall timeout.
import t from 'tap'
import { WatchedClient, cluster, settled, truthOf, pollUntil, leaderOf, leaderAmong, LEADS, stopProcess } from '../support/cluster.js'

t.test('SIGKILL of the leading producer: the standby leads within 5 s, tables equal Kismet again, no second new', async (t) => {
  const { sim, gateways, producers } = await cluster(t)
  const a = new WatchedClient(t, gateways[0]!.url)
  const b = new WatchedClient(t, gateways[1]!.url)
  await Promise.all([a.subscribe(['devices', 'alerts']), b.subscribe(['devices', 'alerts'])])
  await settled(sim, [a, b], 'the first table')
  const leader = leaderAmong(producers)
  t.ok(leader, 'one producer leads')
  const standby = producers.find((p) => p !== leader)!
  t.notOk(standby.logs.some((l) => LEADS.test(String(l['msg'] ?? ''))), 'the other one stands by')

  const killedAt = Date.now()
  await stopProcess(leader!, 'SIGKILL')
  await standby.waitForLog(LEADS, 5000)
  const tookMs = Date.now() - killedAt
  t.ok(tookMs < 5000, `the standby leads ${tookMs} ms after the SIGKILL`)

  const before = new Set(truthOf(sim))
  const added = sim.addDevice({ name: 'after-failover' })
  sim.removeDevice([...before][0]!)
  const alert = sim.raiseAlert()
  await settled(sim, [a, b], 'the table after the failover')
  for (const client of [a, b]) {
    await client.until(() => client.table.hasAlert(String(alert.hash)), 'the alert raised after the failover')
    t.equal(client.newsFor(added.key), 1, 'one new for the device added after the failover')
    for (const key of before) t.ok(client.newsFor(key) <= 1, `at most one new for ${key}`)
    t.same(client.table.anomalies, [], 'no anomaly: no second new, no remove of an unknown device, no alert twice')
  }
  for (const gateway of gateways) {
    const leader = await pollUntil(() => leaderOf(gateway), (id) => id !== null, 'a leader in /status')
    t.type(leader, 'string', 'the gateway sees the new leader in /status')
  }
})

t.test('SIGTERM of the leading producer: it flushes, exits 0 and gives the lock up; the standby leads; a producer serves /health only', async (t) => {
  const { sim, gateways, producers } = await cluster(t, { gateways: 1 })
  const a = new WatchedClient(t, gateways[0]!.url)
  await a.subscribe(['devices', 'alerts'])
  await settled(sim, [a], 'the first table')
  const leader = leaderAmong(producers)!
  const standby = producers.find((p) => p !== leader)!
  t.equal((await fetch(`${leader.url}/health`)).status, 200, 'a producer answers /health')
  t.equal((await fetch(`${leader.url}/api/kismet/ws/status`)).status, 404, 'and nothing else: no REST')
  t.equal((await fetch(`${leader.url}/socket.io/?EIO=4&transport=polling`)).status, 404, 'and no Socket.IO')
  const exit = await stopProcess(leader)
  t.equal(exit.code, 0, 'the leader exits 0')
  await standby.waitForLog(LEADS, 5000)
  const added = sim.addDevice({ name: 'after-handover' })
  await settled(sim, [a], 'the table after the handover')
  t.equal(a.newsFor(added.key), 1, 'one new for the device added after the handover')
  t.same(a.table.anomalies, [], 'no anomaly')
})
