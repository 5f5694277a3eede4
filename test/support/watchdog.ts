// A program a test starts (redis-server, nginx, server.ts) run through `setpriv --pdeathsig
// SIGTERM` (util-linux, on every Debian): the kernel sends it SIGTERM when the test process
// dies, also without its teardown (a tap timeout, a SIGKILL), and also while the program is
// still starting. redis-server and nginx rewrite their process titles, and with them the
// environment scripts/leftover-processes.mjs looks for: nothing else would find them after.

/** `spawn(...diesWithTest(command, args), options)`: the same program, stopped with the test process. */
export function diesWithTest(command: string, args: readonly string[]): [string, string[]] {
  return ['setpriv', ['--pdeathsig', 'SIGTERM', '--', command, ...args]]
}
