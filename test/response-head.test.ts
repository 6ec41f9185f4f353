import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_HEAD, NEED_MORE, parseResponseHead, ResponseHead } from '../src/engine/response-head.js';
import { ScrapeError } from '../src/common/errors.js';

/** Parses `text` (latin1) whole; returns the head length and what was read. */
function parse(text: string | Buffer, out = new ResponseHead()): { len: number; r: ResponseHead } {
  const h = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
  return { len: parseResponseHead(h, h.length, out), r: out };
}

const head = (...lines: string[]): string => lines.map((l) => l + '\r\n').join('') + '\r\n';

const fails = (text: string, message: RegExp | string): void => {
  assert.throws(
    () => parse(text),
    (e: unknown) => e instanceof ScrapeError && (typeof message === 'string' ? e.message === message : message.test(e.message)),
    JSON.stringify(text),
  );
};

describe('parseResponseHead: where the head ends', () => {
  it('returns the length through the empty line, CRLF or bare LF, and leaves what follows', () => {
    const h = head('HTTP/1.1 200 OK', 'Content-Length: 3');
    assert.equal(parse(h).len, h.length);
    assert.equal(parse(h + 'abc').len, h.length);
    assert.equal(parse('HTTP/1.1 200 OK\nContent-Length: 3\n\nabc').len, 35);
    assert.equal(parse('HTTP/1.1 200 OK\r\nContent-Length: 3\n\r\nabc').len, 37);
  });

  it('needs more until the empty line arrives', () => {
    assert.equal(parse('').len, NEED_MORE);
    assert.equal(parse('HTTP/1.1 200 OK\r\n').len, NEED_MORE);
    assert.equal(parse('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r').len, NEED_MORE);
  });

  it('finds the end of a head split across reads at any byte, scanning only from the last end - 3', () => {
    const text = head('HTTP/1.1 200 OK', 'Content-Type: text/plain; version=0.0.4', 'Content-Length: 8') + 'a 1\nb 2\n';
    const full = Buffer.from(text, 'latin1');
    const len = text.indexOf('\r\n\r\n') + 4;
    for (let k = 1; k < full.length; k++) {
      // The caller appends each read to its buffer and calls again from the previous end - 3.
      const h = Buffer.alloc(full.length);
      full.copy(h, 0, 0, k);
      const out = new ResponseHead();
      const first = parseResponseHead(h, k, out);
      if (k >= len) {
        assert.equal(first, len, `split at ${k}`);
        continue;
      }
      assert.equal(first, NEED_MORE, `split at ${k}`);
      full.copy(h, k, k);
      assert.equal(parseResponseHead(h, full.length, out, Math.max(0, k - 3)), len, `split at ${k}`);
      assert.equal(out.contentLength, 8);
      assert.equal(out.contentType, 'text/plain; version=0.0.4');
    }
  });

  it('fails a head that reaches MAX_HEAD bytes without ending, not one just below', () => {
    const long = 'HTTP/1.1 200 OK\r\nX-Big: ' + 'a'.repeat(MAX_HEAD);
    assert.equal(parse(long.slice(0, MAX_HEAD - 1)).len, NEED_MORE);
    fails(long.slice(0, MAX_HEAD), `response headers larger than ${MAX_HEAD} bytes`);
    const fits = head('HTTP/1.1 200 OK', 'X-Big: ' + 'a'.repeat(MAX_HEAD - 40));
    assert.ok(fits.length < MAX_HEAD);
    assert.equal(parse(fits).len, fits.length);
  });
});

