/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Scenario 7: the dashboard in Chromium with 5,000 devices and 1,000 events/s.
//
// The service (bench/dashboard-host.ts, its own process) loads 5,000 devices from a simulator
// process, then publishes a stream of device events about them at an exact rate (90 %
// signal:update, 10 % device:update). Debian's Chromium (playwright-core, the browser tests'
// launcher) opens one page at a time:
// - the dashboard at `/`, as built by scripts/build-dashboard.mjs;
// - the baseline: a page with the same Socket.IO subscription (batched) that only counts
//   envelopes (bench/browser/baseline-page.ts), so the ratio is what the dashboard's views
//   cost beyond receiving the stream;
// - the dashboard again with no stream: what it costs idle.
// Per segment: time the page's main thread spent in script, in all tasks and in layout and
// style (CDP Performance.getMetrics, differences over the segment, per second of wall time),
// frames per second and the longest gap between two frames (requestAnimationFrame counted in
// the page). Loaded segments alternate dashboard / baseline.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { build } from 'esbuild'
import type { CDPSession, Page } from 'playwright-core'
import { buildDashboard } from '../scripts/build-dashboard.mjs'
import { launchChromium, type LaunchedBrowser } from '../scripts/lib/browser.js'
import { API_KEY } from './upstream.js'
import { BENCH_DIR, REPO_DIR, startWorker } from './lib/ipc.js'
import type { Row, ScenarioResult } from './lib/report.js'
import { fmt, median, summary } from './lib/stats.js'

export interface DashboardOptions {
  devices: number
  /** Envelopes per second. */
  rate: number
  /** Share of device:update among them (the rest signal:update). */
  updateShare: number
  segmentMs: number
  /** Loaded segments per page (dashboard and baseline alternate). */
  repetitions: number
}

interface Segment {
  page: 'dashboard' | 'baseline' | 'dashboard idle'
  wallMs: number
  published: number
  scriptMsPerS: number
  taskMsPerS: number
  layoutMsPerS: number
  fps: number
  longestFrameMs: number
  /** Envelopes the baseline page counted during the segment (the dashboard does not count). */
  received?: number
}

const BASELINE_PATH = '/bench/baseline.html'
const COUNT_FORMAT = new Intl.NumberFormat('en-US')

async function metricsOf(cdp: CDPSession): Promise<Record<string, number>> {
  const { metrics } = await cdp.send('Performance.getMetrics')
  return Object.fromEntries(metrics.map((m) => [m.name, m.value]))
}

/**
 * Starts counting animation frames in the page. A string, not a function: tsx names inner
 * functions with a helper that does not exist in the page.
 */
function startFrames(page: Page): Promise<void> {
  return page.evaluate(`(() => {
    const frames = { count: 0, longest: 0, running: true }
    window.__frames = frames
    let last = performance.now()
    requestAnimationFrame(function tick(now) {
      if (!frames.running) return
      frames.count += 1
      frames.longest = Math.max(frames.longest, now - last)
      last = now
      requestAnimationFrame(tick)
    })
  })()`)
}

function stopFrames(page: Page): Promise<{ count: number; longest: number }> {
  return page.evaluate(() => {
    const frames = (window as unknown as { __frames: { count: number; longest: number; running: boolean } }).__frames
    frames.running = false
    return { count: frames.count, longest: frames.longest }
  })
}

const baselineCount = (page: Page) => page.evaluate(() => (window as unknown as { __baseline: { envelopes: number } }).__baseline.envelopes)

