// npm run sim -- --port 2501 --devices 50 --api-key KEY [--user U --password P]
//               [--flavor release-2025-09-R1|master] [--tick-ms 1000] [--host 127.0.0.1] [--prefix /kismet]
//               [--name north] [--seed 1] [--gps 38.8895,-77.0353]
// Runs a simulated Kismet until SIGINT/SIGTERM: prints its URL and API key, keeps devices alive.
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { FLAVORS } from './flavor.js'
import { KismetSimulator, type SimFlavor } from './simulator.js'

function fail(message: string): never {
  process.stderr.write(`kismet-sim: ${message}\n`)
  process.exit(2)
}

function integer(value: string | undefined, name: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback
  if (!/^\d+$/.test(value) || Number(value) < min) fail(`--${name} expects an integer >= ${min}, got "${value}"`)
  return Number(value)
}

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    devices: { type: 'string' },
    'api-key': { type: 'string' },
    user: { type: 'string' },
    password: { type: 'string' },
    flavor: { type: 'string' },
    'tick-ms': { type: 'string' },
    prefix: { type: 'string' },
    seed: { type: 'string' },
    name: { type: 'string' },
    gps: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
  strict: true,
})

if (values.help) {
  process.stdout.write(
    'Usage: npm run sim -- [--port 2501] [--host 127.0.0.1] [--devices 50] [--api-key KEY]\n' +
      '                      [--user U --password P] [--flavor release-2025-09-R1|master]\n' +
      '                      [--tick-ms 1000] [--prefix /kismet] [--seed 1] [--name Kismet]\n' +
      '                      [--gps LAT,LON]   (a GPS at that point: devices get locations)\n',
  )
  process.exit(0)
}

const flavor = (values.flavor ?? 'release-2025-09-R1') as SimFlavor
if (!FLAVORS.includes(flavor)) fail(`--flavor expects one of ${FLAVORS.join(', ')}, got "${values.flavor}"`)
if ((values.user === undefined) !== (values.password === undefined)) fail('--user and --password go together')

let gps: { lat: number; lon: number } | undefined
if (values.gps !== undefined) {
  const [lat, lon] = values.gps.split(',').map(Number)
  if (!Number.isFinite(lat) || !Number.isFinite(lon) || Math.abs(lat!) > 90 || Math.abs(lon!) > 180) fail(`--gps expects LAT,LON in degrees, got "${values.gps}"`)
  gps = { lat: lat!, lon: lon! }
}

const apiKey = values['api-key'] ?? randomBytes(16).toString('hex').toUpperCase()
const tickMs = integer(values['tick-ms'], 'tick-ms', 1000, 1)
const sim = new KismetSimulator({
  apiKey,
  user: values.user,
  password: values.password,
  devices: integer(values.devices, 'devices', 50),
  seed: integer(values.seed, 'seed', 1),
  flavor,
  prefix: values.prefix,
  ...(values.name !== undefined && { serverName: values.name }),
  ...(gps !== undefined && { location: gps }),
})

const url = await sim.listen(integer(values.port, 'port', 2501), values.host ?? '127.0.0.1').catch((error: unknown) => fail(`cannot listen: ${(error as Error).message}`))
process.stdout.write(`Kismet simulator (${flavor}) listening on ${url}\n`)
process.stdout.write(`API key: ${apiKey}\n`)
if (values.user !== undefined) process.stdout.write(`Admin login: ${values.user}\n`)
process.stdout.write(`${sim.devices().length} devices; one tick every ${tickMs} ms. Ctrl-C to stop.\n`)

const ticker = setInterval(() => sim.tick(), tickMs)

let stopping = false
async function stop(signal: string): Promise<void> {
  if (stopping) return
  stopping = true
  clearInterval(ticker)
  process.stdout.write(`${signal}: stopping\n`)
  await sim.close()
  process.exit(0)
}
process.once('SIGINT', () => void stop('SIGINT'))
process.once('SIGTERM', () => void stop('SIGTERM'))
