import { PromsoakError } from '../common/errors.js';
import { startFleet, type Fleet } from '../fleet/fleet.js';
import { writeFileSd, type TargetGroup } from '../fleet/sd.js';
import { FleetMeter, type FleetFrameMeter } from './fleet-meter.js';
import { connectFleet } from './remote-fleet.js';
import type { RunDir } from './run-dir.js';
import { serveSd } from './sd-server.js';
import { ShardPoller } from './shard-poller.js';
import { planSoak, type SoakOptions, type SoakPlan } from './soak-plan.js';

/**
 * Where a soak's load comes from: its own fleet, started in this process (the default), or
 * fleets already running (`--fleet <url>,…`: shards on this or other hosts). Either way the
 * system under test reads `file_sd.json` in the run directory (or `{http_sd}`), and the
 * recorders ask `meter` for the fleet's side of each frame.
 */
export interface FleetSource {
  fileSd: string;
  httpSd: string;
  meter: FleetFrameMeter;
  /** Every target, in order: what file_sd.json and http_sd hold at the start (capacity/dial-sd.ts offers a prefix of it). */
  groups: readonly TargetGroup[];
  /** http_sd serves these groups from now on. */
  serveTargets(groups: readonly TargetGroup[]): void;
  /** The soak's own fleet (absent for --fleet's shards): a pushing soak starts and drains its push there. */
  own?: Fleet;
  close(): Promise<void>;
}

/**
 * The soak's plan, with `--fleet`'s shards read and checked first (one line naming the shard
 * when one does not answer or does not fit): their profile is the soak's, their cores the
 * fleet's.
 */
export async function planFleetSoak(o: SoakOptions): Promise<SoakPlan> {
  if (o.fleet === undefined) {
    if (o.allowTargetHosts !== undefined) throw new PromsoakError('PROMSOAK_USAGE', '--allow-target-hosts applies to the targets of --fleet\'s shards: give --fleet too');
    return planSoak(o);
  }
  const remote = await connectFleet({ fleet: o.fleet, profile: o.profile, exporters: o.exporters, allowTargetHosts: o.allowTargetHosts });
  const plan = planSoak({ ...o, profile: remote.profile });
  plan.remote = remote;
  plan.meta.fleetCores = remote.cores;
  plan.meta.fleetShared = remote.onThisHost;
  return plan;
}

/** Starts the soak's own fleet, or writes the shards' merged targets and starts polling their /stats. */
export async function openFleetSource(plan: SoakPlan, dir: RunDir, onEvent?: (line: string) => void): Promise<FleetSource> {
  if (!plan.remote) {
    // One serving thread per core the fleet is given (the cores the engine is not pinned to).
    const fleet = await startFleet({ profile: plan.profile, outDir: dir.path, threads: Math.max(1, Math.floor(plan.launch.fleetCores)) });
    return { fileSd: fleet.fileSd!, httpSd: fleet.httpSd, meter: new FleetMeter(fleet), groups: fleet.targetGroups(), serveTargets: fleet.serveTargets, own: fleet, close: () => fleet.close() };
  }
  const fileSd = writeFileSd(dir.path, plan.remote.groups);
  const sd = await serveSd(plan.remote.groups);
  const poller = new ShardPoller(plan.remote.shards, { onEvent }).start();
  return {
    fileSd,
    httpSd: sd.url,
    meter: poller,
    groups: plan.remote.groups,
    serveTargets: sd.set,
    close: async () => {
      poller.stop();
      await sd.close();
    },
  };
}
