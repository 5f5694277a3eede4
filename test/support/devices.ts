// Hand-made WifiDevice values for tests that exercise routing rather than Kismet.
import type { WifiDevice } from '../../src/events.js'

export function makeDevice(index: number, overrides: Partial<WifiDevice> = {}): WifiDevice {
  const hex = index.toString(16).toUpperCase().padStart(6, '0')
  const mac = `02:00:00:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`
  return {
    key: `4202770D00000000_${hex}`,
    mac,
    name: `Net-${index}`,
    ssid: `Net-${index}`,
    type: 'AP',
    manufacturer: 'Cisco Systems, Inc',
    channel: 6,
    frequency: 2437,
    signal: -60,
    encryption: 'WPA2 WPA2-PSK AES-CCMP',
    firstSeen: 1_795_629_657_000,
    lastSeen: 1_795_629_789_000,
    packets: 10,
    dataBytes: 0,
    clients: 0,
    location: null,
    ...overrides,
  }
}
