import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { buildCli } from '../src/cli.js';
import { ROOT } from './helpers/tools.js';
import { anchors, links, shownCommands, synopses } from './helpers/markdown.js';

/**
 * Every promsoak command the README and docs/*.md show parses with the CLI's own yargs definitions
 * (strict: unknown commands and flags, missing arguments, invalid choices fail), every synopsis
 * names only flags its command has, and every relative link reaches a file (and heading).
 */

class Parsed extends Error {}

/** The CLI's parse error for argv, or undefined when it reached a command's handler (stopped there). */
function parseError(argv: string[]): string | undefined {
  try {
    buildCli(argv)
      .exitProcess(false)
      .fail((msg, err) => {
        throw err ?? new Error(msg);
      })
      .middleware(() => {
        throw new Parsed();
      })
      .parseSync();
  } catch (e) {
    return e instanceof Parsed ? undefined : (e as Error).message.split('\n').join(' ');
  }
  return 'no command ran';
}

/** `promsoak <command> --help`, as yargs prints it (captured: nothing printed, nothing run). */
function helpOf(command: string[]): string {
  let help = '';
  buildCli([]).parse([...command, '--help'], {}, (_err, _argv, output) => {
    help = output;
  });
  return help;
}

/** A synopsis's problems: a command the CLI does not have, flags it does not take. */
function synopsisErrors(command: string[], flags: string[]): string[] {
  const help = helpOf(command);
  if (command.length === 0 || !help.includes(`promsoak ${command.join(' ')}`)) return [`no command "${command.join(' ')}"`];
  const has = (f: string): boolean => new RegExp(`--${f}(?![a-z0-9-])`).test(help);
  return flags.filter((f) => !has(f) && !(f.startsWith('no-') && has(f.slice(3)))).map((f) => `${command.join(' ')} has no --${f}`);
}

const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');

/** Every problem of one markdown file, each `file:line: what`. */
function problems(file: string, markdown: string): string[] {
  const out: string[] = [];
  for (const c of shownCommands(markdown)) {
    const err = parseError(c.argv);
    if (err !== undefined) out.push(`${file}:${c.line}: ${c.text}: ${err}`);
  }
  for (const s of synopses(markdown)) for (const err of synopsisErrors(s.command, s.flags)) out.push(`${file}:${s.line}: ${s.text}: ${err}`);
  for (const l of links(markdown)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(l.target)) continue; // https:, mailto:
    const [path, anchor] = l.target.split('#') as [string, string | undefined];
    const to = path === '' ? file : join(dirname(file), decodeURIComponent(path));
    if (relative(ROOT, join(ROOT, to)).startsWith('..')) out.push(`${file}:${l.line}: ${l.target}: outside the repository`);
    else if (!existsSync(join(ROOT, to))) out.push(`${file}:${l.line}: ${l.target}: no such file`);
    else if (anchor && to.endsWith('.md') && statSync(join(ROOT, to)).isFile() && !anchors(to === file ? markdown : read(to)).has(anchor)) {
      out.push(`${file}:${l.line}: ${l.target}: no heading #${anchor} in ${to}`);
    }
  }
  return out;
}

describe('docs', () => {
  it('every promsoak command, synopsis and relative link in README.md and docs/*.md is valid', () => {
    const found: string[] = [];
    let commands = 0;
    for (const file of DOCS) {
      const md = read(file);
      commands += shownCommands(md).length + synopses(md).length;
      found.push(...problems(file, md));
    }
    assert.deepEqual(found, []);
    // The extraction itself must find the commands: the README and docs show dozens.
    assert.ok(commands >= 40, `only ${commands} commands and synopses found`);
  });

  it('finds a broken command, flag, choice, argument, synopsis, link and anchor, with file and line', () => {
    const md = [
      '# Title',
      '```',
      '$ promsoak run default --duration 5 --bogus 1 | head',
      'promsoak run: default, ingester cached (output, not a command)',
      'promsoak runx default',
      "npx promsoak fleet --format xml && echo",
      'node dist/src/cli.js heap diff a.heapsnapshot',
      'promsoak compare default --cores 1,2 \\',
      '  --max-cpu 0.9 --no-such-flag',
      'promsoak run default --v8-flags --max-semi-space-size=16   # fine',
      'kubectl -n promsoak run soak --rm --image promsoak:0.1.0 -- \\',
      '  run --fleet http://x:9400 --metrics-hots 0.0.0.0',
      '```',
      '```synopsis',
      'promsoak engine --targets <file_sd.json> [--interval 5]',
      '                [--intervall 5]',
      '```',
      'See [run](run.md), [gone](docs/gone.md), [here](#title), [there](#nowhere) and [web](https://x.y/).',
    ].join('\n');
    const found = problems('README.md', md);
    const expected = [
        'README.md:3: $ promsoak run default --duration 5 --bogus 1 | head',
        'README.md:5: promsoak runx default',
        'README.md:6: npx promsoak fleet --format xml && echo',
        'README.md:7: node dist/src/cli.js heap diff a.heapsnapshot',
        'README.md:8: promsoak compare default --cores 1,2  --max-cpu 0.9 --no-such-flag',
        'README.md:11: kubectl -n promsoak run soak --rm --image promsoak:0.1.0 --  run --fleet http://x:9400 --metrics-hots 0.0.0.0',
        'README.md:15: promsoak engine --targets <file_sd.json> [--interval 5]',
        'README.md:18: run.md',
        'README.md:18: docs/gone.md',
        'README.md:18: #nowhere',
    ];
    assert.equal(found.length, expected.length, found.join('\n'));
    expected.forEach((e, i) => assert.ok(found[i]!.startsWith(`${e}: `), `${found[i]} (expected ${e}: …)`));
  });

  it('every npm script the docs name is in package.json', () => {
    const scripts = Object.keys((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts);
    const missing = DOCS.flatMap((file) => [...read(file).matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]!).filter((s) => !scripts.includes(s)).map((s) => `${file}: npm run ${s}`));
    assert.deepEqual(missing, []);
  });
});
