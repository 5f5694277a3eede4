// Reading the service's log as it runs (pino JSON lines on stdout): tests, the soak and the
// fault injector all watch for the listening line and count warnings and errors.
import type { Readable } from 'node:stream'

export type LogEntry = Record<string, unknown>

/** Calls `onEntry` for each complete line; a line that is not JSON arrives as `{ msg: line }`. */
export function onLogEntries(stream: Readable, onEntry: (entry: LogEntry) => void): void {
  let buffered = ''
  stream.setEncoding('utf8')
  stream.on('data', (chunk: string) => {
    buffered += chunk
    const lines = buffered.split('\n')
    buffered = lines.pop() ?? ''
    for (const line of lines) {
      let entry: LogEntry
      try {
        entry = JSON.parse(line) as LogEntry
      } catch {
        entry = { msg: line }
      }
      onEntry(entry)
    }
  })
}

/** The URL of Fastify's "Server listening at http://127.0.0.1:PORT" line, if this is it. */
export function listeningUrl(entry: LogEntry): string | undefined {
  return /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(String(entry['msg'] ?? ''))?.[1]
}