async function baselineBundle(): Promise<string> {
  const result = await build({
    entryPoints: [resolve(BENCH_DIR, 'browser', 'baseline-page.ts')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    minify: true,
    write: false,
    absWorkingDir: REPO_DIR,
    logLevel: 'warning',
  })
  return result.outputFiles[0]!.text
}

export async function runDashboard(o: DashboardOptions, log: (line: string) => void): Promise<ScenarioResult> {
  const dir = mkdtempSync(join(tmpdir(), 'kismet-ws-bench-dashboard-'))
  const sim = startWorker('sim-worker.ts', { name: 'sim-worker(dashboard)' })
  const host = startWorker('dashboard-host.ts', { name: 'dashboard-host' })
  let chromium: LaunchedBrowser | undefined
  try {
    const { bytes } = await buildDashboard({ outdir: dir })
    const script = await baselineBundle()
    const { url: simUrl } = await sim.call<{ url: string }>('start', { devices: o.devices, seed: 5, apiKey: API_KEY, manualClock: false }, 180_000)
    const { url, devices } = await host.call<{ url: string; devices: number }>('start', { simUrl, apiKey: API_KEY, devices: o.devices, dashboardDir: dir }, 180_000)
    log(`  service at ${url} with ${devices} devices; dashboard app.js ${fmt(bytes / 1024)} KB`)
    chromium = await launchChromium()
    const browser = chromium

    const segment = async (kind: Segment['page'], drive: boolean): Promise<Segment> => {
      const context = await browser.newContext({ width: 1440, height: 900 })
      try {
        const page = await context.newPage()
        if (kind === 'baseline') {
          await page.route(`${url}${BASELINE_PATH}`, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><script type="module" src="/bench/baseline.js"></script>' }))
          await page.route(`${url}/bench/baseline.js`, (route) => route.fulfill({ contentType: 'text/javascript', body: script }))
          await page.goto(`${url}${BASELINE_PATH}`)
          await page.waitForFunction((n) => (window as unknown as { __baseline?: { snapshotDevices: number } }).__baseline?.snapshotDevices === n, devices, { timeout: 60_000 })
        } else {
          await page.goto(url)
          await page.locator('.counts .shown', { hasText: new RegExp(`^${COUNT_FORMAT.format(devices)} devices$`) }).waitFor({ timeout: 60_000 })
        }
        const cdp = await context.newCDPSession(page)
        await cdp.send('Performance.enable')
        const receivedBefore = kind === 'baseline' ? await baselineCount(page) : 0
        await startFrames(page)
        const before = await metricsOf(cdp)
        const t0 = performance.now()
        const driven = drive
          ? await host.call<{ published: number; wallMs: number }>('drive', { rate: o.rate, durationMs: o.segmentMs, updateShare: o.updateShare }, o.segmentMs + 60_000)
          : await new Promise<{ published: number }>((done) => setTimeout(() => done({ published: 0 }), o.segmentMs))
        const wallMs = performance.now() - t0
        const after = await metricsOf(cdp)
        const frames = await stopFrames(page)
        const perS = (name: string) => (((after[name] ?? 0) - (before[name] ?? 0)) * 1000) / (wallMs / 1000)
        const result: Segment = {
          page: kind,
          wallMs,
          published: driven.published,
          scriptMsPerS: perS('ScriptDuration'),
          taskMsPerS: perS('TaskDuration'),
          layoutMsPerS: perS('LayoutDuration') + perS('RecalcStyleDuration'),
          fps: frames.count / (wallMs / 1000),
          longestFrameMs: frames.longest,
          ...(kind === 'baseline' && { received: (await baselineCount(page)) - receivedBefore }),
        }
        log(
          `  ${kind.padEnd(14)} ${fmt(result.published / (wallMs / 1000))} ev/s: script ${fmt(result.scriptMsPerS)} ms/s, tasks ${fmt(result.taskMsPerS)} ms/s, ` +
            `layout+style ${fmt(result.layoutMsPerS)} ms/s, ${fmt(result.fps)} fps, longest frame ${fmt(result.longestFrameMs)} ms` +
            (result.received === undefined ? '' : `, ${result.received} envelopes received`),
        )
        return result
      } finally {
        await context.close()
      }
    }

    const segments: Segment[] = []
    for (let i = 0; i < o.repetitions; i++) {
      const order: Array<'dashboard' | 'baseline'> = i % 2 === 0 ? ['dashboard', 'baseline'] : ['baseline', 'dashboard']
      for (const kind of order) segments.push(await segment(kind, true))
    }
    segments.push(await segment('dashboard idle', false))

    const of = (kind: Segment['page']) => segments.filter((s) => s.page === kind)
    const dashboard = of('dashboard')
    const baseline = of('baseline')
    const idle = of('dashboard idle')
    const med = (list: Segment[], pick: (s: Segment) => number) => median(list.map(pick))
    const spread = (list: Segment[], pick: (s: Segment) => number) => {
      const s = summary(list.map(pick))
      return list.length > 2 ? `${fmt(s.median)} (${fmt(s.p25)}–${fmt(s.p75)})` : undefined
    }
    const load = `${COUNT_FORMAT.format(devices)} devices, ${COUNT_FORMAT.format(o.rate)} events/s`
    const rows: Row[] = []
    const row = (metric: string, pick: (s: Segment) => number, unit: string, base: Segment[], baseLabel: string, goal: string, met: boolean | null) => {
      const value = med(dashboard, pick)
      const baselineValue = med(base, pick)
      const spreadText = spread(dashboard, pick)
      const baselineSpread = spread(base, pick)
      rows.push({
        scenario: '8 dashboard',
        metric,
        value,
        unit,
        ...(spreadText !== undefined && { spread: spreadText }),
        baselineLabel: baseLabel,
        baseline: baselineValue,
        ...(baselineSpread !== undefined && { baselineSpread }),
        ratio: value / baselineValue,
        ratioLabel: 'dashboard / baseline',
        goal,
        met,
      })
    }
    const scriptMs = med(dashboard, (s) => s.scriptMsPerS)
    const taskMs = med(dashboard, (s) => s.taskMsPerS)
    const fps = med(dashboard, (s) => s.fps)
    const longest = Math.max(...dashboard.map((s) => s.longestFrameMs))
    row(`time in script per second (${load}; Chromium, CDP ScriptDuration)`, (s) => s.scriptMsPerS, 'ms', baseline, 'a page that only receives the same stream', '<= 250 ms/s', scriptMs <= 250)
    row('main-thread busy per second (all tasks: script, style, layout, paint)', (s) => s.taskMsPerS, 'ms', baseline, 'a page that only receives the same stream', '<= 400 ms/s', taskMs <= 400)
    row('layout + style recalculation per second', (s) => s.layoutMsPerS, 'ms', idle, 'the dashboard with no stream', 'info', null)
    row('frame rate under the stream (requestAnimationFrame)', (s) => s.fps, 'fps', idle, 'the dashboard with no stream', '>= 50 fps', fps >= 50)
    rows.push({
      scenario: '8 dashboard',
      metric: 'longest gap between two frames under the stream (worst segment)',
      value: longest,
      unit: 'ms',
      baselineLabel: 'the dashboard with no stream',
      baseline: Math.max(...idle.map((s) => s.longestFrameMs)),
      ratio: longest / Math.max(...idle.map((s) => s.longestFrameMs)),
      ratioLabel: 'under the stream / idle',
      goal: '<= 100 ms',
      met: longest <= 100,
    })
    const idleScript = med(idle, (s) => s.scriptMsPerS)
    rows.push({
      scenario: '8 dashboard',
      metric: `time in script per second with no stream (${COUNT_FORMAT.format(devices)} devices loaded)`,
      value: idleScript,
      unit: 'ms',
      baselineLabel: 'the same under the stream',
      baseline: scriptMs,
      ratio: idleScript / scriptMs,
      ratioLabel: 'idle / under the stream',
      goal: 'info',
      met: null,
    })
    return { rows, details: { options: o, dashboardBytes: bytes, segments } }
  } finally {
    await chromium?.close()
    await host.stop()
    await sim.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}
