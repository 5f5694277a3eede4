// GET /api/kismet/ws/devices/:key: a device with its signal history, as the service built it
// from the real pipeline against the simulator; one sensor and several.
import t from 'tap'
import { schemaErrors } from '../support/schemas.js'
import { startPipeline, startSensors } from '../support/pipeline.js'
import { DeviceResponseSchema } from '../../src/history/schemas.js'
import { ErrorResponseSchema } from '../../src/api-schemas.js'

t.test('a device with the last minutes of its signal and position', async (t) => {
  const pipe = await startPipeline(t, { sim: { devices: 0 }, env: { HISTORY_WINDOW_S: '60', HISTORY_STEP_S: '5', DEVICE_TTL_S: '300' } })
  const ap = pipe.sim.addDevice({ type: 'Wi-Fi AP', ssid: 'Cafe', signal: -60, location: { lat: 52.52, lon: 13.405, alt: 34, fix: 3 } })
  await pipe.cycle()
  const signals = [-58, -55, -61, -49]
  for (const signal of signals) {
    pipe.advance(5_000)
    pipe.sim.touchDevice(ap.key, { signal })
    await pipe.cycle()
  }
  pipe.advance(1_000) // the throttle's trailing edges go out

  const res = await pipe.app.inject(`/api/kismet/ws/devices/${ap.key}`)
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.same(schemaErrors(DeviceResponseSchema, body), [], 'the answer matches its schema')
  t.equal(body.data.sensor, 'default')
  t.equal(body.data.device.key, ap.key)
  t.equal(body.data.device.signal, -49, 'the device as the tracker has it now')
  t.equal(body.data.history.windowMs, 60_000)
  t.equal(body.data.history.stepMs, 5_000)
  t.same(
    body.data.history.signal.map((s: { dbm: number }) => s.dbm),
    [-60, ...signals],
    'one sample per 5 s step, oldest first',
  )
  const times = body.data.history.signal.map((s: { t: number }) => s.t)
  t.ok(times.every((time: number, i: number) => i === 0 || time - times[i - 1] === 5_000), 'samples 5 s apart, at step starts')
  t.equal(body.data.history.location.length, 5, 'a position at each step it was heard')
  t.same(body.data.history.location[0], { t: times[0], lat: 52.52, lon: 13.405 })

  // A minute later the early samples have left the window.
  pipe.advance(40_000)
  const later = (await pipe.app.inject(`/api/kismet/ws/devices/${ap.key}`)).json()
  t.same(
    later.data.history.signal.map((s: { dbm: number }) => s.dbm),
    signals,
    'the step that began more than 60 s ago has left the window',
  )

  const missing = await pipe.app.inject('/api/kismet/ws/devices/4202770D00000000_0000DEADBEEF')
  t.equal(missing.statusCode, 404)
  t.same(schemaErrors(ErrorResponseSchema, missing.json()), [])
  t.match(missing.json().error.message, /No device/)
  const badSensor = await pipe.app.inject(`/api/kismet/ws/devices/${ap.key}?sensor=nowhere`)
  t.equal(badSensor.statusCode, 404)
  t.match(badSensor.json().error.message, /No sensor "nowhere"/)
  t.equal((await pipe.app.inject(`/api/kismet/ws/devices/${ap.key}?sensor=default`)).statusCode, 200)
})

t.test('a removed device has no history left', async (t) => {
  const pipe = await startPipeline(t, { sim: { devices: 0 }, env: { DEVICE_TTL_S: '30' } })
  const ap = pipe.sim.addDevice({ type: 'Wi-Fi AP', ssid: 'Leaving' })
  await pipe.cycle()
  t.equal(pipe.app.history.size, 1)
  pipe.sim.removeDevice(ap.key)
  pipe.advance(31_000)
  await pipe.cycle()
  t.equal(pipe.app.history.size, 0, 'dropped with the device')
  t.equal((await pipe.app.inject(`/api/kismet/ws/devices/${ap.key}`)).statusCode, 404)
})

t.test('several sensors: the same key on two sensors needs ?sensor=', async (t) => {
  const h = await startSensors(t, ['north', 'south'], { devices: 0 })
  const mac = '66:77:88:0D:50:B3'
  const north = h.sims['north']!.addDevice({ mac, type: 'Wi-Fi AP', ssid: 'Shared', signal: -40 })
  const south = h.sims['south']!.addDevice({ mac, type: 'Wi-Fi AP', ssid: 'Shared', signal: -80 })
  h.sims['south']!.addDevice({ mac: '66:77:88:0D:50:B4', type: 'Wi-Fi AP', ssid: 'OnlySouth' })
  t.equal(north.key, south.key, 'one MAC, one key on both Kismet servers')
  await h.cycle()

  const ambiguous = await h.app.inject(`/api/kismet/ws/devices/${north.key}`)
  t.equal(ambiguous.statusCode, 400)
  t.same(schemaErrors(ErrorResponseSchema, ambiguous.json()), [])
  t.match(ambiguous.json().error.message, /held by 2 sensors \(north, south\): name one with \?sensor=/)

  const fromSouth = (await h.app.inject(`/api/kismet/ws/devices/${north.key}?sensor=south`)).json()
  t.equal(fromSouth.data.sensor, 'south')
  t.equal(fromSouth.data.device.signal, -80)
  t.same(fromSouth.data.history.signal.map((s: { dbm: number }) => s.dbm), [-80], "south's own history")
  const fromNorth = (await h.app.inject(`/api/kismet/ws/devices/${north.key}?sensor=north`)).json()
  t.same(fromNorth.data.history.signal.map((s: { dbm: number }) => s.dbm), [-40])

  const onlySouth = h.sims['south']!.devices().find((d) => d.ssid === 'OnlySouth')!
  const unique = await h.app.inject(`/api/kismet/ws/devices/${onlySouth.key}`)
  t.equal(unique.statusCode, 200, 'a key only one sensor holds needs no ?sensor=')
  t.equal(unique.json().data.sensor, 'south')
  t.equal((await h.app.inject(`/api/kismet/ws/devices/${onlySouth.key}?sensor=north`)).statusCode, 404)
})

t.test('the route is in the OpenAPI document and behind the token', async (t) => {
  const pipe = await startPipeline(t, { sim: { devices: 1 }, env: { API_TOKEN: 'a-long-token-1234' } })
  await pipe.cycle()
  const key = pipe.sim.devices()[0]!.key
  t.equal((await pipe.app.inject(`/api/kismet/ws/devices/${key}`)).statusCode, 401)
  const ok = await pipe.app.inject({ url: `/api/kismet/ws/devices/${key}`, headers: { authorization: 'Bearer a-long-token-1234' } })
  t.equal(ok.statusCode, 200)
  const doc = (await pipe.app.inject({ url: '/docs/json', headers: { authorization: 'Bearer a-long-token-1234' } })).json()
  const operation = doc.paths['/api/kismet/ws/devices/{key}']?.get
  t.ok(operation, 'documented')
  t.ok(operation.parameters.some((p: { name: string; in: string }) => p.name === 'sensor' && p.in === 'query'), 'with its ?sensor= parameter')
  t.ok(operation.responses['200'].content['application/json'].schema.properties.data.properties.history, 'and its history')
})
