// Alerts the way Kismet raises them: header, class, severity and text patterns of the real
// alerts in the fixtures (alerts scenario), timestamps with microseconds, adler32 hashes.
import { adler32, BROADCAST_MAC, ZERO_MAC } from './ids.js'
import type { Prng } from './prng.js'
import type { SimAlert, SimDevice, SimFlavor } from './types.js'

/** Kismet's alertbacklog default: /alerts/all_alerts.json holds the last 50. */
export const ALERT_BACKLOG = 50

/** A device an alert can be about: an AP (transmitter) and, for some kinds, one of its clients. */
interface AlertSubjects {
  ap: SimDevice | null
  client: SimDevice | null
}

interface AlertKind {
  header: string
  class: string
  severity: number
  /** Channel string as the fixtures show it for this kind ("0" for most, the AP's for some). */
  channel: (subjects: AlertSubjects) => string
  macs: (subjects: AlertSubjects, prng: Prng) => { transmitter: string; source: string; dest: string }
  text: (subjects: AlertSubjects, prng: Prng) => string
  /** Only the 2025-09-R1 release raises it (release README, difference 3). */
  releaseOnly?: boolean
}

function apMac(subjects: AlertSubjects): string {
  return subjects.ap?.mac ?? ZERO_MAC
}

function apSsid(subjects: AlertSubjects): string {
  return subjects.ap?.ssid || 'Network'
}

const fromAp = (dest: (s: AlertSubjects) => string) => (s: AlertSubjects) => ({ transmitter: apMac(s), source: apMac(s), dest: dest(s) })

export const ALERT_KINDS: readonly AlertKind[] = [
  {
    header: 'DEAUTHFLOOD', class: 'DENIAL', severity: 10, channel: () => '0',
    macs: fromAp((s) => s.client?.mac ?? BROADCAST_MAC),
    text: (s) => `Deauth/Disassociate flood on ${apMac(s)}`,
  },
  {
    header: 'BCASTDISCON', class: 'DENIAL', severity: 10, channel: () => '0',
    macs: fromAp(() => BROADCAST_MAC),
    text: (s) => `IEEE80211 Access Point BSSID ${apMac(s)} broadcast deauthentication or disassociation of all clients; Either the AP is shutting down or this is indicative of a possible denial of service attack.`,
  },
  {
    header: 'DISCONCODEINVALID', class: 'EXPLOIT', severity: 15, channel: () => '0',
    macs: fromAp((s) => s.client?.mac ?? BROADCAST_MAC),
    text: (s, prng) => `Unknown disassociation code ${prng.int(60, 99)} from network ${apMac(s)}`,
  },
  {
    header: 'CRYPTODROP', class: 'SPOOF', severity: 15, channel: (s) => s.ap?.channel ?? '0',
    macs: fromAp(() => BROADCAST_MAC),
    text: (s) => `IEEE80211 Access Point BSSID ${apMac(s)} SSID "${apSsid(s)}" changed advertised encryption from WPA2 WPA2-PSK AES-CCMP to Open which may indicate AP spoofing/impersonation`,
  },
  {
    header: 'ADVCRYPTCHANGE', class: 'SPOOF', severity: 15, channel: (s) => s.ap?.channel ?? '0',
    macs: fromAp(() => BROADCAST_MAC),
    text: (s) => `IEEE80211 Access Point BSSID ${apMac(s)} SSID "${apSsid(s)}" changed advertised encryption from WPA2 WPA2-PSK AES-CCMP to WPA3 WPA3-SAE AES-CCMP which may indicate AP spoofing/impersonation`,
  },
  {
    header: 'BEACONRATE', class: 'SPOOF', severity: 15, channel: (s) => s.ap?.channel ?? '0',
    macs: fromAp(() => BROADCAST_MAC),
    text: (s) => `IEEE80211 Access Point BSSID ${apMac(s)} SSID "${apSsid(s)}" changed beacon rate from 10 to 5 which may indicate AP spoofing/impersonation`,
  },
  {
    header: 'DOT11D', class: 'SPOOF', severity: 15, channel: (s) => s.ap?.channel ?? '0',
    macs: fromAp(() => BROADCAST_MAC),
    text: (s) => `IEEE80211 Access Point BSSID ${apMac(s)} SSID "${apSsid(s)}" advertised conflicting 802.11d information which may indicate AP spoofing/impersonation`,
  },
  {
    header: 'APSPOOF', class: 'SPOOF', severity: 15, channel: (s) => s.ap?.channel ?? '0',
    macs: fromAp(() => BROADCAST_MAC),
    text: (s) => `IEEE80211 Unauthorized device (${apMac(s)}) advertising for SSID '${apSsid(s)}', matching APSPOOF rule Foo1 which may indicate spoofing or impersonation.`,
  },
  {
    header: 'NOCLIENTMFP', class: 'SPOOF', severity: 5, channel: () => '0', releaseOnly: true,
    macs: (s) => ({ transmitter: apMac(s), source: s.client?.mac ?? ZERO_MAC, dest: apMac(s) }),
    text: (s) => `IEEE80211 network BSSID ${apMac(s)} client ${s.client?.mac ?? ZERO_MAC} does not support management frame protection (MFP) which may ease client disassocation or deauthentication`,
  },
]

/** The system alert of a server started with logging disabled (-n), raised at startup. */
export const LOGDISABLED: Omit<SimAlert, 'hash' | 'timestamp'> = {
  header: 'LOGDISABLED',
  class: 'SYSTEM',
  severity: 20,
  text: 'Logging has been disabled via the Kismet config files or the command line.  Pcap, database, and related logs will not be saved.',
  deviceKey: '00_0',
  transmitterMac: ZERO_MAC,
  sourceMac: ZERO_MAC,
  destMac: ZERO_MAC,
  otherMac: ZERO_MAC,
  channel: '',
  frequency: 0,
  phyId: 4294967295,
}

/** A realistic alert about `subjects`: of the kind named by `header` when known, else a random kind. */
export function alertFromKind(prng: Prng, flavor: SimFlavor, subjects: AlertSubjects, header?: string): Omit<SimAlert, 'hash' | 'timestamp'> {
  if (header === LOGDISABLED.header) return { ...LOGDISABLED }
  const kinds = ALERT_KINDS.filter((kind) => flavor === 'release-2025-09-R1' || !kind.releaseOnly)
  const kind = ALERT_KINDS.find((candidate) => candidate.header === header) ?? prng.pick(kinds)
  const macs = kind.macs(subjects, prng)
  return {
    header: kind.header,
    class: kind.class,
    severity: kind.severity,
    text: kind.text(subjects, prng),
    // The fixtures' 802.11 alerts never link a device: Kismet prints the empty key "00_0".
    deviceKey: '00_0',
    transmitterMac: macs.transmitter,
    sourceMac: macs.source,
    destMac: macs.dest,
    otherMac: ZERO_MAC,
    channel: kind.channel(subjects),
    frequency: 0,
    phyId: 0,
  }
}

/** Kismet's alert hash: adler32 over the alert's identifying values (KISMET-API.md 3.5). */
export function alertHash(alert: Omit<SimAlert, 'hash'>): number {
  return adler32(
    [alert.header, alert.severity, alert.phyId, alert.timestamp.toFixed(6), alert.transmitterMac, alert.sourceMac, alert.destMac, alert.otherMac, alert.channel].join('|'),
  )
}
