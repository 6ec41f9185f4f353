/**
 * What test/docs.test.ts reads out of the README and docs/*.md: the promsoak commands in their
 * fenced code blocks, the flags of their synopses, their relative links and their headings' anchors.
 */

/** A promsoak command line shown in a fenced block: its file line and its argv after `promsoak`. */
export interface ShownCommand {
  line: number;
  text: string;
  argv: string[];
}

/** A synopsis (a block fenced ```synopsis): the command's words and every --flag it names. */
export interface Synopsis {
  line: number;
  text: string;
  command: string[];
  flags: string[];
}

export interface Link {
  line: number;
  target: string;
}

interface Fenced {
  line: number;
  text: string;
  info: string;
}

const FENCE = /^\s*(```+|~~~+)\s*([\w-]*)/;

/** Each line inside a fenced block, with its 1-based line number and the block's info string. */
function fencedLines(markdown: string): Fenced[] {
  const out: Fenced[] = [];
  let open: { marker: string; info: string } | undefined;
  markdown.split('\n').forEach((text, i) => {
    const m = FENCE.exec(text);
    if (open === undefined) {
      if (m) open = { marker: m[1]!, info: m[2] ?? '' };
    } else if (m && m[1]!.startsWith(open.marker) && m[2] === '') open = undefined;
    else out.push({ line: i + 1, text, info: open.info });
  });
  return out;
}

/** The markdown with fenced blocks blanked (line numbers kept): where prose, links and headings are. */
function prose(markdown: string): string[] {
  const fenced = new Set(fencedLines(markdown).map((f) => f.line));
  return markdown.split('\n').map((text, i) => (fenced.has(i + 1) || FENCE.test(text) ? '' : text));
}

const PROGRAM = /^(?:\$\s+)?(?:[A-Z_][A-Z0-9_]*=\S*\s+)*(?:npx\s+promsoak|node\s+dist\/src\/cli\.js|promsoak)(?=\s|$)/;
/** `kubectl run … --image promsoak:<tag> -- <promsoak's arguments>`: the image's entrypoint is promsoak. */
const KUBECTL = /^(?:\$\s+)?kubectl\s.*?--image[= ]promsoak\S*\s.*?--(?=\s)/;
/** What promsoak prints: `promsoak: …`, `promsoak run: …`, `promsoak fleet ready: …`. */
const OUTPUT = /^promsoak(?: [a-z-]+)*:(?:\s|$)/;

/**
 * Splits a shell command line as sh would into words (quotes, backslashes), up to the first
 * unquoted `|`, `&&`, `;`, `&` or `#` comment: what the program itself is given.
 */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) word += line[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= '';
    } else if (c === '\\' && i + 1 < line.length) {
      word = (word ?? '') + line[++i];
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === '|' || c === ';' || c === '&' || (c === '#' && word === undefined)) {
      break;
    } else word = (word ?? '') + c;
  }
  if (word !== undefined) words.push(word);
  return words;
}

/**
 * Every promsoak command in the file's fenced blocks (not ```synopsis ones, nor ```text: diagrams): a line that starts with
 * `promsoak `, `$ promsoak`, `npx promsoak` or `node dist/src/cli.js` (after VAR=value prefixes), or a
 * `kubectl run` of the promsoak image (its arguments after `--`), joined with the lines its trailing `\`
 * continues onto; output lines (`promsoak run: …`) are not commands.
 */
export function shownCommands(markdown: string): ShownCommand[] {
  const lines = fencedLines(markdown).filter((f) => f.info !== 'synopsis' && f.info !== 'text');
  const out: ShownCommand[] = [];
  for (let i = 0; i < lines.length; i++) {
    const first = lines[i]!;
    const start = first.text.trim();
    if (!(PROGRAM.test(start) || start.startsWith('kubectl ')) || OUTPUT.test(start)) continue;
    let text = start;
    while (text.endsWith('\\') && i + 1 < lines.length && lines[i + 1]!.line === lines[i]!.line + 1) {
      text = text.slice(0, -1) + ' ' + lines[++i]!.text.trim();
    }
    const program = PROGRAM.exec(text) ?? KUBECTL.exec(text);
    if (program) out.push({ line: first.line, text, argv: shellWords(text.slice(program[0].length)) });
  }
  return out;
}

/**
 * Every synopsis in ```synopsis blocks: a line `promsoak <command words> …` and the indented lines
 * under it; the command is the words before the first `[`, `<`, `-` or `|`, the flags every `--name`.
 */
export function synopses(markdown: string): Synopsis[] {
  const out: Synopsis[] = [];
  for (const f of fencedLines(markdown).filter((l) => l.info === 'synopsis')) {
    const text = f.text.trim();
    if (text.startsWith('promsoak ')) {
      const words = text.split(/\s+/).slice(1);
      const end = words.findIndex((w) => /^[[<|-]/.test(w));
      out.push({ line: f.line, text, command: end < 0 ? words : words.slice(0, end), flags: [] });
    } else if (text !== '' && out.length === 0) {
      out.push({ line: f.line, text, command: [], flags: [] });
    }
    const last = out.at(-1);
    if (last) for (const m of text.matchAll(/--([a-z][a-z0-9-]*)/g)) last.flags.push(m[1]!);
  }
  return out;
}

/** Every inline link and image target `[…](target)` outside code, with its line. */
export function links(markdown: string): Link[] {
  const out: Link[] = [];
  prose(markdown).forEach((text, i) => {
    const bare = text.replace(/`[^`]*`/g, '');
    for (const m of bare.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push({ line: i + 1, target: m[1]! });
  });
  return out;
}

/** The anchors GitHub gives the file's headings (github-slugger: lower case, punctuation dropped, spaces to -, repeats -1, -2 …). */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const text of prose(markdown)) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
    if (!m) continue;
    const plain = m[1]!.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/<[^>]+>/g, '');
    const base = plain.trim().toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}
