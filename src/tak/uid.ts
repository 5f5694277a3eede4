// CoT uids: TAK clients replace the previous event of a uid with the next, so a uid must
// name one emitter for good. Ours come from Kismet's PHY and the MAC only, never from a
// name or an SSID (which change and collide): `kismet-wifi-AABBCCDDEEFF`; optionally with the
// sensor's name (`kismet-north-wifi-AABBCCDDEEFF`) so that two sensors show separate markers.
// Sensor names are letters, digits, '-' and '_' (src/sensor-config.ts): safe in a uid.

/** Short, stable tokens for Kismet's PHY names; any other PHY: its name in lower-case letters and digits. */
const PHY_TOKENS: Readonly<Record<string, string>> = {
  'IEEE802.11': 'wifi',
  Bluetooth: 'bt',
  BTLE: 'btle',
}

export function phyToken(phy: string): string {
  return PHY_TOKENS[phy] ?? (phy.toLowerCase().replace(/[^a-z0-9]/g, '') || 'unknown')
}

export function deviceUid(prefix: string, phy: string, mac: string, sensor?: string): string {
  const hex = mac.replace(/[^0-9A-Fa-f]/g, '').toUpperCase()
  return `${prefix}-${sensor === undefined ? '' : `${sensor}-`}${phyToken(phy)}-${hex}`
}

/** The sensor's own marker ('sensor' is no PHY token, and a device uid ends in a MAC). */
export function sensorUid(prefix: string, sensor: string): string {
  return `${prefix}-sensor-${sensor}`
}

/** The uid of the stream keepalive. */
export function pingUid(prefix: string): string {
  return `${prefix}-ping`
}