describe('parseResponseHead: status line', () => {
  it('reads the status; 200 is OK without reading its reason, others keep theirs', () => {
    assert.deepEqual(statusOf(head('HTTP/1.1 200 OK')), { status: 200, statusText: 'OK' });
    assert.deepEqual(statusOf(head('HTTP/1.1 200 Fine')), { status: 200, statusText: 'OK' });
    assert.deepEqual(statusOf(head('HTTP/1.1 404 Not Found')), { status: 404, statusText: 'Not Found' });
    assert.deepEqual(statusOf(head('HTTP/1.1 503 Service Unavailable')), { status: 503, statusText: 'Service Unavailable' });
    assert.deepEqual(statusOf('HTTP/1.1 500 oops\n\n'), { status: 500, statusText: 'oops' });
    assert.deepEqual(statusOf(head('HTTP/1.1 404')), { status: 404, statusText: '' });
    assert.deepEqual(statusOf(head('HTTP/1.1 404 ')), { status: 404, statusText: '' });
    assert.deepEqual(statusOf(head('HTTP/1.1 599 Odd')), { status: 599, statusText: 'Odd' });
    // obs-text in the reason phrase: latin1.
    assert.equal(parse(Buffer.concat([Buffer.from('HTTP/1.1 404 Nicht gefunden \xe4', 'latin1'), Buffer.from('\r\n\r\n')])).r.statusText, 'Nicht gefunden ä');
  });

  it('fails a status line that is not HTTP/1.x with three digits 100–599', () => {
    for (const bad of ['HTTP/2 200 OK', 'HTTP/2.0 200 OK', 'http/1.1 200 OK', 'HTTP/1.1 20', 'HTTP/1.1', ' HTTP/1.1 200 OK', 'ICY 200 OK']) {
      fails(head(bad), /^malformed HTTP response: bad (status line|status code)$/);
    }
    for (const bad of ['HTTP/1.1 600 No', 'HTTP/1.1 099 No', 'HTTP/1.1 2x0 No', 'HTTP/1.1 20x No', 'HTTP/1.1 -00 No']) {
      fails(head(bad), 'malformed HTTP response: bad status code');
    }
  });

  it('HTTP/1.1 keeps the connection unless Connection: close; HTTP/1.0 only with Connection: keep-alive', () => {
    assert.equal(parse(head('HTTP/1.1 200 OK', 'Content-Length: 0')).r.keepAlive, true);
    assert.equal(parse(head('HTTP/1.1 200 OK', 'Content-Length: 0', 'Connection: close')).r.keepAlive, false);
    assert.equal(parse(head('HTTP/1.1 200 OK', 'Content-Length: 0', 'connection: Keep-Alive, Close')).r.keepAlive, false);
    assert.equal(parse(head('HTTP/1.0 200 OK', 'Content-Length: 0')).r.keepAlive, false);
    assert.equal(parse(head('HTTP/1.0 200 OK', 'Content-Length: 0', 'Connection: keep-alive')).r.keepAlive, true);
  });

  it('an interim 1xx sets only the status and returns its length (the next head follows); 101 is final', () => {
    const text = head('HTTP/1.1 100 Continue') + head('HTTP/1.1 404 Not Found', 'Content-Length: 9', 'Content-Type: text/plain');
    const out = new ResponseHead();
    out.contentType = 'before';
    const h = Buffer.from(text, 'latin1');
    const len = parseResponseHead(h, h.length, out);
    assert.equal(len, 'HTTP/1.1 100 Continue\r\n\r\n'.length);
    assert.equal(out.status, 100);
    assert.equal(out.contentType, 'before', 'nothing else read');
    const rest = h.subarray(len);
    assert.equal(parseResponseHead(rest, rest.length, out), rest.length);
    assert.deepEqual(pick(out), { status: 404, statusText: 'Not Found', contentLength: 9, contentType: 'text/plain' });
    assert.deepEqual(pick(parse(head('HTTP/1.1 101 Switching Protocols', 'Content-Length: 0')).r), { status: 101, statusText: 'Switching Protocols', contentLength: 0 });
  });
});

