// Scan status from Kismet's datasources (SPEC 5.3, KISMET-API.md 3.6).
import type { ScanStatusData } from './events.js'
import type { KismetDatasource } from './kismet/wire.js'
import { parseChannel } from './kismet/mapping.js'

/** A source is capturing when it runs, is not paused and is not in error. */
function isCapturing(source: KismetDatasource): boolean {
  return Boolean(source['kismet.datasource.running']) &&
    !source['kismet.datasource.paused'] &&
    !source['kismet.datasource.error']
}

/**
 * scanning: some source is capturing; errors: sources in error; packetsProcessed: the sum
 * of the sources' packet counters; currentChannel: only when the capturing sources that
 * are locked to a channel (not hopping) all sit on one channel. Kismet does not expose
 * the channel of a hopping source (its `channel` is "" or stale), and a stopped, paused
 * or failed source hears nothing, so neither may claim a "current" channel.
 */
export function deriveScanStatus(sources: readonly KismetDatasource[], devicesFound: number): ScanStatusData {
  let scanning = false
  let errors = 0
  let packetsProcessed = 0
  const lockedChannels = new Set<number>()

  for (const source of sources) {
    const capturing = isCapturing(source)
    if (capturing) scanning = true
    if (source['kismet.datasource.error']) errors += 1
    const packets = source['kismet.datasource.num_packets']
    if (typeof packets === 'number' && Number.isFinite(packets) && packets > 0) packetsProcessed += packets
    if (capturing && !source['kismet.datasource.hopping']) {
      const channel = parseChannel(source['kismet.datasource.channel'])
      if (channel !== null) lockedChannels.add(channel)
    }
  }

  const status: ScanStatusData = { scanning, devicesFound, packetsProcessed, errors }
  if (lockedChannels.size === 1) {
    const [channel] = lockedChannels
    if (channel !== undefined) status.currentChannel = channel
  }
  return status
}
