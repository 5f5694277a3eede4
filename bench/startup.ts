// Scenario 6: start-up. Time from spawning the production entry (`node dist/server.bundle.mjs`,
// built first when dist is missing or older than the sources) to the first 200 from
// GET /health, against spawning `node -e ""` to its exit (the cost of starting Node at
// all), alternating, several repetitions. `node --import tsx server.ts` (what
// `npm run dev`-like runs pay) is shown for information.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { request } from 'node:http'
import { createServer } from 'node:net'
import { performance } from 'node:perf_hooks'
import { ensureBuilt, PRODUCTION_ENTRY } from './lib/build.js'
import { REPO_DIR, track } from './lib/ipc.js'
import type { Row, ScenarioResult } from './lib/report.js'
import { fmtSpread, summary } from './lib/stats.js'
import { loadavg } from 'node:os'

export interface StartupOptions {
  repetitions: number
  /** Also time `node --import tsx server.ts` (information only). */
  devPath: boolean
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port
      server.close(() => resolve(port))
    })
  })
}

function healthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/health', agent: false, timeout: 1000 }, (res) => {
      res.resume()
      resolve(res.statusCode === 200)
    })
    req.once('error', () => resolve(false))
    req.once('timeout', () => {
      req.destroy()
      resolve(false)
    })
    req.end()
  })
}

/** CPU time (user + system, all threads) a live process has used, from /proc (10 ms ticks); NaN where /proc is missing. */
function processCpuMs(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // After "pid (comm) ": state is field 3, utime field 14, stime field 15 (1-based).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
  } catch {
    return Number.NaN
  }
}

interface Start {
  wallMs: number
  cpuMs: number
}

/** Spawns the server, resolves ms until /health answered 200 (and the CPU it used by then); the process is stopped afterwards. */
async function timeToHealth(args: string[], limitMs = 20_000): Promise<Start> {
  const port = await freePort()
  const t0 = performance.now()
  const child = track(
    spawn(process.execPath, args, {
      cwd: REPO_DIR,
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', KISMET_ENABLED: 'false', LOG_LEVEL: 'warn', NODE_ENV: 'production' },
      stdio: 'ignore',
    }),
  )
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  try {
    for (;;) {
      if (await healthy(port)) {
        const wallMs = performance.now() - t0
        return { wallMs, cpuMs: processCpuMs(child.pid) }
      }
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode} before answering /health`)
      if (performance.now() - t0 > limitMs) throw new Error(`/health did not answer within ${limitMs} ms`)
      await new Promise((r) => setTimeout(r, 2))
    }
  } finally {
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 12_000)
    await exited
    clearTimeout(timer)
  }
}

/** `node -e` of a script that only reports its own CPU time (process start included) on exit. */
async function bareNode(): Promise<Start> {
  const t0 = performance.now()
  const child = spawn(process.execPath, ['-e', 'const u=process.cpuUsage();process.stdout.write(String((u.user+u.system)/1000))'], { stdio: ['ignore', 'pipe', 'ignore'] })
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  await new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return { wallMs: performance.now() - t0, cpuMs: Number(out) }
}

export async function runStartup(o: StartupOptions, log: (line: string) => void): Promise<ScenarioResult> {
  const build = ensureBuilt(log)
  const built: Start[] = []
  const bare: Start[] = []
  const tsx: Start[] = []
  // One unmeasured round so the file cache is warm for both.
  await bareNode()
  await timeToHealth([PRODUCTION_ENTRY])
  for (let i = 0; i < o.repetitions; i++) {
    if (i % 2 === 0) {
      built.push(await timeToHealth([PRODUCTION_ENTRY]))
      bare.push(await bareNode())
    } else {
      bare.push(await bareNode())
      built.push(await timeToHealth([PRODUCTION_ENTRY]))
    }
    if (o.devPath && i < Math.ceil(o.repetitions / 2)) tsx.push(await timeToHealth(['--import', 'tsx', 'server.ts']))
  }
  const b = summary(built.map((x) => x.wallMs))
  const n = summary(bare.map((x) => x.wallMs))
  const t = summary(tsx.map((x) => x.wallMs))
  const bc = summary(built.map((x) => x.cpuMs))
  const nc = summary(bare.map((x) => x.cpuMs))
  log(
    `  dist/server.bundle.mjs -> /health: ${fmtSpread(b)} ms (CPU ${fmtSpread(bc)} ms); node -e: ${fmtSpread(n)} ms (CPU ${fmtSpread(nc)} ms); ` +
      `${o.devPath ? `tsx server.ts: ${fmtSpread(t)} ms; ` : ''}load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`,
  )
  const rows: Row[] = [
    {
      scenario: '6 start-up',
      metric: 'spawn `node dist/server.bundle.mjs` -> GET /health 200',
      value: b.median,
      unit: 'ms',
      spread: fmtSpread(b),
      baselineLabel: 'spawn `node -e ""` -> exit',
      baseline: n.median,
      baselineSpread: fmtSpread(n),
      ratio: b.median / n.median,
      ratioLabel: 'server / bare node',
      goal: '< 1000 ms',
      met: b.median < 1000,
    },
    {
      scenario: '6 start-up',
      metric: 'CPU time the server used until /health answered (robust to a busy machine)',
      value: bc.median,
      unit: 'ms',
      spread: fmtSpread(bc),
      baselineLabel: 'CPU time of `node -e` (start of Node)',
      baseline: nc.median,
      baselineSpread: fmtSpread(nc),
      ratio: bc.median / nc.median,
      ratioLabel: 'server / bare node',
      goal: 'info',
      met: null,
    },
  ]
  if (o.devPath) {
    rows.push({
      scenario: '6 start-up',
      metric: 'spawn `node --import tsx server.ts` -> GET /health 200 (dev path)',
      value: t.median,
      unit: 'ms',
      spread: fmtSpread(t),
      baselineLabel: 'spawn `node -e ""` -> exit',
      baseline: n.median,
      baselineSpread: fmtSpread(n),
      ratio: t.median / n.median,
      ratioLabel: 'server / bare node',
      goal: 'info',
      met: null,
    })
  }
  return { rows, details: { build, builtMs: b, builtCpuMs: bc, bareNodeMs: n, bareNodeCpuMs: nc, tsxMs: t, goalOn: 'median of the repetitions', loadavg: loadavg() } }
}
