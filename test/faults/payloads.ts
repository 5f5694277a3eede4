// Hostile Socket.IO traffic, generated from a seeded PRNG so a run can be replayed: payloads
// for subscribe / unsubscribe / ping that are odd in every way JSON allows, unknown event
// names, binary arguments, oversized messages, and raw frames that break the engine.io /
// socket.io protocol (for RawClient). Used by test/faults/hostile-clients.test.ts and
// scripts/inject-faults.ts.
import { TOPICS } from '../../src/events.js'
import type { Prng } from '../../sim/prng.js'
import { MAX_HTTP_BUFFER_SIZE } from '../../plugins/app/socketio.js'

export const TOPIC_LIKE = ['Devices', 'device', '', ' devices', 'alerts\u0000', '__proto__', 'constructor', 'toString', 'x'.repeat(300), '\u{1F6F0}', '\ud800', 'system ', 'scan,alerts', 'tak\n']

export function randomValue(prng: Prng, depth = 0): unknown {
  switch (prng.int(0, depth > 2 ? 7 : 12)) {
    case 0:
      return prng.pick(TOPICS)
    case 1:
      return prng.pick(TOPIC_LIKE)
    case 2:
      return Array.from({ length: prng.int(0, 6) }, () => prng.pick(TOPICS))
    case 3:
      return prng.int(-1e9, 1e9)
    case 4:
      return prng.next() * 1e13
    case 5:
      return null
    case 6:
      return prng.chance(0.5)
    case 7:
      return String.fromCharCode(...Array.from({ length: prng.int(0, 40) }, () => prng.int(0, 0xffff)))
    case 8:
      return Array.from({ length: prng.int(0, 5) }, () => randomValue(prng, depth + 1))
    case 9:
      return prng.pick([{}, { topics: ['devices'] }, { length: 1, 0: 'devices' }, JSON.parse('{"__proto__":{"polluted":true}}'), { toString: 'devices' }])
    case 10:
      return Array.from({ length: prng.int(17, 40) }, () => prng.pick(TOPICS))
    case 11: {
      let nested: unknown = 'devices'
      for (let i = prng.int(5, 60); i > 0; i--) nested = [nested]
      return nested
    }
    default:
      return [...Array.from({ length: prng.int(1, 4) }, () => prng.pick(TOPICS)), prng.pick(TOPIC_LIKE)]
  }
}

export function randomArgs(prng: Prng): unknown[] {
  const count = prng.pick([1, 1, 1, 1, 1, 1, 0, 2, 3])
  return Array.from({ length: count }, () => randomValue(prng))
}

export function randomBuffer(prng: Prng): Buffer {
  return Buffer.from(Array.from({ length: prng.int(0, 2048) }, () => prng.int(0, 255)))
}

/** Malformed or forbidden socket.io traffic that socket.io-client would never send. */
export function randomJunkFrame(prng: Prng): string | Buffer {
  switch (prng.int(0, 13)) {
    case 0:
      return '42['
    case 1:
      return '42["disconnect"]'
    case 2:
      return '42["newListener","x"]'
    case 3:
      return `42[${prng.int(0, 99)},"devices"]`
    case 4:
      return '4{}'
    case 5:
      return '49["subscribe"]'
    case 6:
      return '40/admin,'
    case 7:
      return '451-["subscribe",{"_placeholder":true,"num":0}]'
    case 8:
      return '499-["subscribe",{"_placeholder":true,"num":0}]'
    case 9:
      return randomBuffer(prng)
    case 10:
      return `42["subscribe",${'['.repeat(2000)}${']'.repeat(2000)}]`
    case 11:
      return '5'
    case 12:
      return `42${prng.int(0, 1e9)}["subscribe","devices"]`
    default:
      return `42["${prng.pick(['ping', 'subscribe', 'unsubscribe', 'x'])}",${JSON.stringify(randomValue(prng))}`.slice(0, prng.int(3, 40))
  }
}

export type Action =
  | { kind: 'subscribe' | 'unsubscribe'; args: unknown[]; ack: boolean }
  | { kind: 'ping'; args: unknown[] }
  | { kind: 'unknown'; name: string | number; args: unknown[] }
  | { kind: 'binary'; event: 'subscribe' | 'unsubscribe' | 'ping'; args: unknown[] }
  | { kind: 'junk'; frame: string | Buffer }
  | { kind: 'oversized'; payload: string }

export function randomAction(prng: Prng): Action {
  const roll = prng.next()
  if (roll < 0.33) return { kind: 'subscribe', args: randomArgs(prng), ack: prng.chance(0.8) }
  if (roll < 0.48) return { kind: 'unsubscribe', args: randomArgs(prng), ack: prng.chance(0.8) }
  if (roll < 0.66) {
    const args = prng.pick([[], [prng.int(0, 2e12)], [prng.next()], randomArgs(prng), ['123'], [null], [1, 2]])
    return { kind: 'ping', args }
  }
  if (roll < 0.78) {
    const name = prng.chance(0.2) ? prng.int(0, 1000) : prng.pick(['Subscribe', 'PING', 'join', 'event', 'error', 'connected', '__proto__', 'constructor', 'hasOwnProperty', '', 'x'.repeat(200), 'subscribe ', '\ud83d'])
    return { kind: 'unknown', name, args: randomArgs(prng) }
  }
  if (roll < 0.9) {
    const event = prng.pick(['subscribe', 'unsubscribe', 'ping'] as const)
    const args = prng.pick([[randomBuffer(prng)], [[randomBuffer(prng), 'devices']], [randomBuffer(prng), randomBuffer(prng)]])
    return { kind: 'binary', event, args }
  }
  if (roll < 0.98) return { kind: 'junk', frame: randomJunkFrame(prng) }
  return { kind: 'oversized', payload: 'x'.repeat(prng.int(MAX_HTTP_BUFFER_SIZE + 1, 4 * MAX_HTTP_BUFFER_SIZE)) }
}