describe('parseResponseHead: body framing', () => {
  it('Content-Length: the value, trimmed; the same value twice is one', () => {
    assert.deepEqual(frame(head('HTTP/1.1 200 OK', 'Content-Length: 42')), { contentLength: 42, chunked: false, keepAlive: true });
    assert.equal(frame(head('HTTP/1.1 200 OK', 'content-length:\t 42 \t')).contentLength, 42);
    assert.equal(frame(head('HTTP/1.1 200 OK', 'CONTENT-LENGTH: 0')).contentLength, 0);
    assert.equal(frame(head('HTTP/1.1 200 OK', 'Content-Length: 007')).contentLength, 7);
    assert.equal(frame(head('HTTP/1.1 200 OK', 'Content-Length: 5', 'Content-Length: 5')).contentLength, 5);
  });

  it('fails an empty, non-decimal, list-valued or conflicting Content-Length', () => {
    fails(head('HTTP/1.1 200 OK', 'Content-Length:'), 'malformed HTTP response: empty Content-Length');
    fails(head('HTTP/1.1 200 OK', 'Content-Length:   '), 'malformed HTTP response: empty Content-Length');
    for (const v of ['12a', '-1', '+5', '0x10', '1 2', '5, 5', '1e3']) {
      fails(head('HTTP/1.1 200 OK', `Content-Length: ${v}`), 'malformed HTTP response: bad Content-Length');
    }
    fails(head('HTTP/1.1 200 OK', 'Content-Length: 5', 'Content-Length: 6'), 'malformed HTTP response: conflicting Content-Length');
  });

  it('huge Content-Length: up to 16 digits read (as a double, beyond 2^53 rounded), 17 fail', () => {
    assert.equal(frame(head('HTTP/1.1 200 OK', 'Content-Length: 4294967296')).contentLength, 4294967296);
    assert.equal(frame(head('HTTP/1.1 200 OK', 'Content-Length: 9007199254740991')).contentLength, Number.MAX_SAFE_INTEGER);
    assert.equal(frame(head('HTTP/1.1 200 OK', 'Content-Length: 9999999999999999')).contentLength, 1e16);
    fails(head('HTTP/1.1 200 OK', 'Content-Length: 10000000000000000'), 'malformed HTTP response: bad Content-Length');
  });

  it('no Content-Length and not chunked: the body runs until close, which ends the connection', () => {
    assert.deepEqual(frame(head('HTTP/1.1 200 OK')), { contentLength: -1, chunked: false, keepAlive: false });
    assert.deepEqual(frame(head('HTTP/1.1 200 OK', 'Connection: keep-alive')), { contentLength: -1, chunked: false, keepAlive: false });
  });

  it('Transfer-Encoding ending in chunked (any case) is chunked and wins over Content-Length; others fail', () => {
    assert.deepEqual(frame(head('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked')), { contentLength: -1, chunked: true, keepAlive: true });
    assert.equal(frame(head('HTTP/1.1 200 OK', 'transfer-encoding: Chunked ')).chunked, true);
    assert.equal(frame(head('HTTP/1.1 200 OK', 'Transfer-Encoding: gzip, chunked')).chunked, true);
    assert.deepEqual(frame(head('HTTP/1.1 200 OK', 'Content-Length: 10', 'Transfer-Encoding: chunked')), { contentLength: -1, chunked: true, keepAlive: true });
    assert.deepEqual(frame(head('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked', 'Content-Length: 10')), { contentLength: -1, chunked: true, keepAlive: true });
    for (const v of ['gzip', 'identity', 'chunked, gzip', '', 'chunk']) fails(head('HTTP/1.1 200 OK', `Transfer-Encoding: ${v}`), 'unsupported Transfer-Encoding');
  });

  it('204 and 304 have no body, whatever their headers say', () => {
    for (const s of ['204 No Content', '304 Not Modified']) {
      assert.deepEqual(frame(head(`HTTP/1.1 ${s}`)), { contentLength: 0, chunked: false, keepAlive: true });
      assert.deepEqual(frame(head(`HTTP/1.1 ${s}`, 'Content-Length: 10')), { contentLength: 0, chunked: false, keepAlive: true });
      assert.deepEqual(frame(head(`HTTP/1.1 ${s}`, 'Transfer-Encoding: chunked')), { contentLength: 0, chunked: false, keepAlive: true });
    }
  });
});

describe('parseResponseHead: headers', () => {
  it('Content-Type: trimmed, any case of name, latin1 for obs-text; empty without one', () => {
    assert.equal(parse(head('HTTP/1.1 200 OK', 'Content-Type:   text/plain; version=0.0.4  ')).r.contentType, 'text/plain; version=0.0.4');
    assert.equal(parse(head('HTTP/1.1 200 OK', 'CONTENT-TYPE:application/openmetrics-text')).r.contentType, 'application/openmetrics-text');
    assert.equal(parse(head('HTTP/1.1 200 OK', 'Content-Type: text/plain; charset=\xe9')).r.contentType, 'text/plain; charset=é');
    assert.equal(parse(head('HTTP/1.1 200 OK', 'Content-Type: ' + 'x'.repeat(300))).r.contentType, 'x'.repeat(300));
    assert.equal(parse(head('HTTP/1.1 200 OK', 'Content-Type: a', 'Content-Type: b')).r.contentType, 'b', 'the last one');
    assert.equal(parse(head('HTTP/1.1 200 OK', 'Content-Length: 0')).r.contentType, '');
  });

  it('one ResponseHead over many heads: each head sets its own fields', () => {
    const out = new ResponseHead();
    const cts = ['text/plain; version=0.0.4', 'text/plain; version=0.0.4', 'application/openmetrics-text; version=1.0.0', 'y'.repeat(200), 'y'.repeat(200), 'text/plain; version=0.0.4'];
    for (const ct of cts) {
      parse(head('HTTP/1.1 200 OK', `Content-Type: ${ct}`, 'Content-Length: 3'), out);
      assert.equal(out.contentType, ct);
    }
    // A head without Content-Type between two with the same one (the second is not the '' of the one between).
    parse(head('HTTP/1.1 200 OK', 'Content-Length: 3'), out);
    assert.equal(out.contentType, '');
    parse(head('HTTP/1.1 200 OK', 'Content-Type: text/plain; version=0.0.4', 'Content-Length: 3'), out);
    assert.equal(out.contentType, 'text/plain; version=0.0.4');
    parse(head('HTTP/1.1 500 Internal Server Error', 'Transfer-Encoding: chunked', 'Connection: close'), out);
    assert.deepEqual(pick(out), { status: 500, statusText: 'Internal Server Error', chunked: true, keepAlive: false });
    parse(head('HTTP/1.1 200 OK', 'Content-Length: 3'), out);
    assert.deepEqual(pick(out), { status: 200, statusText: 'OK', contentLength: 3 });
  });

  it('Keep-Alive: timeout=N gives N s; without a timeout -1; without the header the last hint stands', () => {
    const out = new ResponseHead();
    assert.equal(out.keepAliveHintMs, -1);
    assert.equal(parse(head('HTTP/1.1 200 OK', 'Keep-Alive: timeout=5, max=1000'), out).r.keepAliveHintMs, 5000);
    assert.equal(parse(head('HTTP/1.1 200 OK', 'Content-Length: 0'), out).r.keepAliveHintMs, 5000);
    assert.equal(parse(head('HTTP/1.1 200 OK', 'keep-alive: max=10, Timeout=2'), out).r.keepAliveHintMs, 2000);
    assert.equal(parse(head('HTTP/1.1 200 OK', 'Keep-Alive: timeout=30s'), out).r.keepAliveHintMs, 30000);
    assert.equal(parse(head('HTTP/1.1 200 OK', 'Keep-Alive: max=10'), out).r.keepAliveHintMs, -1);
    assert.equal(parse(head('HTTP/1.1 200 OK', 'Keep-Alive: timeout=7'), out).r.keepAliveHintMs, 7000);
    assert.equal(parse(head('HTTP/1.1 200 OK', 'Keep-Alive: timeout='), out).r.keepAliveHintMs, -1);
  });

  it('ignores unknown headers, lines without a colon, a name with space before its colon, and folded continuation lines', () => {
    assert.deepEqual(pick(parse(head('HTTP/1.1 200 OK', 'X-Content-Length: 5', 'Date: Mon, 01 Jan 2024 00:00:00 GMT', 'no colon here', 'Content-Length: 3')).r), {
      status: 200,
      statusText: 'OK',
      contentLength: 3,
    });
    // RFC 9112 5: no whitespace between name and colon; this parser skips such a line (the body then runs until close).
    assert.deepEqual(frame(head('HTTP/1.1 200 OK', 'Content-Length : 5')), { contentLength: -1, chunked: false, keepAlive: false });
    // obs-fold: the continuation line is not joined to the value (and a continuation is never a header of its own).
    const folded = parse(head('HTTP/1.1 200 OK', 'Content-Type: text/plain;', ' version=0.0.4', '\tContent-Length: 9', 'Content-Length: 3'));
    assert.deepEqual(pick(folded.r), { status: 200, statusText: 'OK', contentLength: 3, contentType: 'text/plain;' });
  });
});

