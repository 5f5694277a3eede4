// Hand-made WifiDevice values for tests that exercise the domain and the routing rather
// than Kismet (those use the fixtures or the simulator).
import type { WifiDevice } from '../../src/events.js'

export const T0 = 1_795_629_789_000

/** An AP keyed `key` (its MAC ends with the key's last two characters), last seen at T0. */
export function deviceWithKey(key: string, overrides: Partial<WifiDevice> = {}): WifiDevice {
  return {
    key,
    mac: `AA:BB:CC:00:00:${key.slice(-2).padStart(2, '0')}`,
    phy: 'IEEE802.11',
    name: `net-${key}`,
    ssid: `net-${key}`,
    type: 'AP',
    manufacturer: 'Acme',
    channel: 6,
    frequency: 2437,
    signal: -60,
    encryption: 'WPA2-PSK',
    firstSeen: T0 - 60_000,
    lastSeen: T0,
    packets: 100,
    dataBytes: 5000,
    clients: 0,
    location: null,
    ...overrides,
  }
}

/** The `index`-th of many distinct devices, with a Kismet-style key and a unique MAC. */
export function makeDevice(index: number, overrides: Partial<WifiDevice> = {}): WifiDevice {
  const hex = index.toString(16).toUpperCase().padStart(6, '0')
  return deviceWithKey(`4202770D00000000_${hex}`, {
    mac: `02:00:00:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`,
    name: `Net-${index}`,
    ssid: `Net-${index}`,
    ...overrides,
  })
}
