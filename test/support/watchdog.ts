// A program a test starts (redis-server, nginx, prometheus, server.ts) run through `setpriv --pdeathsig
// SIGTERM` (util-linux, on every Debian): the kernel sends it SIGTERM when the test process
// dies, also without its teardown (a tap timeout, a SIGKILL), and also while the program is
// still starting. redis-server and nginx rewrite their process titles, and with them the
// environment scripts/leftover-processes.mjs looks for: nothing else would find them after.
import { spawn, type ChildProcess } from 'node:child_process'
import type { TestLike } from '../helper.js'

/** `spawn(...diesWithTest(command, args), options)`: the same program, stopped with the test process. */
export function diesWithTest(command: string, args: readonly string[]): [string, string[]] {
  return ['setpriv', ['--pdeathsig', 'SIGTERM', '--', command, ...args]]
}

/** A program that runs until the test's teardown, as `runForTest` started it. */
export interface TestProgram {
  child: ChildProcess
  /** What it wrote to stderr so far (for the failure message when it exits early). */
  stderr(): string
}

/**
 * Starts a program for the rest of the test (stopped with the test process, diesWithTest),
 * keeps its stderr, and at teardown stops it (SIGTERM) and waits for its exit.
 */
export function runForTest(t: TestLike, command: string, args: readonly string[]): TestProgram {
  const child = spawn(...diesWithTest(command, args), { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise((resolve) => child.once('exit', resolve))
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
  })
  return { child, stderr: () => stderr }
}
