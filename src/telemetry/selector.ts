import { PromsoakError } from '../common/errors.js';

/**
 * A series selector over one /metrics body, PromQL's instant-vector selector cut down to what
 * a soak's column needs: `name` or `name{label="v",other!="w",l=~"re",m!~"re"}`, and several
 * joined by ` + `, whose matching series are all summed.
 */
export interface Matcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
  /** =~ and !~: the value anchored at both ends, as PromQL anchors it. */
  re?: RegExp;
}

export interface Selector {
  text: string;
  terms: { name: string; matchers: Matcher[] }[];
}

const NAME = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;
const LABEL = /[a-zA-Z_][a-zA-Z0-9_]*/y;
const OP = /=~|!~|!=|=/y;
const SPACE = /[ \t]*/y;

/** Parses a selector; a bad one throws PROMSOAK_USAGE naming the selector and the 1-based column. */
export function parseSelector(text: string): Selector {
  let at = 0;
  const fail = (expected: string): never => {
    const found = at >= text.length ? 'the end' : JSON.stringify(text.slice(at, at + 10));
    throw new PromsoakError('PROMSOAK_USAGE', `selector ${JSON.stringify(text)}: column ${at + 1}: expected ${expected}, found ${found}`);
  };
  const take = (re: RegExp): string | undefined => {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m || m[0] === '') return undefined;
    at = re.lastIndex;
    return m[0];
  };
  const space = (): void => void take(SPACE);
  const quoted = (): string => {
    if (text[at] !== '"') fail('a quoted label value');
    let v = '';
    for (at++; at < text.length && text[at] !== '"'; at++) {
      if (text[at] !== '\\') {
        v += text[at];
        continue;
      }
      const next = text[++at];
      // The exposition format's escapes; any other backslash stays (a regex's \. or \d).
      v += next === 'n' ? '\n' : next === '"' || next === '\\' ? next : `\\${next ?? ''}`;
    }
    if (at >= text.length) fail('a closing "');
    at++;
    return v;
  };

  const terms: Selector['terms'] = [];
  for (;;) {
    space();
    const name = take(NAME) ?? fail('a metric name');
    const matchers: Matcher[] = [];
    space();
    if (text[at] === '{') {
      at++;
      for (space(); text[at] !== '}'; space()) {
        const label = take(LABEL) ?? fail('a label name or }');
        space();
        const op = (take(OP) ?? fail('=, !=, =~ or !~')) as Matcher['op'];
        space();
        const valueAt = at;
        const value = quoted();
        const m: Matcher = { label, op, value };
        if (op === '=~' || op === '!~') {
          try {
            m.re = new RegExp(`^(?:${value})$`);
          } catch (e) {
            at = valueAt;
            fail(`a regular expression (${(e as Error).message.split(': ').pop()})`);
          }
        }
        matchers.push(m);
        space();
        if (text[at] === ',') at++;
        else if (text[at] !== '}') fail(', or }');
      }
      at++;
      space();
    }
    terms.push({ name, matchers });
    if (text[at] !== '+') break;
    at++;
  }
  if (at < text.length) fail('+ or the end');
  return { text, terms };
}

/** Whether a series (its labels; an absent label reads as "", as in PromQL) passes every matcher. */
export function matches(matchers: readonly Matcher[], labels: Readonly<Record<string, string>>): boolean {
  for (const m of matchers) {
    const v = labels[m.label] ?? '';
    const hit = m.op === '=' || m.op === '!=' ? v === m.value : m.re!.test(v);
    // = and =~ want a hit, != and !~ want none.
    if (hit !== (m.op === '=' || m.op === '=~')) return false;
  }
  return true;
}
