// How values read on screen.
import type { WifiDevice } from '../../src/events.js'

export const BANDS = ['2.4 GHz', '5 GHz', '6 GHz', 'other'] as const
export type Band = (typeof BANDS)[number]

/** The Wi-Fi band of a frequency in MHz (null: not known). */
export function bandOf(frequency: number | null): Band | null {
  if (frequency === null || !Number.isFinite(frequency) || frequency <= 0) return null
  if (frequency >= 2400 && frequency < 2500) return '2.4 GHz'
  if (frequency >= 4900 && frequency < 5925) return '5 GHz'
  if (frequency >= 5925 && frequency <= 7125) return '6 GHz'
  return 'other'
}

/** What a device is called on screen: its name, else its SSID, else its MAC. */
export function displayName(device: WifiDevice): string {
  if (device.name && device.name !== device.mac) return device.name
  if (device.ssid) return device.ssid
  return device.name || device.mac
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })

export function count(value: number): string {
  return integer.format(value)
}

export function bytes(value: number): string {
  if (value < 1024) return `${value} B`
  if (value < 1024 ** 2) return `${(value / 1024).toFixed(1)} KB`
  if (value < 1024 ** 3) return `${(value / 1024 ** 2).toFixed(1)} MB`
  return `${(value / 1024 ** 3).toFixed(1)} GB`
}

/** "now", "42 s", "3 min", "2 h": how long ago `thenMs` was at `nowMs`. */
export function ago(thenMs: number, nowMs: number): string {
  const seconds = Math.max(0, Math.round((nowMs - thenMs) / 1000))
  if (seconds < 2) return 'now'
  if (seconds < 90) return `${seconds} s`
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`
  return `${Math.round(seconds / 3600)} h`
}

export function clockTime(epochMs: number): string {
  return new Date(epochMs).toLocaleTimeString('en-GB', { hour12: false })
}

export function dateTime(epochMs: number): string {
  const date = new Date(epochMs)
  return `${date.toLocaleDateString('en-CA')} ${date.toLocaleTimeString('en-GB', { hour12: false })}`
}

export function signal(dbm: number | null): string {
  return dbm === null ? '–' : `${dbm} dBm`
}

export function orDash(value: string | number | null | undefined): string {
  return value === null || value === undefined || value === '' ? '–' : String(value)
}
