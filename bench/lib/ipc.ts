// Child processes for the benchmarks (simulator, service host, Socket.IO clients) and a
// request/answer protocol over Node's IPC channel. Every child started here is tracked
// and killed (by its own pid) when the bench exits, whatever happens.
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { dirname, resolve } from 'node:path'

export const BENCH_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const REPO_DIR = resolve(BENCH_DIR, '..')

const children = new Set<ChildProcess>()

function killAll(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill('SIGKILL')
      } catch {
        // already gone
      }
    }
  }
  children.clear()
}
process.once('exit', killAll)
// Ctrl-C or a kill of the bench: exit through 'exit', so every child goes with it.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130))

/** Kills `child` (by its pid) when the bench exits, if it is still running then. */
export function track(child: ChildProcess): ChildProcess {
  children.add(child)
  child.once('exit', () => children.delete(child))
  return child
}

interface Request {
  id: number
  cmd: string
  args: unknown
}
interface Reply {
  id: number
  ok: boolean
  value?: unknown
  error?: string
}
/** An unsolicited message from a child (progress, samples). */
export interface Notice {
  notice: string
  data: unknown
}

export class Worker {
  readonly child: ChildProcess
  readonly name: string
  #nextId = 1
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  readonly #noticeListeners = new Set<(n: Notice) => void>()
  readonly exited: Promise<number | null>
  #stderr = ''

  constructor(name: string, child: ChildProcess) {
    this.name = name
    this.child = child
    children.add(child)
    child.stderr?.on('data', (d: Buffer) => {
      this.#stderr = (this.#stderr + d.toString()).slice(-4000)
    })
    child.on('message', (message: unknown) => {
      const m = message as Partial<Reply & Notice>
      if (typeof m.notice === 'string') {
        for (const listener of this.#noticeListeners) listener(m as Notice)
        return
      }
      if (typeof m.id !== 'number') return
      const waiter = this.#pending.get(m.id)
      if (!waiter) return
      this.#pending.delete(m.id)
      if (m.ok) waiter.resolve(m.value)
      else waiter.reject(new Error(`${this.name}: ${m.error ?? 'failed'}`))
    })
    this.exited = new Promise((resolvePromise) => {
      child.once('exit', (code) => {
        children.delete(child)
        for (const waiter of this.#pending.values()) {
          waiter.reject(new Error(`${this.name} exited (${code}) before answering; stderr: ${this.#stderr.trim().slice(-1500)}`))
        }
        this.#pending.clear()
        resolvePromise(code)
      })
    })
  }

  call<T = unknown>(cmd: string, args: unknown = {}, timeoutMs = 120_000): Promise<T> {
    const id = this.#nextId++
    return new Promise<T>((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id)
        reject(new Error(`${this.name}: ${cmd} did not answer within ${timeoutMs} ms`))
      }, timeoutMs)
      this.#pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer)
          resolvePromise(v as T)
        },
        reject: (e) => {
          clearTimeout(timer)
          reject(e)
        },
      })
      this.child.send({ id, cmd, args } satisfies Request)
    })
  }

  onNotice(listener: (n: Notice) => void): () => void {
    this.#noticeListeners.add(listener)
    return () => this.#noticeListeners.delete(listener)
  }

  get stderr(): string {
    return this.#stderr
  }

  /** Asks the child to stop, then kills it (by pid) if it has not exited in time. */
  async stop(timeoutMs = 5000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    try {
      this.child.send({ id: 0, cmd: 'exit', args: {} } satisfies Request)
    } catch {
      // channel closed
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs)
    await this.exited
    clearTimeout(timer)
  }
}

/** Starts a TypeScript file of bench/ as a child process with an IPC channel. */
export function startWorker(file: string, options: { name?: string; nodeArgs?: string[]; env?: Record<string, string> } = {}): Worker {
  const child = fork(resolve(BENCH_DIR, file), [], {
    cwd: REPO_DIR,
    execArgv: ['--import', 'tsx', ...(options.nodeArgs ?? [])],
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  })
  return new Worker(options.name ?? file, child)
}

/** The child side: answers requests with the handlers; 'exit' ends the process. */
export function serve(handlers: Record<string, (args: never) => unknown>, onExit?: () => Promise<void> | void): void {
  if (!process.send) throw new Error('this file runs as a bench child process (needs an IPC channel)')
  process.on('message', (message: unknown) => {
    const { id, cmd, args } = message as Request
    if (cmd === 'exit') {
      void Promise.resolve(onExit?.()).finally(() => process.exit(0))
      return
    }
    const handler = handlers[cmd]
    if (!handler) {
      process.send!({ id, ok: false, error: `unknown command ${cmd}` } satisfies Reply)
      return
    }
    Promise.resolve()
      .then(() => handler(args as never))
      .then(
        (value) => process.send!({ id, ok: true, value } satisfies Reply),
        (error: unknown) => process.send!({ id, ok: false, error: error instanceof Error ? error.stack ?? error.message : String(error) } satisfies Reply),
      )
  })
  // The parent going away ends the child.
  process.on('disconnect', () => process.exit(0))
}

export function notify(notice: string, data: unknown): void {
  process.send?.({ notice, data } satisfies Notice)
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

export function cpuMs(): number {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}
