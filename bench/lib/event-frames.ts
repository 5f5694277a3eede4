// Reading the device:update envelopes of a Socket.IO event message straight off its bytes,
// for the protocol-level load generator (fanout-client.ts): the timestamp of each one, at a
// fraction of a JSON.parse. A frame is `42["event",{..}]` or `42["events",[{..},..]]` (with
// the connection-state-recovery offset after them on kismet-ws).
import type { AnyEnvelope } from '../../src/events.js'

// The tail of `"timestamp":`: Buffer#indexOf looks for a needle's first byte with memchr,
// and a needle starting with '"' stops at every key of the JSON (2.7x slower per frame).
const TIMESTAMP_KEY = Buffer.from('mestamp":')
/** What follows the type of a device:update envelope (`{"type":"device:update","data":{..}`). */
const DEVICE_UPDATE = Buffer.from('device:update","data":')
/** `event` and `events` messages; the service's `connected` greeting and acks are not among them. */
const EVENT_PREFIX = Buffer.from('42["event')

export function isEventFrame(frame: Buffer): boolean {
  return frame.length >= EVENT_PREFIX.length && frame.compare(EVENT_PREFIX, 0, EVENT_PREFIX.length, 0, EVENT_PREFIX.length) === 0
}

/** Every `timestamp` value in the frame: in a device event, an envelope's own is the only key of that name. */
function scanTimestamps(frame: Buffer, found: number[]): void {
  let at = frame.indexOf(TIMESTAMP_KEY)
  while (at !== -1) {
    let i = at + TIMESTAMP_KEY.length
    let value = 0
    for (let c = frame[i]!; c >= 48 && c <= 57; c = frame[++i]!) value = value * 10 + (c - 48)
    found.push(value)
    at = frame.indexOf(TIMESTAMP_KEY, i)
  }
}

function occurrences(frame: Buffer, needle: Buffer): number {
  let n = 0
  for (let at = frame.indexOf(needle); at !== -1; at = frame.indexOf(needle, at + needle.length)) n++
  return n
}

/** The full parse of an event frame: its envelopes. */
export function parsedEnvelopes(frame: Buffer): AnyEnvelope[] {
  const [name, payload] = JSON.parse(frame.toString('utf8', 2)) as [string, AnyEnvelope | AnyEnvelope[]]
  return name === 'events' ? (payload as AnyEnvelope[]) : [payload as AnyEnvelope]
}

/**
 * Puts the timestamps of the frame's device:update envelopes in `found`: read off the bytes
 * when every envelope in it is one (the stream); a frame with another type in it (the
 * snapshot at subscribe) is parsed in full. With `check`, a frame read off the bytes is
 * parsed as well and the two compared: false when they disagree.
 */
export function deviceUpdateTimestamps(frame: Buffer, found: number[], check = false): boolean {
  found.length = 0
  scanTimestamps(frame, found)
  if (occurrences(frame, DEVICE_UPDATE) !== found.length) {
    found.length = 0
    for (const envelope of parsedEnvelopes(frame)) if (envelope.type === 'device:update') found.push(envelope.timestamp)
    return true
  }
  if (!check) return true
  const parsed = parsedEnvelopes(frame)
  return parsed.length === found.length && parsed.every((e, i) => e.type === 'device:update' && e.timestamp === found[i])
}
