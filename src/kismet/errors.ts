// The only error the Kismet client throws. `kind` tells callers what went wrong without
// inspecting messages: the poller maps it to a connection state and a counter.

export const KISMET_ERROR_KINDS = ['unreachable', 'timeout', 'unauthorized', 'http', 'bad_body'] as const
export type KismetErrorKind = (typeof KISMET_ERROR_KINDS)[number]

export class KismetError extends Error {
  override readonly name = 'KismetError'
  readonly kind: KismetErrorKind
  /** HTTP status, when Kismet answered. */
  readonly status: number | undefined
  /** The request path (never the credential). */
  readonly path: string
  /**
   * What happened, without the subject the message starts with, for a line that names Kismet
   * itself: "ECONNREFUSED on POST /system/status.json" (unreachable), "no answer to POST
   * /system/status.json within 10000 ms" (timeout). Else the message.
   */
  readonly detail: string

  constructor(kind: KismetErrorKind, path: string, message: string, options: { status?: number; cause?: unknown; detail?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.kind = kind
    this.path = path
    this.status = options.status
    this.detail = options.detail ?? message
  }
}

export function isKismetError(error: unknown): error is KismetError {
  return error instanceof KismetError
}
