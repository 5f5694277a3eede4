// Identifiers the way Kismet prints them: MACs, device keys, UUIDs, alert hashes.
import type { Prng } from './prng.js'

export const ZERO_MAC = '00:00:00:00:00:00'
export const BROADCAST_MAC = 'FF:FF:FF:FF:FF:FF'

/**
 * The phy/server half of every IEEE802.11 device key. Both captured servers (master and
 * 2025-09-R1, different server UUIDs) used this same value, so it is kept as-is.
 */
export const DOT11_KEY_PREFIX = '4202770D00000000'

const MAC_RE = /^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}$/
const KEY_RE = /^([0-9A-Fa-f]{1,16})_([0-9A-Fa-f]{1,16})$/

export function isMac(value: string): boolean {
  return MAC_RE.test(value)
}

export function normalizeMac(value: string): string {
  return value.toUpperCase()
}

/**
 * Kismet's device key for a Wi-Fi MAC: the prefix, then the six MAC bytes read as a
 * little-endian integer printed in upper-case hex without zero padding. So
 * 00:40:96:AD:74:C7 -> 4202770D00000000_C774AD964000 and A0:40:A0:EB:89:02 ->
 * 4202770D00000000_289EBA040A0 (28 characters), as in the fixtures.
 */
export function deviceKeyForMac(mac: string): string {
  const littleEndianHex = mac.toUpperCase().split(':').reverse().join('').replace(/^0+(?=.)/, '')
  return `${DOT11_KEY_PREFIX}_${littleEndianHex}`
}

/**
 * The canonical form of a device key from a URL or a request body, or null when it does
 * not parse. Kismet parses both halves as hex numbers, so case and leading zeros do not
 * matter; the canonical form prints the first half padded to 16 digits and the second
 * half unpadded, as Kismet prints keys.
 */
export function canonicalDeviceKey(value: string): string | null {
  const match = KEY_RE.exec(value)
  if (!match) return null
  const high = BigInt(`0x${match[1] ?? '0'}`).toString(16).toUpperCase().padStart(16, '0')
  const low = BigInt(`0x${match[2] ?? '0'}`).toString(16).toUpperCase()
  return `${high}_${low}`
}

/** A random MAC under a given OUI ("AA:BB:CC"), or a random locally administered unicast MAC. */
export function randomMac(prng: Prng, oui: string | null): string {
  const bytes: string[] = []
  if (oui !== null) {
    bytes.push(...oui.split(':'))
  } else {
    // Phones randomise their MAC: locally administered (bit 1) and unicast (bit 0 clear).
    const first = (prng.int(0, 255) & 0xfc) | 0x02
    bytes.push(first.toString(16).padStart(2, '0').toUpperCase(), prng.hex(2), prng.hex(2))
  }
  while (bytes.length < 6) bytes.push(prng.hex(2))
  return bytes.join(':')
}

/**
 * A server UUID shaped like Kismet's (time-based UUID whose node part spells "KISMET" in
 * ASCII, e.g. 8574AA6C-E8F9-11F1-8C99-4B49534D4554).
 */
export function serverUuid(prng: Prng): string {
  return `${prng.hex(8)}-${prng.hex(4)}-11F1-${prng.hex(4)}-4B49534D4554`
}

/** A datasource UUID shaped like Kismet's (4E1D07C3-0000-0000-0000-0000F7F20D81). */
export function datasourceUuid(prng: Prng): string {
  return `${prng.hex(8)}-0000-0000-0000-0000${prng.hex(8)}`
}

/** Adler-32, the checksum Kismet uses for alert hashes and SSID hashes. */
export function adler32(text: string): number {
  let a = 1
  let b = 0
  for (const byte of Buffer.from(text, 'utf8')) {
    a = (a + byte) % 65521
    b = (b + a) % 65521
  }
  return ((b << 16) | a) >>> 0
}

/**
 * Kismet's own adler32_checksum (util.cc), which GPS and datasource UUIDs derive from: it
 * starts from 0, adds four bytes at a time (read as a little-endian word) without the
 * modulus, and returns 0 for fewer than four bytes. Not the standard Adler-32 above.
 */
export function kismetAdler32(text: string): number {
  const bytes = Buffer.from(text, 'utf8')
  if (bytes.length < 4) return 0
  let s1 = 0
  let s2 = 0
  let i = 0
  for (; i < bytes.length - 4; i += 4) {
    const b0 = bytes[i]!
    const b1 = bytes[i + 1]!
    const b2 = bytes[i + 2]!
    const b3 = bytes[i + 3]!
    s2 = (s2 + 4 * (s1 + b0) + 3 * b1 + 2 * b2 + b3) >>> 0
    s1 = (s1 + b0 + b1 + b2 + b3) >>> 0
  }
  for (; i < bytes.length; i++) {
    s1 = (s1 + bytes[i]!) >>> 0
    s2 = (s2 + s1) >>> 0
  }
  return ((s1 & 0xffff) + (s2 << 16)) >>> 0
}
