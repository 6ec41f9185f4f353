/** A deliberately small sample reader for test assertions (the engine has the real parser): `name{labels}` as printed → value. */
export function samplesOf(body: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    m.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return m;
}
