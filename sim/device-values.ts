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

/**
 * `kismet.device.base.location` of a device heard with a fix, as the GPS captures show it
 * (fixtures gps/): `loc_fix`, then `min_loc` and `max_loc` (geopoint and alt only), `last`
 * (with speed and heading, no time) and `avg_loc` (with a time). The simulated sensor stands
 * still, so the box, the average and the last position are one point. Null without a fix.
 */
export function locationRecord(entry: DeviceEntry): JsonObject | null {
  const location = entry.device.location
  if (location === null) return null
  const point = { 'kismet.common.location.geopoint': [location.lon, location.lat], 'kismet.common.location.alt': location.alt }
  return {
    'kismet.common.location.loc_fix': location.fix,
    'kismet.common.location.min_loc': { ...point },
    'kismet.common.location.max_loc': { ...point },
    'kismet.common.location.last': {
      ...point,
      'kismet.common.location.fix': location.fix,
      'kismet.common.location.speed': 0,
      'kismet.common.location.heading': 0,
    },
    'kismet.common.location.avg_loc': {
      ...point,
      'kismet.common.location.fix': location.fix,
      'kismet.common.location.time_sec': entry.locationTimeSec,
      'kismet.common.location.time_usec': 0,
    },
  }
}

/**
 * `kismet.common.signal.peak_loc`: where the strongest signal was heard, with the time of
 * that packet; [0, 0], alt 0 and fix 0 when it came without a fix (master keeps that record).
 */
export function peakLocationRecord(entry: DeviceEntry): JsonObject {
  const peak = entry.device.peakLocation
  return {
    'kismet.common.location.geopoint': peak === null ? [0, 0] : [peak.lon, peak.lat],
    'kismet.common.location.alt': peak?.alt ?? 0,
    'kismet.common.location.fix': peak?.fix ?? 0,
    'kismet.common.location.time_sec': entry.peakTimeSec,
    'kismet.common.location.time_usec': 0,
  }
}
