// The watch-list feature assembled: the entries (store), found/lost (watcher, a listener of
// the event channel publishing back onto it) and the optional webhook (another listener,
// taking the watch events). Fastify-free: plugins/app/watchlist.ts builds it.
import type { Clock } from '../clock.js'
import type { EnvelopeFactory, EventChannel } from '../envelope.js'
import type { WifiDevice } from '../events.js'
import { WatchListStore } from './store.js'
import { Watcher } from './watcher.js'
import { Webhook } from './webhook.js'

export interface WatchListOptions {
  channel: EventChannel
  factory: EnvelopeFactory
  clock: Clock
  dataDir: string | undefined
  lostMs: number
  webhookUrl: string | undefined
  tables: () => Iterable<{ sensor: string; device: WifiDevice }>
  log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void; info(obj: object | string, msg?: string): void }
  /** Webhook tuning (tests shorten it). */
  webhook?: { retryDelayMs?: number; timeoutMs?: number; maxQueue?: number; maxAttempts?: number }
}

export interface WatchList {
  readonly store: WatchListStore
  readonly watcher: Watcher
  readonly webhook: Webhook | undefined
  /** Writes what is pending and stops timers. */
  close(): Promise<void>
}

export async function createWatchList(options: WatchListOptions): Promise<WatchList> {
  const { channel, clock, log } = options
  const store = await WatchListStore.open({ dataDir: options.dataDir, clock, log })
  const webhook = options.webhookUrl === undefined ? undefined : new Webhook({ url: options.webhookUrl, clock, log, ...options.webhook })
  const unsubscribeWebhook = webhook
    ? channel.subscribe((envelope) => {
        if (envelope.type === 'watch:found' || envelope.type === 'watch:lost') webhook.enqueue(envelope)
      })
    : undefined
  const watcher = await Watcher.start({
    store,
    factory: options.factory,
    publish: (envelope) => channel.publish(envelope),
    subscribe: (listener) => channel.subscribe(listener),
    clock,
    lostMs: options.lostMs,
    dataDir: options.dataDir,
    tables: options.tables,
    log,
  })
  return {
    store,
    watcher,
    webhook,
    async close() {
      watcher.close()
      unsubscribeWebhook?.()
      webhook?.close()
      await watcher.flush()
    },
  }
}
