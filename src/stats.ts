// Counters behind GET /api/kismet/ws/stats and /metrics. Plain numbers, incremented where
// things happen; nothing here knows about HTTP. SensorStats are one sensor's (its pipeline
// counts them); ServiceStats are the process's.
import { KISMET_ERROR_KINDS, type KismetErrorKind } from './kismet/errors.js'
import { ERROR_CODES, EVENT_TYPES, type ErrorCode, type EventType } from './events.js'
import { REFUSAL_REASONS, type RefusalReason } from './realtime/refusals.js'

function zeroes<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>
}

function sum(values: Record<string, number>): number {
  return Object.values(values).reduce((a, b) => a + b, 0)
}

export class SensorStats {
  /** Poll cycles completed (successfully or not). */
  polls = 0
  /** Failed Kismet requests, by kind. */
  readonly kismetErrors: Record<KismetErrorKind, number> = zeroes(KISMET_ERROR_KINDS)
  /** Device or alert records that could not be mapped and were skipped. */
  malformedRecords = 0
  bytesReceived = 0
  kismetRequests = 0
  /** Duration of the last complete poll cycle. */
  lastPollMs = 0

  get totalKismetErrors(): number {
    return sum(this.kismetErrors)
  }
}

export class ServiceStats {
  readonly eventsByType: Record<EventType, number> = zeroes(Object.keys(EVENT_TYPES) as EventType[])
  /** Device updates and status events absorbed into a later one by the throttle. */
  coalesced = 0
  /** Client messages refused, by error code. */
  readonly clientErrors: Record<ErrorCode, number> = zeroes(ERROR_CODES)
  /** Sockets disconnected for abuse (rate limit) or for not reading. */
  socketsDropped = 0
  /** Socket.IO connections refused by the connection guard, by reason. */
  readonly connectionsRefused: Record<RefusalReason, number> = zeroes(REFUSAL_REASONS)
  /** Judgements of a device by a subscription filter (one per distinct filter per device change). */
  filterEvaluations = 0

  get totalEmitted(): number {
    return sum(this.eventsByType)
  }

  get totalConnectionsRefused(): number {
    return sum(this.connectionsRefused)
  }
}
