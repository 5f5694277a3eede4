// Locations through the live pipeline: devices of a Kismet with a GPS arrive placed where
// Kismet heard them best, and the poll loop reads Kismet's own position every
// GPS_INTERVAL_MS (not every cycle) into system:status.sensor.position, surviving a failed read.
import t from 'tap'
import type { AnyEnvelope } from '../../src/events.js'
import { startPipeline } from '../support/pipeline.js'
import { envelopeErrors } from '../support/schemas.js'

const AT = { lat: 38.8895, lon: -77.0353 }

function positions(envelopes: AnyEnvelope[]): unknown[] {
  return envelopes.flatMap((e) => (e.type === 'system:status' ? [e.data.sensor?.position ?? null] : []))
}

t.test('devices carry the best location Kismet has; the sensor position is read every GPS_INTERVAL_MS', async (t) => {
  const p = await startPipeline(t, { sim: { devices: 20, location: AT }, env: { GPS_INTERVAL_MS: '10000', THROTTLE_SYSTEM_MS: '0' } })
  const peaked = p.sim.addDevice({ type: 'Wi-Fi AP', ssid: 'Peaked', location: { lat: 38.89, lon: -77.03, alt: 12, fix: 3 }, peakLocation: { lat: 38.891, lon: -77.031, alt: 14, fix: 3 } })
  const beforeFix = p.sim.addDevice({ type: 'Wi-Fi AP', ssid: 'BeforeFix', location: { lat: 38.88, lon: -77.02, alt: 10, fix: 3 }, peakLocation: null })
  const never = p.sim.addDevice({ type: 'Wi-Fi AP', ssid: 'Never', location: null })
  await p.cycle()
  const table = p.pipeline.tracker
  t.same(table.get(peaked.key)?.location, { lat: 38.891, lon: -77.031, alt: 14, fix: 3 }, 'where the signal was strongest')
  t.same(table.get(beforeFix.key)?.location, { lat: 38.88, lon: -77.02, alt: 10, fix: 3 }, 'a peak before the fix: the average')
  t.equal(table.get(never.key)?.location, null, 'never heard with a fix: no location')
  t.ok(p.pipeline.tracker.all().filter((d) => d.location).length > 10, 'most seeded devices are placed')
  t.same(table.get(peaked.key)?.phy, 'IEEE802.11')

  const gpsReads = () => p.sim.requestLog.filter((r) => r.path === '/gps/location.json').length
  t.equal(gpsReads(), 1, 'the first cycle reads the position')
  t.same(p.pipeline.poller.position, { ...AT, alt: 20, fix: 3 })
  t.same(positions(p.envelopes).at(-1), { ...AT, alt: 20, fix: 3 }, 'system:status carries it')

  for (let i = 0; i < 4; i++) {
    p.advance(2000)
    await p.cycle()
  }
  t.equal(gpsReads(), 1, 'cycles within GPS_INTERVAL_MS do not ask again')
  p.sim.setGps({ lat: 38.9, lon: -77.04, alt: 25 })
  p.advance(2000)
  await p.cycle()
  t.equal(gpsReads(), 2, 'after 10 s it asks again')
  t.same(p.pipeline.poller.position, { lat: 38.9, lon: -77.04, alt: 25, fix: 3 }, 'the sensor moved')

  p.sim.setFault({ kind: 'status', status: 500 }, { paths: /^\/gps\//, times: 1 })
  p.advance(10_000)
  await p.cycle()
  t.equal(p.pipeline.poller.state, 'connected', 'a failed GPS read is no failed cycle')
  t.same(p.pipeline.poller.position, { lat: 38.9, lon: -77.04, alt: 25, fix: 3 }, 'the last position is kept')
  t.equal(p.pipeline.stats.kismetErrors.http, 1, 'and the error counted')

  p.sim.setGps({ lat: 38.9, lon: -77.04, fix: 1 })
  p.advance(10_000)
  await p.cycle()
  t.equal(p.pipeline.poller.position, null, 'the fix lost: no position')
  t.equal(positions(p.envelopes).at(-1), null, 'system:status no longer carries one')
  t.same(p.envelopes.flatMap((e) => envelopeErrors(e)), [], 'every envelope matches its schema')
})

t.test('GPS_INTERVAL_MS=0: the poll loop never asks for the position (another reader may feed it)', async (t) => {
  const p = await startPipeline(t, { sim: { devices: 3, location: AT }, env: { GPS_INTERVAL_MS: '0' } })
  await p.cycle()
  p.advance(60_000)
  await p.cycle()
  t.equal(p.sim.requestLog.filter((r) => r.path === '/gps/location.json').length, 0)
  t.equal(p.pipeline.poller.position, null)
})
