// Scale-out, gateways: SIGTERM with recovery on the other gateway; batched delivery.
// Real redis-server, real server.ts processes, one Kismet simulator, real Socket.IO clients
// (test/support/cluster.ts). Every wait is for an event or a condition, with an overall timeout.
import t from 'tap'
import { WatchedClient, churn, cluster, settled, stopProcess, subscribersOnEach } from '../support/cluster.js'

t.test('SIGTERM of a gateway: its clients reconnect to the other one and recover what they missed', async (t) => {
  const { sim, gateways } = await cluster(t)
  const [first, second] = [gateways[0]!, gateways[1]!]
  const a = new WatchedClient(t, first.url, { reconnectTo: () => second.url })
  await a.subscribe(['devices', 'alerts'])
  await settled(sim, [a], 'the first table')
  const shutdown = a.until(() => a.envelopes.some((e) => e.type === 'server:shutdown'), 'server:shutdown')
  const gone = a.waiters.until(() => !a.socket.connected, 'the disconnect')
  const exit = await stopProcess(first)
  t.equal(exit.code, 0, 'the gateway exits 0')
  await shutdown
  await gone
  // Published while the client is away: the recovery on the other gateway replays it.
  const added = sim.addDevice({ name: 'while-away' })
  const alert = sim.raiseAlert()
  await a.until(() => a.connects >= 2, 'the reconnect to the other gateway')
  t.equal(a.recovered.at(-1), true, 'the session is recovered on the other gateway (same rooms, missed packets replayed)')
  await settled(sim, [a], 'the table after the reconnect')
  await a.until(() => a.table.hasAlert(String(alert.hash)), 'the alert raised while away')
  t.equal(a.newsFor(added.key), 1, 'the device added while away came once')
  t.same(a.table.anomalies, [], 'no anomaly')
})

t.test('batched delivery through a gateway: its snapshot and then events packets, exact', async (t) => {
  const { sim, gateways } = await cluster(t, { producers: 1 })
  const changes = churn(t, sim, { name: 'batched', everyMs: 30, keep: 10 })
  const clients = await subscribersOnEach(t, gateways, 4, { batch: true })
  const target = changes.added + 5
  await clients[0]!.waiters.until(() => changes.added >= target, 'more churn')
  changes.stop()
  await settled(sim, clients, 'every batched table equal to Kismet')
  for (const client of clients) {
    t.ok(client.batches > 0, 'events packets arrived')
    t.same(client.table.anomalies, [], 'no anomaly')
  }
})
