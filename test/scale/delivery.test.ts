// Scale-out, delivery: every new, remove and alert once through two gateways; a snapshot exact against the live stream.
// Real redis-server, real server.ts processes, one Kismet simulator, real Socket.IO clients
// (test/support/cluster.ts). Every wait is for an event or a condition, with an overall timeout.
import t from 'tap'
import { WatchedClient, churn, cluster, settled, keysOf, subscribersOnEach, truthOf } from '../support/cluster.js'

t.test('clients on both gateways see every new, remove and alert exactly once', async (t) => {
  const { sim, gateways } = await cluster(t)
  const a = new WatchedClient(t, gateways[0]!.url)
  const b = new WatchedClient(t, gateways[1]!.url)
  await Promise.all([a.subscribe(['devices', 'alerts']), b.subscribe(['devices', 'alerts'])])
  const truth = () => truthOf(sim)
  for (const client of [a, b]) await client.until(() => client.table.snapshotComplete && keysOf(client).join() === truth().join(), 'the snapshot and the seeded devices')

  const added = sim.addDevice({ name: 'fresh' })
  const gone = sim.devices()[0]!.key
  sim.removeDevice(gone)
  const alert = sim.raiseAlert()
  for (const client of [a, b]) {
    await client.until(() => keysOf(client).join() === truth().join() && client.table.hasAlert(String(alert.hash)), 'the new device, the removal and the alert')
    t.equal(client.newsFor(added.key), 1, 'one new for the added device')
    t.same(client.table.anomalies, [], 'no anomaly (no second new, no remove of an unknown device, no alert twice)')
  }
})

t.test('a snapshot is exact against the live stream: subscribers joining while devices keep changing see no gap and no repeat', async (t) => {
  const { sim, gateways } = await cluster(t, { producers: 1 })
  const changes = churn(t, sim, { name: 'churn', everyMs: 25, keep: 12, alerts: true })
  const clients = await subscribersOnEach(t, gateways, 8)
  const target = changes.added + 5
  await clients[0]!.waiters.until(() => changes.added >= target, 'more churn')
  changes.stop()
  await settled(sim, clients, 'every table equal to Kismet')
  const alerts = sim.alerts().map((a) => String(a.hash))
  for (const client of clients) {
    t.same(client.table.anomalies, [], 'no anomaly: no update before its new, no second new, no alert twice')
    await client.until(() => alerts.every((id) => client.table.hasAlert(id)), 'every alert Kismet holds')
  }
})
