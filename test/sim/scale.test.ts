// The benchmark shape: tens of thousands of devices, a poll every 2 s for the ~1 % that
// changed. The incremental poll must cost in proportion to the changed devices, not to the
// table (the bound below is generous; a full scan and render of 50 000 records takes far longer).
import t from 'tap'
import { DEVICE_FIELDS } from '../../src/kismet/wire.js'
import { KismetSimulator } from '../../sim/simulator.js'
import { rawRequest } from '../support/fixtures.js'

const KEY = 'B3E5F7A9C1D3E5F7A9B1C3D5E7F9A1B3'

t.test('50 000 devices, 1 % heard per poll', async (t) => {
  let now = 1_795_629_789_000
  const sim = new KismetSimulator({ apiKey: KEY, devices: 50_000, clock: () => now })
  const url = await sim.listen()
  t.teardown(() => sim.close())
  const keys = sim.devices().map((device) => device.key)
  const poll = async (since: number): Promise<{ rows: Array<Record<string, unknown>>; ms: number; bytes: number }> => {
    const started = performance.now()
    const res = await rawRequest(`${url}/devices/last-time/${since}/devices.json`, {
      method: 'POST',
      headers: { Cookie: `KISMET=${KEY}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ fields: DEVICE_FIELDS }),
    })
    return { rows: JSON.parse(res.text) as Array<Record<string, unknown>>, ms: performance.now() - started, bytes: res.body.length }
  }
  await poll(Math.floor(now / 1000)) // warm up
  const times: number[] = []
  for (let round = 1; round <= 5; round++) {
    now += 2000
    const heard = new Set<string>()
    for (let i = 0; i < 500; i++) {
      const key = keys[(i * 97 + round * 13) % keys.length] as string
      sim.touchDevice(key)
      heard.add(key)
    }
    const { rows, ms, bytes } = await poll(Math.floor(now / 1000) - 1)
    t.same(new Set(rows.map((row) => row['kismet.device.base.key'])), heard, `round ${round}: exactly the heard devices`)
    t.ok(bytes < 500 * 1000, `round ${round}: ${bytes} bytes, about ${Math.round(bytes / rows.length)} per device`)
    times.push(ms)
  }
  const median = [...times].sort((a, b) => a - b)[2] ?? Infinity
  t.ok(median < 150, `median poll ${median.toFixed(1)} ms for 500 of 50 000 devices`)

  const page = await rawRequest(`${url}/devices/views/all/devices.json?page=99&length=500`, {
    method: 'POST',
    headers: { Cookie: `KISMET=${KEY}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ fields: DEVICE_FIELDS }),
  })
  const wrapped = JSON.parse(page.text) as { data: unknown[]; last_page: number; total_row: number }
  t.same([wrapped.data.length, wrapped.last_page, wrapped.total_row], [500, 100, 50_000], 'the last of 100 pages of 500')
})
