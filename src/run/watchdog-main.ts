/**
 * The watchdog of one coordinator (run/process-groups.ts starts it, once): the process groups
 * of the targets the coordinator launched come on stdin, `+g<pgid>` when one starts and
 * `-g<pgid>` once it is stopped, and single processes (the engine child) as `+p<pid>`,
 * `-p<pid>`. When stdin ends, the coordinator is gone: it exited, crashed, or was killed with
 * SIGKILL, which no handler of its own sees. Everything still registered then gets SIGTERM,
 * SIGKILL after the grace (argv[2], ms) to what is left of it, and the watchdog exits. It imports nothing of promsoak's: a few MB of heap, asleep on a read.
 *
 *   node watchdog-main.js <grace ms>
 */
const graceMs = Number(process.argv[2] ?? 2000);
/** Process ids to signal: a group's as -pgid, a single process's as its pid. */
const watched = new Set<number>();
let pending = '';

/** Sends `signal` to the group (a negative id) or process; true while any process of it is left. */
function signal(id: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(id, signal);
    return true;
  } catch {
    return false;
  }
}

// Its own session (spawned detached): a Ctrl-C or a hang-up of the coordinator's terminal is not its end.
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});
process.stdin.on('data', (d: Buffer) => {
  pending += d.toString('latin1');
  const lines = pending.split('\n');
  pending = lines.pop()!;
  for (const line of lines) {
    const n = Number(line.slice(2));
    if (!Number.isInteger(n) || n < 2 || (line[1] !== 'g' && line[1] !== 'p')) continue;
    const id = line[1] === 'g' ? -n : n;
    if (line[0] === '+') watched.add(id);
    else if (line[0] === '-') watched.delete(id);
  }
});
process.stdin.on('error', () => {});
process.stdin.on('close', () => {
  const left = [...watched].filter((id) => signal(id, 'SIGTERM'));
  if (left.length === 0) return;
  const deadline = Date.now() + graceMs;
  const poll = setInterval(() => {
    const alive = left.filter((id) => signal(id, 0));
    if (alive.length > 0 && Date.now() < deadline) return;
    for (const id of alive) signal(id, 'SIGKILL');
    clearInterval(poll);
  }, 100);
});
