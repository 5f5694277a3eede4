// Scenario 8: export. The real app (in its own process) holds `devices` devices; the bench
// downloads GET /api/kismet/ws/devices?format=csv over HTTP (reading the stream to its end)
// and, as the baseline, has the same process JSON.stringify the same table ({ sensor,
// device } rows) into one string. Alternating, `repetitions` times, each after a full GC:
// wall time, and the peak RSS growth of the server process above its level after the GC,
// sampled from /proc/<pid>/status every 2 ms by this process (the stringify blocks the
// server's own event loop, not this one).
import { readFileSync } from 'node:fs'
import { request } from 'node:http'
import { performance } from 'node:perf_hooks'
import { startWorker, type Worker } from './lib/ipc.js'
import type { Row, ScenarioResult } from './lib/report.js'
import { fmt, fmtSpread, summary } from './lib/stats.js'

export interface ExportOptions {
  devices: number
  repetitions: number
}

function rssOf(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return match ? Number(match[1]) * 1024 : 0
}

/** Runs `work` while sampling the process's RSS; the peak above `baseline`. */
async function peakDuring<T>(pid: number, baseline: number, work: () => Promise<T>): Promise<{ value: T; peakMb: number }> {
  let peak = baseline
  const timer = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 2)
  try {
    const value = await work()
    peak = Math.max(peak, rssOf(pid))
    return { value, peakMb: (peak - baseline) / 1e6 }
  } finally {
    clearInterval(timer)
  }
}

function download(url: string): Promise<{ ms: number; bytes: number }> {
  const t0 = performance.now()
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let bytes = 0
      res.on('data', (chunk: Buffer) => (bytes += chunk.length))
      res.on('end', () => resolve({ ms: performance.now() - t0, bytes }))
      res.on('error', reject)
    })
      .on('error', reject)
      .end()
  })
}

export async function runExport(o: ExportOptions, log: (line: string) => void): Promise<ScenarioResult> {
  const host: Worker = startWorker('server-host.ts', { name: 'server-host(export)', nodeArgs: ['--expose-gc'] })
  try {
    const { url } = await host.call<{ url: string }>('startService', { env: { KISMET_ENABLED: 'false' } })
    await host.call('fillDevices', { count: o.devices })
    const pid = host.child.pid!
    const csv: Array<{ ms: number; peakMb: number; bytes: number }> = []
    const json: Array<{ ms: number; peakMb: number; bytes: number }> = []
    const measureCsv = async () => {
      const { rss } = await host.call<{ rss: number }>('collect')
      const { value, peakMb } = await peakDuring(pid, rss, () => download(`${url}/api/kismet/ws/devices?format=csv`))
      csv.push({ ...value, peakMb })
    }
    const measureJson = async () => {
      const { rss } = await host.call<{ rss: number }>('collect')
      const { value, peakMb } = await peakDuring(pid, rss, () => host.call<{ ms: number; bytes: number }>('stringifyTable'))
      json.push({ ...value, peakMb })
    }
    // Warm-up of both, not counted.
    await measureCsv()
    await measureJson()
    csv.length = 0
    json.length = 0
    for (let i = 0; i < o.repetitions; i++) {
      if (i % 2 === 0) {
        await measureCsv()
        await measureJson()
      } else {
        await measureJson()
        await measureCsv()
      }
    }
    const csvMs = summary(csv.map((x) => x.ms))
    const jsonMs = summary(json.map((x) => x.ms))
    const csvPeak = summary(csv.map((x) => x.peakMb))
    const jsonPeak = summary(json.map((x) => x.peakMb))
    log(`  CSV over HTTP: ${fmtSpread(csvMs)} ms, ${fmt(csv[0]!.bytes / 1e6)} MB, peak RSS +${fmtSpread(csvPeak)} MB; JSON.stringify of the table: ${fmtSpread(jsonMs)} ms, ${fmt(json[0]!.bytes / 1e6)} MB, peak RSS +${fmtSpread(jsonPeak)} MB`)
    const scenario = '10 export'
    const rows: Row[] = [
      {
        scenario,
        metric: `CSV download of ${fmt(o.devices)} devices (GET /devices?format=csv, streamed, to the last byte)`,
        value: csvMs.median,
        unit: 'ms',
        spread: fmtSpread(csvMs),
        baselineLabel: 'JSON.stringify of the same table (in the server process)',
        baseline: jsonMs.median,
        baselineSpread: fmtSpread(jsonMs),
        ratio: csvMs.median / jsonMs.median,
        ratioLabel: 'CSV download / JSON.stringify',
        goal: 'info',
        met: null,
      },
      {
        scenario,
        metric: 'peak RSS growth of the server during it',
        value: csvPeak.median,
        unit: 'MB',
        spread: fmtSpread(csvPeak),
        baselineLabel: 'JSON.stringify of the same table',
        baseline: jsonPeak.median,
        baselineSpread: fmtSpread(jsonPeak),
        ratio: csvPeak.median / Math.max(jsonPeak.median, 0.001),
        ratioLabel: 'CSV download / JSON.stringify',
        goal: 'info (< baseline)',
        met: null,
      },
    ]
    return { rows, details: { options: o, csv, json } }
  } finally {
    await host.call('close').catch(() => undefined)
    await host.stop()
  }
}
