// npm run bench [-- --quick] [-- --only 1,3]
//
// Runs the benchmark scenarios, prints every figure beside the baseline measured in the
// same run and their ratio, and writes bench/results/latest.json (or latest-quick.json).
// Benchmarks are not tests: nothing here is part of `npm test`.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { BENCH_DIR, REPO_DIR } from './lib/ipc.js'
import type { Row, ScenarioResult } from './lib/report.js'
import { fmt } from './lib/stats.js'
import { runUpstream } from './upstream.js'
import { runFanout } from './fanout.js'
import { runMemory } from './memory.js'
import { runNewDevice } from './new-device.js'
import { runSensorLoad } from './sensor-load.js'
import { runStartup } from './startup.js'
import { runSensors } from './sensors.js'
import { runDashboard } from './dashboard.js'
import { SIZES } from './sizes.js'
import { runFilteredFanout } from './filtered-fanout.js'
import { runExport } from './export.js'
import { runScaleOut } from './scale-out.js'

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
  strict: true,
})

if (values.help) {
  process.stdout.write(
    'Usage: npm run bench [-- --quick] [-- --only 1,2,3,4,5,6,7,8,9,10,11,12]\n' +
      '  scenarios: 1 upstream bytes/CPU, 2 service CPU, 3 fan-out, 4 memory, 5 new-device and alert latency, 6 start-up, 7 several sensors, 8 dashboard, 9 filtered fan-out, 10 export, 11 sensor load, 12 scale-out (gateway on Redis vs ROLE=all)\n',
  )
  process.exit(0)
}

const quick = values.quick ?? false
const ALL_SCENARIOS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12']
const only = new Set((values.only ?? ALL_SCENARIOS.join(',')).split(',').map((s) => s.trim()))
const sizes = quick ? SIZES.quick : SIZES.full
const log = (line: string) => process.stdout.write(`${line}\n`)

function machine() {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : ''
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown'
  let nproc = cpus().length
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || nproc
  } catch {
    // keep os.cpus()
  }
  let commit = 'unknown'
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_DIR, encoding: 'utf8' }).trim()
  } catch {
    // not a git checkout
  }
  return { nproc, cpuModel: model, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform} ${process.arch}`, commit, loadavgAtStart: loadavg() }
}

function table(rows: Row[]): string {
  const lines = [
    '| scenario | metric | kismet-ws (median, p25–p75) | baseline | baseline value | ratio | goal | met |',
    '|---|---|---|---|---|---|---|---|',
  ]
  for (const r of rows) {
    const value = `${r.spread ?? fmt(r.value)} ${r.unit}`
    const base = `${r.baselineSpread ?? fmt(r.baseline)} ${r.unit}`
    const met = r.met === null ? '–' : r.met ? 'yes' : '**no**'
    lines.push(`| ${r.scenario} | ${r.metric} | ${value} | ${r.baselineLabel} | ${base} | ${fmt(r.ratio)} (${r.ratioLabel}) | ${r.goal} | ${met} |`)
  }
  return lines.join('\n')
}

const started = Date.now()
const meta = { date: new Date().toISOString(), quick, command: `npm run bench${quick ? ' -- --quick' : ''}`, sizes, ...machine() }
log(
  `kismet-ws benchmarks (${quick ? 'quick' : 'full'}) on ${meta.nproc} x ${meta.cpuModel}, Node ${meta.node}, commit ${meta.commit}, ` +
    `load average ${meta.loadavgAtStart.map((x) => x.toFixed(1)).join(' ')}`,
)

const results: Record<string, ScenarioResult | { error: string }> = {}
const rows: Row[] = []
const record = (name: string, result: ScenarioResult) => {
  results[name] = result
  rows.push(...result.rows)
}
async function scenario(name: string, run: () => Promise<void>): Promise<void> {
  const t0 = Date.now()
  log(`\n== ${name}`)
  try {
    await run()
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error)
    log(`  FAILED: ${message}`)
    results[name] = { error: message }
  }
  log(`  (${((Date.now() - t0) / 1000).toFixed(1)} s)`)
}

if (only.has('1') || only.has('2')) {
  await scenario('1+2 upstream and service CPU', async () => {
    const { s1, s2 } = await runUpstream(sizes.upstream, log)
    if (only.has('1')) record('1 upstream', s1)
    if (only.has('2')) record('2 service CPU', s2)
  })
}
if (only.has('3')) await scenario('3 fan-out', async () => record('3 fan-out', await runFanout(sizes.fanout, log)))
if (only.has('4')) await scenario('4 memory', async () => record('4 memory', await runMemory(sizes.memory, log)))
if (only.has('5')) await scenario('5 new-device latency', async () => record('5 new-device latency', await runNewDevice(sizes.newDevice, log)))
if (only.has('6')) await scenario('6 start-up', async () => record('6 start-up', await runStartup(sizes.startup, log)))
if (only.has('7')) await scenario('7 several sensors', async () => record('7 several sensors', await runSensors(sizes.sensors, log)))
if (only.has('8')) await scenario('8 dashboard', async () => record('8 dashboard', await runDashboard(sizes.dashboard, log)))
if (only.has('9')) await scenario('9 filtered fan-out', async () => record('9 filtered fan-out', await runFilteredFanout(sizes.filteredFanout, log)))
if (only.has('10')) await scenario('10 export', async () => record('10 export', await runExport(sizes.export, log)))
if (only.has('11')) await scenario('11 sensor load', async () => record('11 sensor load', await runSensorLoad(sizes.sensorLoad, log)))
if (only.has('12')) await scenario('12 scale-out', async () => record('12 scale-out', await runScaleOut(sizes.scaleOut, log)))

const elapsedS = (Date.now() - started) / 1000
const markdown = table(rows)
log(`\n${markdown}\n`)
const missed = rows.filter((r) => r.met === false)
log(`${rows.filter((r) => r.met === true).length} goals met, ${missed.length} missed${missed.length ? `: ${missed.map((r) => `${r.scenario} / ${r.metric}`).join('; ')}` : ''}`)
log(`total ${elapsedS.toFixed(0)} s; load average now ${loadavg().map((x) => x.toFixed(1)).join(' ')}`)

const outDir = resolve(BENCH_DIR, 'results')
mkdirSync(outDir, { recursive: true })
const file = resolve(outDir, quick ? 'latest-quick.json' : 'latest.json')
const partial = ALL_SCENARIOS.some((scenario) => !only.has(scenario)) ? '.partial' : ''
const target = partial ? file.replace(/\.json$/, `${partial}.json`) : file
writeFileSync(`${target}.tmp`, `${JSON.stringify({ meta: { ...meta, only: [...only], elapsedS, loadavgAtEnd: loadavg() }, rows, markdown, results }, null, 2)}\n`)
renameSync(`${target}.tmp`, target)
log(`results: ${target}`)
process.exit(0)
