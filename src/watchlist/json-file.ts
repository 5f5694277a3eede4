// A JSON file under DATA_DIR, read once at start and replaced atomically (written to a
// temporary file beside it, flushed to disk, renamed over it), so a crash leaves either the
// old file or the new one, never half of one. Writes are coalesced: while one is under way,
// later saves wait and the last of them is written next.
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises'
import { dirname } from 'node:path'

export type ReadResult<T> = { kind: 'missing' } | { kind: 'ok'; value: T } | { kind: 'corrupt'; problem: string }

/**
 * Reads and checks a file: missing is not a problem, unreadable or invalid is (`check` says
 * what is wrong with a parsed value, or returns undefined when it is good). The file itself
 * is never changed here.
 */
export async function readJsonFile<T>(path: string, check: (value: unknown) => string | undefined): Promise<ReadResult<T>> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' }
    return { kind: 'corrupt', problem: `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})` }
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    return { kind: 'corrupt', problem: `is not JSON (${error instanceof Error ? error.message.slice(0, 120) : 'parse error'})` }
  }
  const problem = check(value)
  return problem === undefined ? { kind: 'ok', value: value as T } : { kind: 'corrupt', problem }
}

export class AtomicJsonFile {
  readonly path: string
  #writing: Promise<void> | undefined
  #next: (() => unknown) | undefined
  #lastError: unknown

  constructor(path: string) {
    this.path = path
  }

  /** Writes `value()` soon (the latest value wins); resolves once a write that includes it has ended. */
  save(value: () => unknown): Promise<void> {
    this.#next = value
    if (!this.#writing) this.#writing = this.#drain()
    return this.#writing
  }

  /** The error of the last write that failed (undefined once one succeeds again). */
  get lastError(): unknown {
    return this.#lastError
  }

  async #drain(): Promise<void> {
    try {
      while (this.#next) {
        const value = this.#next
        this.#next = undefined
        try {
          await writeAtomically(this.path, `${JSON.stringify(value(), null, 1)}\n`)
          this.#lastError = undefined
        } catch (error) {
          this.#lastError = error
        }
      }
    } finally {
      this.#writing = undefined
    }
  }
}

async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const temporary = `${path}.${process.pid}.tmp`
  const handle = await open(temporary, 'w', 0o600)
  try {
    await handle.writeFile(text, 'utf8')
    await handle.sync()
  } finally {
    await handle.close()
  }
  try {
    await rename(temporary, path)
  } catch (error) {
    await rm(temporary, { force: true })
    throw error
  }
}
