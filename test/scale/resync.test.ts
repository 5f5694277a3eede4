// Scale-out, a leader's whole-table resync that the stream did not bring to a gateway: the
// gateway reads the sensor's state from Redis again and sends it to its own subscribers,
// plain and filtered. The test plays the leading producer: it writes the sensor's state and
// record to a real redis-server exactly as a leader does (src/scale/shared-state.ts,
// cluster-view.ts), and publishes nothing into the stream. Real server.ts gateway, real
// Socket.IO clients. Every wait is for an event or a condition, with an overall timeout.
import t from 'tap'
import { Redis } from 'ioredis'
import { EnvelopeFactory } from '../../src/envelope.js'
import type { WifiDevice } from '../../src/events.js'
import { KISMET_ERROR_KINDS } from '../../src/kismet/errors.js'
import { writeSensorRecord, type SensorRecord } from '../../src/scale/cluster-view.js'
import { sensorKeys } from '../../src/scale/keys.js'
import { FoldedTable } from '../../src/scale/shared-state.js'
import { makeDevice } from '../support/devices.js'
import { SENSOR, WatchedClient, keysOf, pollUntil, readyOf, startRedis, startRole } from '../support/cluster.js'

const NO_ALERTS = { version: 0, list: () => [] }

/** The leader's view of the sensor, as its record carries it, with the resync it reports. */
function record(devices: number, resyncSeq: number): SensorRecord {
  return {
    leader: 'test-leader',
    status: { name: SENSOR, url: 'http://kismet.test', connected: true, state: 'connected', retries: 0, deviceCount: devices, lastPoll: Date.now(), eventbus: { state: 'disabled', since: 0, pollIntervalMs: 0 } },
    counters: { state: 'connected', polls: 1, errors: 0, errorsByKind: Object.fromEntries(KISMET_ERROR_KINDS.map((kind) => [kind, 0])) as SensorRecord['counters']['errorsByKind'], requests: 1, lastPollMs: 1, bytesReceived: 0, devicesTracked: devices, malformedRecords: 0 },
    writer: { held: 0, dropped: 0, writes: 1, resyncSeq },
    at: Date.now(),
  }
}

t.test('a resync the stream did not bring: the gateway sends its plain and filtered subscribers the table from Redis, and reads it again until it can', async (t) => {
  const redis = await startRedis(t)
  const client = new Redis(redis.url)
  t.teardown(() => client.disconnect())
  const leader = new EnvelopeFactory({ runId: 'leader', sequence: 1000 }).forSensor(SENSOR)
  const table = new FoldedTable()
  const write = async (devices: WifiDevice[], resync: boolean) => {
    const snapshot = leader.create('device:snapshot', { devices, chunk: 0, chunks: 1 })
    table.fold(snapshot)
    await table.write(client, SENSOR, NO_ALERTS)
    const seq = Number(snapshot.id.split('-').at(-1))
    await writeSensorRecord(client, SENSOR, record(devices.length, resync ? seq : 0), 60_000)
  }
  const [one, two, three] = [makeDevice(1), makeDevice(2), makeDevice(3)]
  await write([one, two], false)

  const gateway = await startRole(t, 'gateway', redis.url, { KISMET_API_URL: 'http://kismet.test' })
  await pollUntil(() => readyOf(gateway), (r) => r.status === 200, "/ready 200 (the leader's record says connected)")
  const plain = new WatchedClient(t, gateway.url)
  await plain.subscribe(['devices', 'alerts'])
  await plain.until(() => keysOf(plain).join() === [one.key, two.key].sort().join(), 'the first table')
  const filtered = new WatchedClient(t, gateway.url)
  await filtered.subscribe(['devices'], { filter: { macs: [three.mac] } })
  await filtered.until(() => filtered.table.snapshotComplete, 'the filtered snapshot')
  t.same(keysOf(filtered), [], 'nothing matches the filter yet')
  // Let the gateway see a record or two in which nothing changed.
  await pollUntil(async () => (await fetch(`${gateway.url}/metrics`)).text(), (text) => /^kismet_ws_redis_up 1/m.test(text), 'the gateway connected to Redis')

  // The leader resends the whole table (here: Redis lost it, Kismet has one device now); the stream never brings it.
  await write([three], true)
  await plain.until(() => keysOf(plain).join() === three.key, 'the plain table replaced by the one in Redis')
  await filtered.until(() => keysOf(filtered).join() === three.key, 'the filtered table: the one matching device')
  const metrics = await (await fetch(`${gateway.url}/metrics`)).text()
  t.match(metrics, /^kismet_ws_gateway_resyncs_total 1$/m, 'counted once')
  t.ok(
    gateway.logs.some((line) => /subscribers the sensor's state again/.test(String(line['msg']))),
    'logged',
  )
  // A resync whose state cannot be read (here: the table's key holds the wrong type): logged,
  // and read again at the following refreshes until it can be.
  const four = makeDevice(4)
  const snapshot = leader.create('device:snapshot', { devices: [four], chunk: 0, chunks: 1 })
  table.fold(snapshot)
  await client.set(sensorKeys(SENSOR).devices, 'not a hash')
  await writeSensorRecord(client, SENSOR, record(1, Number(snapshot.id.split('-').at(-1))), 60_000)
  await pollUntil(async () => gateway.logs.filter((line) => /Could not read the sensor's state again/.test(String(line['msg']))).length, (count) => count > 0, 'the failed read logged')
  await table.write(client, SENSOR, NO_ALERTS)
  await plain.until(() => keysOf(plain).join() === four.key, 'the table read once it could be')
  t.match((await (await fetch(`${gateway.url}/metrics`)).text()), /^kismet_ws_gateway_resyncs_total 2$/m, 'counted when it was sent')
  t.same(plain.table.anomalies, [], 'no anomaly at the plain client')
  t.same(filtered.table.anomalies, [], 'no anomaly at the filtered client')
})
