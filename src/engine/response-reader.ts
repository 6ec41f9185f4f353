import { ScrapeError } from '../common/errors.js';
import { MAX_HEAD, parseResponseHead, ResponseHead } from './response-head.js';

/** The smallest body buffer, and the first one for a body of unknown length. */
export const FIRST_BODY_BUFFER = 65_536;
/** The most of an announced body (Content-Length, a chunk's size) reserved before its bytes arrive. */
const RESERVE_AHEAD = 4 * 2 ** 20;

const CR = 13;
const LF = 10;

export const enum St {
  /** No request. */
  Idle,
  /** Reading the status line and headers. */
  Head,
  /** Body by Content-Length. */
  Length,
  /** Body until the server closes. */
  UntilClose,
  /** Chunked: the chunk-size line. */
  ChunkSize,
  /** Chunked: chunk data. */
  ChunkData,
  /** Chunked: the CRLF after chunk data. */
  ChunkDataEnd,
  /** Chunked: trailer lines up to the empty line. */
  Trailer,
}

/** What the reader needs of the client: its body size limit and its body buffers. */
export interface BodyBuffers {
  /** Body size limit in bytes (0: none), as Prometheus's body_size_limit. */
  readonly limit: number;
  /** A body buffer of at least `size` bytes. */
  allocateBody(size: number): Buffer;
}

/**
 * The response half of a connection: reads one HTTP/1.1 response at a time from the bytes of
 * socket reads. The head is gathered in `headBuf` and read by parseResponseHead into `resp`;
 * the body, by Content-Length, chunked or until close, is copied into `body` (grown to the
 * largest body, then reused; a non-200 body is counted, not kept). All of it is reused from one
 * response to the next.
 *
 * Connection (connection.ts) extends this class with the socket, the request and the pool:
 * a base class rather than a member object, so that a connection stays one object and every
 * call on the read path is on one hidden class.
 */
export abstract class ResponseReader {
  protected st = St.Idle;
  /** The response head's bytes, accumulated until its empty line. */
  protected headBuf = Buffer.allocUnsafeSlow(4096);
  protected headLen = 0;
  protected body: Buffer | null = null;
  protected bodyLen = 0;
  /** The head of the response being read (one per connection, reused). */
  protected readonly resp = new ResponseHead();
  // The chunked body being read.
  private chunkLeft = 0;
  private chunkSizeDigits = 0;
  private chunkInExt = false;
  private lineLen = 0;

  constructor(private readonly buffers: BodyBuffers) {}

  /** The response is complete: the body is `body[0, bodyLen)` (for a 200). Sets `st` to Idle. */
  protected abstract complete(): void;

  /**
   * Reads `buf[start, end)` while a response is expected (`st` is not Idle). Returns where it
   * stopped: `end`, or just after the response if it ended within these bytes. Throws a
   * ScrapeError for a malformed response or a body over the limit.
   */
  protected consume(buf: Buffer, start: number, end: number): number {
    let i = start;
    while (i < end && this.st !== St.Idle) {
      switch (this.st) {
        case St.Head:
          i = this.readHead(buf, i, end);
          break;
        case St.Length: {
          const take = Math.min(end - i, this.resp.contentLength - this.bodyLen);
          this.append(buf, i, i + take);
          i += take;
          if (this.bodyLen === this.resp.contentLength) this.complete();
          break;
        }
        case St.UntilClose:
          this.append(buf, i, end);
          i = end;
          break;
        case St.ChunkSize:
          i = this.readChunkSize(buf, i, end);
          break;
        case St.ChunkData: {
          const take = Math.min(end - i, this.chunkLeft);
          this.append(buf, i, i + take);
          i += take;
          this.chunkLeft -= take;
          if (this.chunkLeft === 0) {
            this.st = St.ChunkDataEnd;
            this.lineLen = 0;
          }
          break;
        }
        case St.ChunkDataEnd: {
          const b = buf[i++]!;
          if (b === LF) this.st = St.ChunkSize;
          else if (b !== CR || this.lineLen++ > 0) throw new ScrapeError('malformed chunked body: no CRLF after chunk data');
          if (this.st === St.ChunkSize) this.resetChunkSize();
          break;
        }
        case St.Trailer: {
          const b = buf[i++]!;
          if (b === LF) {
            if (this.lineLen === 0) this.complete();
            else this.lineLen = 0;
          } else if (b !== CR) this.lineLen++;
          break;
        }
        default:
          throw new ScrapeError('unexpected data from the server');
      }
    }
    return i;
  }

  private resetChunkSize(): void {
    this.chunkLeft = 0;
    this.chunkSizeDigits = 0;
    this.chunkInExt = false;
  }

