import ora, { type Ora } from 'ora';

/** A long command's spinner and its Ctrl-C: `interrupted` resolves on the first SIGINT or SIGTERM. */
export interface Interruptible {
  readonly spinner: Ora;
  readonly interrupted: Promise<void>;
  /** The signal that interrupted the command, if one did (143, not 130, is SIGTERM's exit). */
  signal(): NodeJS.Signals | undefined;
  /** Takes the handlers off (call when the command ends). */
  dispose(): void;
}

/**
 * An ora spinner on stderr (silent without a TTY or under CI: ora would print its first text as a
 * line of its own) and the signal handling `run` and `capacity` share: the first SIGINT or
 * SIGTERM says `stopping` on the spinner and resolves `interrupted`, so that the command ends
 * its work and writes what it has; a second Ctrl-C abandons it (exit 130).
 */
export function interruptible(text: string, stopping: string): Interruptible {
  const spinner = ora({ text, stream: process.stderr, isEnabled: process.stderr.isTTY && !process.env.CI });
  if (spinner.isEnabled) spinner.start();
  let interrupt!: () => void;
  const interrupted = new Promise<void>((r) => (interrupt = r));
  let signal: NodeJS.Signals | undefined;
  const onSignal = (s: NodeJS.Signals): void => {
    signal = s;
    spinner.text = stopping;
    interrupt();
    process.once('SIGINT', () => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    spinner,
    interrupted,
    signal: () => signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
