/**
 * The Date header's value (RFC 9110 IMF-fixdate, always 29 characters), made once a second
 * rather than once a response.
 */
let second = -1;
let text = '';
let bytes = Buffer.alloc(29);

export function httpDate(now = Date.now()): string {
  const s = Math.floor(now / 1000);
  if (s !== second) {
    second = s;
    text = new Date(s * 1000).toUTCString();
    bytes = Buffer.from(text, 'latin1');
  }
  return text;
}

/** The same as bytes (29 of them), for heads written straight into a body's buffer. */
export function httpDateBytes(now = Date.now()): Buffer {
  httpDate(now);
  return bytes;
}
