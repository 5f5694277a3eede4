// The service as a separate process (the way an operator runs it), for lifecycle tests.
import { spawn, type ChildProcessByStdio } from 'node:child_process'
import type { Readable } from 'node:stream'
import type { TestLike } from '../helper.js'
import { diesWithTest } from './watchdog.js'
import { listeningUrl, onLogEntries } from '../../scripts/lib/log-lines.js'

export interface ServiceProcess {
  child: ChildProcessByStdio<null, Readable, Readable>
  url: string
  /** Every log line so far (JSON lines parsed where possible). */
  logs: Array<Record<string, unknown>>
  stderr: () => string
  /** Resolves with the first log message (msg) matching `pattern`, already logged or to come. */
  waitForLog: (pattern: RegExp, timeoutMs?: number) => Promise<string>
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** Starts `server.ts` on an ephemeral port and resolves once it listens. */
export function startServiceProcess(t: TestLike, env: Record<string, string> = {}, timeoutMs = 20_000): Promise<ServiceProcess> {
  // Stopped with the test process (watchdog.ts) even when that dies while this one still starts:
  // exit-with-parent.mjs, loaded later, would then find itself adopted already.
  const child = spawn(...diesWithTest(process.execPath, ['--import', 'tsx', '--import', './scripts/lib/exit-with-parent.mjs', 'server.ts']), {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', KISMET_ENABLED: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const logs: Array<Record<string, unknown>> = []
  const logWaiters = new Set<(message: string) => void>()
  let stderr = ''
  const waitForLog = (pattern: RegExp, timeoutMs = 10_000) =>
    new Promise<string>((resolve, reject) => {
      const seen = logs.map((l) => String(l['msg'] ?? '')).find((m) => pattern.test(m))
      if (seen !== undefined) return resolve(seen)
      const timer = setTimeout(() => {
        logWaiters.delete(check)
        reject(new Error(`no log line matching ${pattern} within ${timeoutMs} ms`))
      }, timeoutMs)
      const check = (message: string) => {
        if (!pattern.test(message)) return
        clearTimeout(timer)
        logWaiters.delete(check)
        resolve(message)
      }
      logWaiters.add(check)
    })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start in ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs)
    onLogEntries(child.stdout, (entry) => {
      logs.push(entry)
      for (const check of logWaiters) check(String(entry['msg'] ?? ''))
      const url = listeningUrl(entry)
      if (url) {
        clearTimeout(timer)
        resolve({ child, url, logs, stderr: () => stderr, waitForLog, exited })
      }
    })
    void exited.then(({ code }) => {
      clearTimeout(timer)
      reject(new Error(`service exited with ${code} before listening; stderr: ${stderr}`))
    })
  })
}

/** A child process run to its end: its exit code and everything it wrote (killed at teardown if still running). */
export async function runToExit(t: TestLike, child: ChildProcessByStdio<null, Readable, Readable>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
  return { code, stdout, stderr }
}
