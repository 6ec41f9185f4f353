import { PromsoakError } from './errors.js';

/**
 * Splits a command line into argv words the way POSIX sh forms words, and does nothing else:
 * single quotes keep everything literal; double quotes keep everything literal but `\$`, `` \` ``,
 * `\"`, `\\` and backslash-newline; outside quotes a backslash keeps the next character
 * literal. There is no expansion: `$VAR`, `$(…)`, backquotes, globs and `~` stay as written.
 * An operator sh would act on (`|`, `&`, `;`, `<`, `>`) outside quotes is refused rather than
 * passed on as an argument, as is an unterminated quote or a trailing backslash: each a usage
 * error that starts with `what` and names the column (1-based) in the command line.
 */
export function splitWords(text: string, what = 'the command line'): string[] {
  const words: string[] = [];
  let word = '';
  // A word begun, even an empty one ('' or "").
  let inWord = false;
  const fail = (message: string): PromsoakError => new PromsoakError('PROMSOAK_USAGE', `${what}: ${message}`);
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw fail(`the ' quote opened at column ${i + 1} of the command line is never closed`);
      word += text.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      const open = i;
      for (i++; ; i++) {
        if (i >= text.length) throw fail(`the " quote opened at column ${open + 1} of the command line is never closed`);
        const d = text[i]!;
        if (d === '"') break;
        if (d === '\\' && i + 1 < text.length && '$`"\\\n'.includes(text[i + 1]!)) {
          i++;
          if (text[i] !== '\n') word += text[i];
        } else {
          word += d;
        }
      }
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 >= text.length) throw fail(`a backslash at column ${i + 1} ends the command line (it escapes nothing)`);
      i++;
      // Backslash-newline joins lines; it makes no character.
      if (text[i] !== '\n') {
        word += text[i];
        inWord = true;
      }
    } else if ('|&;<>'.includes(c)) {
      throw fail(`"${c}" at column ${i + 1} of the command line is a shell operator, and no shell runs the command (quote it, or run one: sh -c '…' sh {dir})`);
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}
