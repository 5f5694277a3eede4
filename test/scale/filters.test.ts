// Scale-out, filtered subscriptions on gateways: each gateway judges its own sockets' filters
// against the tables it keeps from the stream. A filtered client's table must equal the
// simulator's devices that match, on either gateway, per event or batched, as devices enter
// and leave the filter, and after a recovery on the other gateway.
// Real redis-server, real server.ts processes, one Kismet simulator, real Socket.IO clients
// (test/support/cluster.ts). Every wait is for an event or a condition, with an overall timeout.
import t from 'tap'
import type { KismetSimulator } from '../../sim/simulator.js'
import { WatchedClient, cluster, keysOf, keysOnChannel, pollUntil, settled, stopProcess } from '../support/cluster.js'

const ON_SIX = { channels: [6] }
const matchingKeys = (sim: KismetSimulator) => keysOnChannel(sim, 6)

async function filteredSettled(sim: KismetSimulator, clients: WatchedClient[], what: string): Promise<void> {
  for (const client of clients) await client.until(() => client.table.snapshotComplete && keysOf(client).join() === matchingKeys(sim).join(), what)
}

/** device:update envelopes about one key, as "action reason". */
const story = (client: WatchedClient, key: string): string[] =>
  client.envelopes.flatMap((e) => (e.type === 'device:update' && e.data.device.key === key ? [`${e.data.action}${e.data.reason ? ` ${e.data.reason}` : ''}`] : []))

t.test('a filter on either gateway: the table equals the matching devices as they enter and leave it, per event and batched; exports and the lookup by MAC from the gateway', async (t) => {
  const { sim, gateways } = await cluster(t, { producers: 1 })
  sim.addDevice({ name: 'six-at-start', channel: '6' })
  const plain = new WatchedClient(t, gateways[0]!.url)
  await plain.subscribe(['devices'])
  const filtered = [new WatchedClient(t, gateways[0]!.url), new WatchedClient(t, gateways[1]!.url), new WatchedClient(t, gateways[1]!.url)]
  await filtered[0]!.subscribe(['devices'], { filter: ON_SIX })
  await filtered[1]!.subscribe(['devices'], { filter: ON_SIX })
  await filtered[2]!.subscribe(['devices'], { filter: ON_SIX, batch: true })
  await filteredSettled(sim, filtered, 'the filtered snapshot')
  t.ok(matchingKeys(sim).length > 0, 'some devices match at the start')
  // Plain, then at once filtered: the plain snapshot, still being read from Redis when the
  // filter comes, must not reach a socket that takes the filter now.
  const switcher = new WatchedClient(t, gateways[0]!.url)
  const plainFirst = switcher.subscribe(['devices'])
  await switcher.subscribe(['devices'], { filter: ON_SIX })
  await plainFirst
  filtered.push(switcher)
  await filteredSettled(sim, [switcher], 'the table of the client that took a filter right after subscribing plainly')

  const entering = sim.addDevice({ name: 'eleven-then-six', channel: '11' })
  const leaving = sim.addDevice({ name: 'six-then-eleven', channel: '6' })
  await settled(sim, [plain], 'the plain table with both new devices')
  await filteredSettled(sim, filtered, 'the filtered tables with the new device on channel 6')
  sim.updateDevice(entering.key, { channel: '6' })
  sim.updateDevice(leaving.key, { channel: '11' })
  await filteredSettled(sim, filtered, 'one device entered the filter, one left it')
  for (const client of filtered) {
    t.same(story(client, entering.key), ['new filter'], 'the device that starts matching arrives as new, reason filter')
    t.same(story(client, leaving.key), ['new', 'remove filter'], 'the device that stops matching leaves as remove, reason filter')
  }
  // Kismet forgets it: it expires (DEVICE_TTL_S) for the filter's clients as for everyone.
  sim.removeDevice(entering.key)
  await filteredSettled(sim, filtered, 'the matching device Kismet forgot is gone')
  await settled(sim, [plain], 'the plain table')
  t.ok(filtered[2]!.batches > 0, 'the batched filtered client got events packets')
  for (const client of [plain, ...filtered]) t.same(client.table.anomalies, [], 'no anomaly')
  t.ok(
    plain.envelopes.every((e) => e.type !== 'device:update' || e.data.reason !== 'filter'),
    'the plain client hears nothing of the filter',
  )
  // The gateway's tables serve the exports and the lookup by MAC too.
  const api = `${gateways[1]!.url}/api/kismet/ws`
  const page = await pollUntil(
    async () => (await (await fetch(`${api}/devices?channels=6`)).json()) as { data: { devices: Array<{ sensor: string; device: { key: string; mac: string } }> } },
    (body) => body.data.devices.map((row) => row.device.key).sort().join() === matchingKeys(sim).join(),
    'the export of the devices on channel 6 from the gateway',
  )
  t.ok(page.data.devices.every((row) => row.sensor === 'default'), 'each row names its sensor')
  const csv = await fetch(`${api}/devices?format=csv`)
  t.equal(csv.status, 200, 'a CSV export from the gateway')
  t.equal((await csv.text()).trim().split('\n').length, sim.devices().length + 1, 'a header and one row per device Kismet has')
  const mac = page.data.devices[0]!.device.mac
  const views = (await (await fetch(`${api}/devices/by-mac/${mac}`)).json()) as { data: { views: Array<{ sensor: string }> } }
  t.same(views.data.views.map((view) => view.sensor), ['default'], 'the lookup by MAC finds the device on the gateway')
})

t.test("SIGTERM of a gateway: a filtered client recovers on the other one, and its table is right again (the filter's packets were made on the gateway that left)", async (t) => {
  const { sim, gateways } = await cluster(t, { producers: 1 })
  const [first, second] = [gateways[0]!, gateways[1]!]
  sim.addDevice({ name: 'six', channel: '6' })
  const a = new WatchedClient(t, first.url, { reconnectTo: () => second.url })
  await a.subscribe(['devices'], { filter: ON_SIX })
  await filteredSettled(sim, [a], 'the first filtered table')
  const gone = a.waiters.until(() => !a.socket.connected, 'the disconnect')
  t.equal((await stopProcess(first)).code, 0, 'the gateway exits 0')
  await gone
  const added = sim.addDevice({ name: 'six-while-away', channel: '6' })
  sim.addDevice({ name: 'eleven-while-away', channel: '11' })
  await a.until(() => a.connects >= 2, 'the reconnect to the other gateway')
  t.equal(a.recovered.at(-1), true, 'the session is recovered (its filtered rooms with it)')
  await filteredSettled(sim, [a], 'the filtered table after the reconnect, with the matching device added while away')
  t.ok(a.table.devices.has(added.key), 'the matching device added while away is there')
  const later = sim.addDevice({ name: 'six-after', channel: '6' })
  await a.until(() => a.table.devices.has(later.key), 'a matching device added after the recovery arrives')
  t.same(a.table.anomalies, [], 'no anomaly')
})
