// What every TAK network output is to the rest of the TAK module: it takes the CoT events
// produced, sends them its way, and reports its state and counters (tak:status).
import type { TakOutputName, TakOutputState, TakStatusData } from '../../events.js'
import type { CotMessage } from '../markers.js'

export interface TakOutput {
  readonly name: TakOutputName
  /** Opens the socket (and, for streams, keeps it open). */
  start(): void
  /** Never throws and never blocks: what cannot go out now is queued (bounded) or dropped and counted. */
  send(message: CotMessage): void
  status(): TakStatusData
  /** Stops for good: timers cleared, the socket closed. */
  close(): Promise<void>
}

/** Told whenever an output's status changes; `stateChanged` when its state did (not only counters). */
export type StatusListener = (output: TakOutputName, stateChanged: boolean) => void

/** The counters and state an output keeps, as tak:status shows them. */
export class OutputStatus {
  state: TakOutputState = 'connecting'
  sent = 0
  dropped = 0
  bytesSent = 0
  bytesReceived = 0
  connects = 0
  connectedAt: number | null = null
  lastError: string | null = null
  lastErrorAt: number | null = null

  constructor(
    readonly output: TakOutputName,
    readonly target: string,
  ) {}

  snapshot(queued: number): TakStatusData {
    return {
      output: this.output,
      target: this.target,
      state: this.state,
      sent: this.sent,
      dropped: this.dropped,
      queued,
      bytesSent: this.bytesSent,
      bytesReceived: this.bytesReceived,
      connects: this.connects,
      connectedAt: this.connectedAt,
      lastError: this.lastError,
      lastErrorAt: this.lastErrorAt,
    }
  }
}

/** An error as one line for status and logs (TLS errors carry their code, e.g. CERT_HAS_EXPIRED). */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const code = (error as NodeJS.ErrnoException).code
  return code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message
}
