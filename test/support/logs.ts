// The app's log lines, captured for a test: pass `logs.logger` as the Fastify logger option
// (buildApp/startApp take it as `logger`) and read `logs.entries`.
import { Writable } from 'node:stream'

export type LogEntry = Record<string, unknown> & { level: number; msg: string }

export class LogCapture {
  readonly entries: LogEntry[] = []
  readonly #stream = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') this.entries.push(JSON.parse(line) as LogEntry)
      done()
    },
  })

  /** Fastify's `logger` option: JSON lines at `level` and above into this capture. */
  logger(level = 'info'): { level: string; stream: Writable } {
    return { level, stream: this.#stream }
  }

  /** Entries at warn (40) and above whose message matches. */
  warnings(pattern: RegExp): LogEntry[] {
    return this.entries.filter((entry) => entry.level >= 40 && pattern.test(entry.msg))
  }

  /** Every line, as written, for "never in the logs" checks. */
  text(): string {
    return this.entries.map((entry) => JSON.stringify(entry)).join('\n')
  }
}
