import { DEFAULTS } from '../common/defaults.js';
import { z } from 'zod';

/**
 * The workload profile: what the fleet simulates. Validated before any default is used, so
 * a bad field is reported as the user wrote it (see load.ts for the one-line message).
 */

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * A profile's name: part of every run and compare directory's name, printed on terminals, and
 * sent by fleet shards to coordinators (`/stats`, `/profile`): letters, digits, `.`, `_`, `-`,
 * not starting with `.` or `-`, at most 64 characters. No `/`, no `..`, no control character.
 */
export const PROFILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
export const PROFILE_NAME_MAX = 64;
export const profileNameSchema = z
  .string({ error: 'must be a string' })
  .min(1, { error: 'must not be empty' })
  .max(PROFILE_NAME_MAX, { error: `must be at most ${PROFILE_NAME_MAX} characters (it names the run directory)` })
  .regex(PROFILE_NAME, { error: 'must be letters, digits, ".", "_" or "-", not starting with "." or "-" (it names the run directory)' });

const posInt = (what: string) =>
  z.number({ error: `must be ${what}` }).int({ error: `must be ${what}` }).positive({ error: `must be ${what}` });
const nonNegNumber = z.number({ error: 'must be a number >= 0' }).nonnegative({ error: 'must be a number >= 0' });

const metricName = z.string({ error: 'must be a string' }).regex(METRIC_NAME, { error: 'must be a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)' });
const labelName = z
  .string({ error: 'must be a string' })
  .regex(LABEL_NAME, { error: 'must be a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)' })
  .refine((s) => !s.startsWith('__'), { error: 'must not start with __ (reserved)' });

export const labelSchema = z
  .object({
    name: labelName,
    /** Generated values `<name>-0` … `<name>-(cardinality-1)` (or `<prefix>0` …). */
    cardinality: posInt('a positive integer').max(1_000_000, { error: 'must be at most 1000000' }).optional(),
    /** Explicit values; wins over cardinality. */
    values: z.array(z.string({ error: 'must be a string' }), { error: 'must be an array of strings' }).min(1, { error: 'must not be empty' }).optional(),
    prefix: z.string({ error: 'must be a string' }).optional(),
  })
  .strict()
  .refine((l) => l.cardinality !== undefined || l.values !== undefined, { error: 'needs cardinality or values' });

const familyBase = {
  name: metricName,
  help: z.string({ error: 'must be a string' }).optional(),
  labels: z.array(labelSchema, { error: 'must be an array' }).optional(),
  /** Replicate the family: names get `_<i>` suffixes (avalanche's metric count). */
  count: posInt('a positive integer').max(100_000, { error: 'must be at most 100000' }).optional(),
};

const finiteSorted = (what: string) =>
  z
    .array(z.number({ error: 'must be numbers' }).finite({ error: 'must be finite numbers' }), { error: `must be an array of ${what}` })
    .min(1, { error: 'must not be empty' })
    .refine((a) => a.every((v, i) => i === 0 || v > a[i - 1]!), { error: 'must be strictly increasing' });

export const familySchema = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('counter'), ...familyBase }).strict(),
    z.object({ type: z.literal('gauge'), ...familyBase }).strict(),
    z.object({ type: z.literal('untyped'), ...familyBase }).strict(),
    z
      .object({
        type: z.literal('histogram'),
        ...familyBase,
        buckets: finiteSorted('upper bounds').optional(),
      })
      .strict(),
    z
      .object({
        type: z.literal('summary'),
        ...familyBase,
        quantiles: finiteSorted('quantiles')
          .refine((a) => a.every((q) => q >= 0 && q <= 1), { error: 'must lie in [0, 1]' })
          .optional(),
      })
      .strict(),
    z
      .object({
        type: z.literal('replay'),
        /** A captured text-format exposition, relative to the profile's folder. */
        file: z.string({ error: 'must be a path' }).min(1, { error: 'must be a path' }),
        /** Label added to every replayed sample with the exporter's id. */
        instanceLabel: labelName.optional(),
        /** Counter increase per second (per exporter, scaled by a per-series factor). */
        counterRatePerSecond: nonNegNumber.optional(),
      })
      .strict(),
  ],
  { error: 'must have type counter, gauge, histogram, summary, untyped or replay' },
);

/** A fault's delay, ms: at most a day (the longest scrape interval); a timer past ~24.8 days would fire at once. */
const MAX_DELAY_MS = DEFAULTS.maxIntervalSeconds * 1000;
const delayMs = nonNegNumber.max(MAX_DELAY_MS, { error: `must be a number in 0..${MAX_DELAY_MS} (a day)` });

