// Which devices become TAK markers. Every rule is a gate a device must pass, in this order:
// a location; not on the deny list; on the allow list when there is one; an access point
// (clients only when asked: probing phones are bystanders); a globally administered MAC
// (randomised, locally administered ones only when asked); a signal at least the minimum.
import type { WifiDevice } from '../events.js'
import { ACCESS_POINT_KINDS } from './cot.js'

/** MACs, OUIs (the first three octets) and SSIDs, as a list names them. */
export interface DeviceMatcher {
  macs: ReadonlySet<string>
  ouis: ReadonlySet<string>
  ssids: ReadonlySet<string>
}

export interface PolicySettings {
  includeClients: boolean
  includeRandomized: boolean
  /** dBm; null: no minimum. */
  minSignalDbm: number | null
  /** null: no allow list (every device may pass). */
  allow: DeviceMatcher | null
  deny: DeviceMatcher
}

export type Rejection = 'no-location' | 'denied' | 'not-allowed' | 'client' | 'randomized' | 'weak-signal'

const MAC = /^[0-9A-F]{2}(?::[0-9A-F]{2}){5}$/
const OUI = /^[0-9A-F]{2}(?::[0-9A-F]{2}){2}$/

/** Bit 1 of the first octet: the address was assigned locally (phones randomise this way), not by the manufacturer. */
export function isLocallyAdministered(mac: string): boolean {
  return (Number.parseInt(mac.slice(0, 2), 16) & 0x02) !== 0
}

/**
 * A list's entries: `AA:BB:CC:DD:EE:FF` (a MAC), `AA:BB:CC` (an OUI; `-` separators and
 * lower case accepted) or `ssid:<SSID>` (exact and case-sensitive, as SSIDs are). Throws a
 * plain Error saying which entry is wrong.
 */
export function parseMatcher(entries: readonly string[]): DeviceMatcher {
  const macs = new Set<string>()
  const ouis = new Set<string>()
  const ssids = new Set<string>()
  for (const raw of entries) {
    if (raw.startsWith('ssid:')) {
      if (raw.length === 'ssid:'.length) throw new Error('"ssid:" needs an SSID after it')
      ssids.add(raw.slice('ssid:'.length))
      continue
    }
    const address = raw.trim().toUpperCase().replaceAll('-', ':')
    if (MAC.test(address)) macs.add(address)
    else if (OUI.test(address)) ouis.add(address)
    else throw new Error(`${JSON.stringify(raw.slice(0, 80))} is neither a MAC (AA:BB:CC:DD:EE:FF), an OUI (AA:BB:CC) nor ssid:<SSID>`)
  }
  return { macs, ouis, ssids }
}

export function matches(matcher: DeviceMatcher, device: WifiDevice): boolean {
  return matcher.macs.has(device.mac) || matcher.ouis.has(device.mac.slice(0, 8)) || (device.ssid !== null && matcher.ssids.has(device.ssid))
}

export class TakPolicy {
  readonly #s: PolicySettings

  constructor(settings: PolicySettings) {
    this.#s = settings
  }

  /** Why the device gets no marker, or null when it gets one. */
  rejection(device: WifiDevice): Rejection | null {
    const s = this.#s
    if (!device.location) return 'no-location'
    if (matches(s.deny, device)) return 'denied'
    if (s.allow !== null && !matches(s.allow, device)) return 'not-allowed'
    if (!s.includeClients && !ACCESS_POINT_KINDS.has(device.type)) return 'client'
    if (!s.includeRandomized && isLocallyAdministered(device.mac)) return 'randomized'
    // Without a reading the signal cannot be said to reach the minimum.
    if (s.minSignalDbm !== null && (device.signal === null || device.signal < s.minSignalDbm)) return 'weak-signal'
    return null
  }
}
