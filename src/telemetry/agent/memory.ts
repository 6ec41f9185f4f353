import { openSync, readSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { leadingInt } from './thread-cpu.js';

export interface MemoryReading {
  usedBytes: number;
  totalBytes: number;
  externalBytes: number;
  rssBytes: number;
}

/**
 * The engine's memory once a second, cheaply (the agent runs inside the engine it measures):
 * V8's heap statistics (no system call) and the RSS from /proc/self/statm, kept open and read
 * in place (one pread). process.memoryUsage() opened, read and closed /proc/self/stat for its
 * RSS, a file the kernel fills by walking every thread for times nobody reads here: about 60 µs
 * of the agent's 500 µs a frame. Where there is no statm, process.memoryUsage.rss().
 * Array-buffer bytes (process.memoryUsage().arrayBuffers) have no cheaper reader and are not
 * read: they are part of `externalBytes`.
 */
export class MemoryReader {
  private readonly fd: number | undefined;
  private readonly buf = Buffer.allocUnsafe(128);
  /** Bytes a page: statm counts pages. */
  private readonly pageBytes: number = 4096;

  constructor(path = '/proc/self/statm') {
    try {
      this.fd = openSync(path, 'r');
      // statm's second field is resident pages; the page size is what makes it the RSS that
      // process.memoryUsage.rss() reads (4 KiB on x86-64; 16 or 64 KiB on some arm64 kernels).
      const pages = this.residentPages();
      if (pages > 0) this.pageBytes = 2 ** Math.round(Math.log2(process.memoryUsage.rss() / pages));
    } catch {
      this.fd = undefined;
    }
  }

  read(): MemoryReading {
    const h = getHeapStatistics();
    return {
      usedBytes: h.used_heap_size,
      totalBytes: h.total_heap_size,
      externalBytes: h.external_memory,
      rssBytes: this.fd === undefined ? process.memoryUsage.rss() : this.residentPages() * this.pageBytes,
    };
  }

  private residentPages(): number {
    const n = readSync(this.fd!, this.buf, 0, this.buf.length, 0);
    // "size resident shared …": skip the first field and its space.
    const space = this.buf.indexOf(32);
    return space < 0 || space >= n ? 0 : leadingInt(this.buf, n, space + 1);
  }
}
