// Values of a device record that Kismet derives from the device's state. Both the full
// record renderer and the fast `fields` getters use these, so the two can never disagree.
import { ZERO_MAC } from './ids.js'
import type { JsonObject } from './json.js'
import type { DeviceEntry } from './store.js'
import type { SimDevice } from './types.js'

/** `dot11.device.last_bssid`: an AP's own MAC, a client's AP, or Kismet's all-zero MAC for none. */
export function lastBssid(device: SimDevice): string {
  return device.bssid ?? ZERO_MAC
}

/** Kismet drops `kismet.device.base.signal` for a device it never measured (0 = no signal). */
export function hasSignal(device: SimDevice): boolean {
  return device.signal !== 0
}

export function minSignal(entry: DeviceEntry): number {
  return hasSignal(entry.device) ? (entry.minSignal === 0 ? entry.device.signal : Math.min(entry.minSignal, entry.device.signal)) : 0
}

export function maxSignal(entry: DeviceEntry): number {
  return hasSignal(entry.device) ? (entry.maxSignal === 0 ? entry.device.signal : Math.max(entry.maxSignal, entry.device.signal)) : 0
}

/** A device that beacons an SSID gets the AP record layout (advertised SSID records). */
export function beacons(device: SimDevice): boolean {
  return device.ssid !== null
}

/** `kismet.device.base.basic_type_set` and `dot11.device.typeset`, as the fixtures pair them with each type. */
export function typeBits(device: SimDevice): { basicTypeSet: number; typeset: number } {
  switch (device.type) {
    case 'Wi-Fi AP':
    case 'Wi-Fi WDS AP':
      // 257 = beacons + probe responses; a cloaked AP that never answered a probe shows 1.
      return { basicTypeSet: 1, typeset: device.ssid !== null && device.ssid !== '' ? 257 : 1 }
    case 'Wi-Fi Ad-Hoc':
      return beacons(device) ? { basicTypeSet: 9, typeset: 259 } : { basicTypeSet: 10, typeset: 2 }
    case 'Wi-Fi Client':
      return { basicTypeSet: 2, typeset: 0 }
    case 'Wi-Fi Bridged':
      return { basicTypeSet: 4, typeset: 0 }
    default:
      return { basicTypeSet: 0, typeset: 0 }
  }
}

/** `kismet.device.base.basic_crypt_set`: 2 (encrypted) for a protected network, else 0. */
export function basicCryptSet(device: SimDevice): number {
  return device.crypt !== '' && device.crypt !== 'Open' ? 2 : 0
}

/** A location triplet (KISMET-API.md 3.7), or null for a device without GPS. */
export function locationTriplet(entry: DeviceEntry): JsonObject | null {
  const location = entry.device.location
  if (location === null) return null
  return {
    'kismet.common.location.geopoint': [location.lon, location.lat],
    'kismet.common.location.alt': location.alt,
    'kismet.common.location.fix': location.fix,
    'kismet.common.location.time_sec': entry.locationTimeSec,
    'kismet.common.location.time_usec': 0,
  }
}

/** `kismet.device.base.location` of a device with GPS: loc_fix and the four triplets. */
export function locationRecord(entry: DeviceEntry): JsonObject | null {
  const triplet = locationTriplet(entry)
  if (triplet === null || entry.device.location === null) return null
  return {
    'kismet.common.location.loc_fix': entry.device.location.fix,
    'kismet.common.location.min_loc': triplet,
    'kismet.common.location.max_loc': triplet,
    'kismet.common.location.avg_loc': triplet,
    'kismet.common.location.last': triplet,
  }
}