describe('parseResponseHead: garbage', () => {
  it('fails what is not an HTTP response with a ScrapeError', () => {
    fails('SMTP ready\r\n\r\n', 'malformed HTTP response: bad status line');
    fails('\r\n\r\n', 'malformed HTTP response: bad status line');
    fails('\n\n', 'malformed HTTP response: bad status line');
    fails('<html><body>hello</body></html>\n\n', 'malformed HTTP response: bad status line');
  });

  it('on random bytes returns a length within them, NEED_MORE, or throws a ScrapeError, nothing else', () => {
    let seed = 42;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    const alphabet = Buffer.from('HTTP/1.0 2004:\r\n\r\n\t ;,=chunkedContent-LengthTransfer-Encodingtimeout=Keep-Alive\x00\xff', 'latin1');
    const out = new ResponseHead();
    for (let t = 0; t < 3000; t++) {
      const n = rnd(200);
      const h = Buffer.alloc(n);
      const prefix = t % 2 === 0 ? Buffer.from(`HTTP/1.1 ${100 + rnd(500)} X\r\n`) : Buffer.alloc(0);
      prefix.copy(h);
      for (let k = Math.min(prefix.length, n); k < n; k++) h[k] = t % 3 === 0 ? rnd(256) : alphabet[rnd(alphabet.length)]!;
      try {
        const len = parseResponseHead(h, n, out);
        assert.ok(len === NEED_MORE || (len > 0 && len <= n), `${len} of ${n}`);
      } catch (e) {
        assert.ok(e instanceof ScrapeError, String(e));
      }
    }
  });
});

function pick(r: ResponseHead): Partial<ResponseHead> {
  const o: Record<string, unknown> = { status: r.status, statusText: r.statusText };
  if (r.contentLength !== -1) o.contentLength = r.contentLength;
  if (r.chunked) o.chunked = true;
  if (!r.keepAlive) o.keepAlive = false;
  if (r.contentType !== '') o.contentType = r.contentType;
  return o;
}

function statusOf(text: string): { status: number; statusText: string } {
  const { r } = parse(text);
  return { status: r.status, statusText: r.statusText };
}

function frame(text: string): { contentLength: number; chunked: boolean; keepAlive: boolean } {
  const { r } = parse(text);
  return { contentLength: r.contentLength, chunked: r.chunked, keepAlive: r.keepAlive };
}
