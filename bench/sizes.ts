// Scenario sizes: the full run (about 5 minutes on 2 cores) and --quick (under a minute).
import type { UpstreamOptions } from './upstream.js'
import type { FanoutOptions } from './fanout.js'
import type { MemoryOptions } from './memory.js'
import type { NewDeviceOptions } from './new-device.js'
import type { SensorLoadOptions } from './sensor-load.js'
import type { StartupOptions } from './startup.js'
import type { SensorsOptions } from './sensors.js'
import type { DashboardOptions } from './dashboard.js'
import type { FilteredFanoutOptions } from './filtered-fanout.js'
import type { ExportOptions } from './export.js'
import type { ScaleOutOptions } from './scale-out.js'

export interface Sizes {
  upstream: UpstreamOptions
  fanout: FanoutOptions
  memory: MemoryOptions
  newDevice: NewDeviceOptions
  startup: StartupOptions
  sensors: SensorsOptions
  dashboard: DashboardOptions
  filteredFanout: FilteredFanoutOptions
  export: ExportOptions
  sensorLoad: SensorLoadOptions
  scaleOut: ScaleOutOptions
}

export const SIZES: { full: Sizes; quick: Sizes } = {
  full: {
    upstream: { devices: 10_000, changeShare: 0.01, intervalMs: 2000, cycles: 30, parseRounds: 20, seed: 11 },
    fanout: { clients: 500, clientProcesses: 4, rate: 1000, segmentMs: 5000, segments: 2, warmupMs: 1500, drainLimitMs: 15_000, sustainableRate: 100, sustainableMs: 3000, library: true },
    memory: { sizes: [10_000, 50_000], breakdown: true },
    newDevice: { events: 400, meanGapMs: 100, backgroundDevices: 1000, burst: 3000 },
    startup: { repetitions: 7, devPath: true },
    sensors: { devicesPerSensor: 10_000, windowMs: 40_000 },
    dashboard: { devices: 5_000, rate: 1000, updateShare: 0.1, segmentMs: 6_000, repetitions: 3 },
    filteredFanout: { clients: 500, clientProcesses: 4, rate: 1000, segmentMs: 5000, segments: 2, warmupMs: 1500, drainLimitMs: 15_000, sustainableRate: 100, sustainableMs: 3000, library: false, filters: 50 },
    export: { devices: 50_000, repetitions: 5 },
    sensorLoad: { devices: 5000, seconds: 120, warmupSeconds: 5 },
    scaleOut: { clients: 500, clientProcesses: 4, rate: 100, segmentMs: 5000, segments: 2, warmupMs: 1500, drainLimitMs: 15_000, sustainableRate: 100, sustainableMs: 3000, library: false, latencyRate: 20, latencyMs: 3000, maxLen: 30_000, batchedRate: 1000 },
  },
  quick: {
    upstream: { devices: 5_000, changeShare: 0.01, intervalMs: 2000, cycles: 8, parseRounds: 6, seed: 11 },
    fanout: { clients: 100, clientProcesses: 2, rate: 1000, segmentMs: 1500, segments: 1, warmupMs: 500, drainLimitMs: 4_000, sustainableRate: 100, sustainableMs: 1000, library: false },
    memory: { sizes: [10_000], breakdown: false },
    newDevice: { events: 60, meanGapMs: 150, backgroundDevices: 200, burst: 1000 },
    startup: { repetitions: 3, devPath: false },
    sensors: { devicesPerSensor: 2_000, windowMs: 6_000 },
    dashboard: { devices: 5_000, rate: 1000, updateShare: 0.1, segmentMs: 3_000, repetitions: 1 },
    filteredFanout: { clients: 100, clientProcesses: 2, rate: 1000, segmentMs: 1500, segments: 1, warmupMs: 500, drainLimitMs: 4_000, sustainableRate: 100, sustainableMs: 1000, library: false, filters: 50 },
    export: { devices: 50_000, repetitions: 3 },
    sensorLoad: { devices: 5000, seconds: 60, warmupSeconds: 5 },
    scaleOut: { clients: 100, clientProcesses: 2, rate: 100, segmentMs: 1500, segments: 1, warmupMs: 500, drainLimitMs: 4_000, sustainableRate: 100, sustainableMs: 1000, library: false, latencyRate: 20, latencyMs: 1500, maxLen: 30_000, batchedRate: 1000 },
  },
}
