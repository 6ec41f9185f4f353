import type { Readable } from 'node:stream';

/**
 * Reads a stream of JSON lines (the agent's frame pipe, telemetry/agent/frame-pipe.ts) and calls
 * `onMessage` with each parsed line, in order. A line that is not JSON goes to `onBad` (the
 * agent only writes whole lines; a bad one means a bug, said rather than dropped).
 */
export function readJsonLines(stream: Readable, onMessage: (m: unknown) => void, onBad: (line: string) => void): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const text = rest + chunk;
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      const line = text.slice(start, nl);
      start = nl + 1;
      if (line.length === 0) continue;
      let m: unknown;
      try {
        m = JSON.parse(line);
      } catch {
        onBad(line);
        continue;
      }
      onMessage(m);
    }
    rest = text.slice(start);
  });
  stream.on('end', () => {
    if (rest.trim()) onBad(rest);
    rest = '';
  });
}