  private readChunkSize(buf: Buffer, i: number, end: number): number {
    while (i < end) {
      const b = buf[i++]!;
      if (b === LF) {
        if (this.chunkSizeDigits === 0) throw new ScrapeError('malformed chunked body: empty chunk size');
        if (this.chunkLeft === 0) {
          this.st = St.Trailer;
          this.lineLen = 0;
        } else {
          const limit = this.buffers.limit;
          if (this.resp.status === 200 && limit > 0 && this.bodyLen + this.chunkLeft > limit) throw this.limitError();
          this.reserve(this.bodyLen + Math.min(this.chunkLeft, RESERVE_AHEAD));
          this.st = St.ChunkData;
        }
        return i;
      }
      if (this.chunkInExt || b === CR) continue;
      if (b === 0x3b /* ; */ || b === 0x20 || b === 0x09) {
        this.chunkInExt = true;
        continue;
      }
      const d = hexDigit(b);
      if (d < 0) throw new ScrapeError('malformed chunked body: bad chunk size');
      if (++this.chunkSizeDigits > 12) throw new ScrapeError('malformed chunked body: chunk size too large');
      this.chunkLeft = this.chunkLeft * 16 + d;
    }
    return i;
  }

  private limitError(): ScrapeError {
    return new ScrapeError(`body size limit exceeded: more than ${this.buffers.limit} bytes`);
  }

  /** Copies body bytes into the connection's body buffer (discarded for a non-200 status). */
  private append(buf: Buffer, start: number, end: number): void {
    const n = end - start;
    if (n === 0) return;
    if (this.resp.status !== 200) {
      // Counted (to find the end), not kept.
      this.bodyLen += n;
      return;
    }
    const need = this.bodyLen + n;
    const limit = this.buffers.limit;
    if (limit > 0 && need > limit) throw this.limitError();
    this.reserve(need);
    buf.copy(this.body!, this.bodyLen, start, end);
    this.bodyLen = need;
  }

  private reserve(size: number): void {
    if (this.resp.status !== 200) return;
    const b = this.body;
    if (b !== null && b.length >= size) return;
    const next = this.buffers.allocateBody(Math.max(size, b === null ? 0 : b.length * 2));
    if (b !== null && this.bodyLen > 0) b.copy(next, 0, 0, this.bodyLen);
    this.body = next;
  }

  /** Accumulates the header block; parses it at the empty line. Returns where the rest of `buf` starts. */
  private readHead(buf: Buffer, i: number, end: number): number {
    const from = this.headLen;
    if (from + (end - i) > this.headBuf.length && this.headBuf.length < MAX_HEAD) {
      const bigger = Buffer.allocUnsafeSlow(Math.min(MAX_HEAD, 2 ** Math.ceil(Math.log2(from + (end - i)))));
      this.headBuf.copy(bigger, 0, 0, from);
      this.headBuf = bigger;
    }
    const take = Math.min(end - i, this.headBuf.length - from);
    buf.copy(this.headBuf, from, i, i + take);
    this.headLen = from + take;
    // The empty line ends in this read's bytes (else an earlier call would have found it).
    const stop = parseResponseHead(this.headBuf, this.headLen, this.resp, Math.max(0, from - 3));
    if (stop < 0) return i + take;
    this.headLen = 0;
    this.startBody();
    // What follows the head in this read is body (or, after a 1xx, the next head).
    return i + (stop - from);
  }

  /** The head is read: how the body is framed, and room for it. */
  private startBody(): void {
    const r = this.resp;
    if (r.status >= 100 && r.status < 200 && r.status !== 101) {
      this.st = St.Head;
      return;
    }
    const limit = this.buffers.limit;
    this.bodyLen = 0;
    if (r.chunked) {
      this.st = St.ChunkSize;
      this.resetChunkSize();
      this.reserve(FIRST_BODY_BUFFER);
    } else if (r.contentLength >= 0) {
      if (r.status === 200 && limit > 0 && r.contentLength > limit) {
        throw new ScrapeError(`body size limit exceeded: Content-Length ${r.contentLength} > ${limit} bytes`);
      }
      this.st = St.Length;
      // What the server announces is reserved only up to RESERVE_AHEAD: past that the buffer
      // grows as bytes arrive (a `Content-Length: 4000000000` must not reserve 4 GB up front).
      this.reserve(Math.min(r.contentLength, RESERVE_AHEAD));
      if (r.contentLength === 0) this.complete();
    } else {
      this.st = St.UntilClose;
      this.reserve(FIRST_BODY_BUFFER);
    }
  }
}

function hexDigit(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  const l = b | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}
