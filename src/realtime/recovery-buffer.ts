// Socket.IO's connection state recovery keeps every broadcast packet for the recovery window
// (and up to a minute more: its cleanup runs once a minute), whether or not any client is
// away, so its memory follows the event rate: at a thousand events a second that is hundreds
// of megabytes. This caps the packets kept. A client away for longer than the last
// `maxPackets` events cover gets a fresh session (and, when it subscribes again, a new
// snapshot) instead of a replay, which at that volume is the cheaper way back anyway.

/** The part of socket.io-adapter's SessionAwareAdapter (a protected API) used here. */
interface RecoveryAdapter {
  packets?: unknown[]
}

export const DEFAULT_RECOVERY_BUFFER_PACKETS = 10_000

/**
 * Drops the oldest kept packets beyond `maxPackets`; returns how many. Trims in batches
 * (down to the cap once it is exceeded by a tenth) so the cost per event stays constant.
 */
export function trimRecoveryBuffer(adapter: unknown, maxPackets: number): number {
  const packets = (adapter as RecoveryAdapter).packets
  if (!Array.isArray(packets) || packets.length <= maxPackets + Math.ceil(maxPackets / 10)) return 0
  const excess = packets.length - maxPackets
  packets.splice(0, excess)
  return excess
}
