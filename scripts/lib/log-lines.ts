// Reading a child process's output line by line, and the service's log as it runs (pino
// JSON lines on stdout): the demo, tests, the soak and the fault injector all use it.
import type { Readable } from 'node:stream'

export type LogEntry = Record<string, unknown>

/** Calls `onLine` for each complete line, and for a last unterminated one at the end. */
export function onLines(stream: Readable | NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buffered = ''
  stream.setEncoding('utf8')
  stream.on('data', (chunk: string) => {
    buffered += chunk
    const lines = buffered.split('\n')
    buffered = lines.pop() ?? ''
    for (const line of lines) onLine(line)
  })
  stream.on('end', () => {
    if (buffered !== '') onLine(buffered)
    buffered = ''
  })
}

/** Calls `onEntry` for each log line; a line that is not JSON arrives as `{ msg: line }`. */
export function onLogEntries(stream: Readable, onEntry: (entry: LogEntry) => void): void {
  onLines(stream, (line) => {
    let entry: LogEntry
    try {
      entry = JSON.parse(line) as LogEntry
    } catch {
      entry = { msg: line }
    }
    onEntry(entry)
  })
}

/** The URL of Fastify's "Server listening at http://127.0.0.1:PORT" line, if this is it. */
export function listeningUrl(entry: LogEntry): string | undefined {
  return /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(String(entry['msg'] ?? ''))?.[1]
}