const fraction = z.number({ error: 'must be a number in [0, 1]' }).min(0, { error: 'must be a number in [0, 1]' }).max(1, { error: 'must be a number in [0, 1]' });
const fault = <T extends z.ZodRawShape>(extra: T) => z.object({ fraction, ...extra }).strict();

/**
 * Faults the fleet injects, each into a fraction of the exporters (chosen by the seed, each
 * exporter at most one fault): what real exporters do to a scraper.
 */
export const faultsSchema = z
  .object({
    /** Answers after a delay drawn per scrape, uniform in [minMs, maxMs]. */
    slow: fault({ minMs: delayMs, maxMs: delayMs }).refine((f) => f.maxMs >= f.minMs, { error: 'maxMs must be >= minMs' }).optional(),
    /** Never answers: the scraper's timeout ends the scrape. */
    timeout: fault({}).optional(),
    /** Answers with an HTTP error status (default 503). */
    http5xx: fault({ status: z.number({ error: 'must be an integer in 500..599' }).int({ error: 'must be an integer in 500..599' }).min(500, { error: 'must be an integer in 500..599' }).max(599, { error: 'must be an integer in 500..599' }).optional() }).optional(),
    /** A complete HTTP response whose exposition stops in the middle of a line. */
    truncated: fault({}).optional(),
    /** A garbage line in the middle of the exposition. */
    malformed: fault({}).optional(),
    /** Closes the connection in the middle of the body. */
    reset: fault({}).optional(),
    /** Down (the connection closed without an answer) for half of every period, up the other half. */
    flap: fault({ periodSeconds: z.number({ error: 'must be a number > 0' }).positive({ error: 'must be a number > 0' }) }).optional(),
    /** A body padded with comment lines to this many bytes (reported by a scraper with a body size limit). */
    oversized: fault({ bytes: posInt('a positive integer').max(1 << 30, { error: 'must be at most 1073741824' }) }).optional(),
  })
  .strict()
  .refine((f) => Object.values(f).reduce((a, x) => a + (x?.fraction ?? 0), 0) <= 1, { error: 'fractions must add up to at most 1' });

export const profileSchema = z
  .object({
    $schema: z.string().optional(),
    name: profileNameSchema.optional(),
    description: z.string({ error: 'must be a string' }).optional(),
    exporters: posInt('a positive integer').max(100_000, { error: 'must be at most 100000' }),
    scrapeIntervalSeconds: z.number({ error: 'must be a number > 0' }).positive({ error: 'must be a number > 0' }).max(DEFAULTS.maxIntervalSeconds, { error: `must be at most ${DEFAULTS.maxIntervalSeconds} (a day)` }).optional(),
    scrapeTimeoutSeconds: z.number({ error: 'must be a number > 0' }).positive({ error: 'must be a number > 0' }).max(DEFAULTS.maxIntervalSeconds, { error: `must be at most ${DEFAULTS.maxIntervalSeconds} (a day)` }).optional(),
    durationSeconds: z.number({ error: 'must be a number > 0' }).positive({ error: 'must be a number > 0' }).optional(),
    warmupSeconds: nonNegNumber.optional(),
    seed: z.number({ error: 'must be an integer' }).int({ error: 'must be an integer' }).optional(),
    format: z.enum(['negotiate', 'text', 'openmetrics'], { error: 'must be negotiate, text or openmetrics' }).optional(),
    churn: z
      .object({
        /** Every N s a fraction of each exporter's series is replaced by new ones (0: never). */
        seriesEverySeconds: nonNegNumber.optional(),
        seriesFraction: z.number({ error: 'must be a number in [0, 1]' }).min(0, { error: 'must be a number in [0, 1]' }).max(1, { error: 'must be a number in [0, 1]' }).optional(),
        /** Values change every N s (counters advance, gauges move). */
        valuesEverySeconds: z.number({ error: 'must be a number > 0' }).positive({ error: 'must be a number > 0' }).optional(),
      })
      .strict()
      .optional(),
    faults: faultsSchema.optional(),
    families: z.array(familySchema, { error: 'must be an array of metric families' }).min(1, { error: 'must list at least one family' }),
  })
  .strict();

export type ProfileInput = z.infer<typeof profileSchema>;
export type FamilyInput = z.infer<typeof familySchema>;
export type FaultsInput = z.infer<typeof faultsSchema>;
/** The fault kinds, in the order the fleet assigns exporters to them. */
export const FAULT_KINDS = ['slow', 'timeout', 'http5xx', 'truncated', 'malformed', 'reset', 'flap', 'oversized'] as const satisfies readonly (keyof FaultsInput)[];
export type FaultKind = (typeof FAULT_KINDS)[number];
