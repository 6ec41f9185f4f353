import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadProfile, parseProfile } from '../src/profile/load.js';
import { profileDigest } from '../src/profile/digest.js';
import { checkCoverage, parseShard, type Shard } from '../src/fleet/shard.js';
import type { FleetStats } from '../src/protocol/fleet-stats.js';
import type { TargetGroup } from '../src/fleet/sd.js';
import { CLI, ROOT, which } from './helpers/tools.js';
import { expandKubeletVars, readManifests, unknownFields, validateSchema, type Manifest } from './helpers/kubernetes.js';

/** The parts of the manifests this test reads. */
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}
interface Container {
  name: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  ports?: { name?: string; containerPort: number }[];
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  volumeMounts?: { name: string; mountPath: string }[];
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
}
interface StatefulSet extends Manifest {
  spec: {
    serviceName: string;
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: {
        securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
        containers: Container[];
        volumes: { name: string; configMap?: { name: string }; emptyDir?: object }[];
      };
    };
  };
}
interface Service extends Manifest {
  spec: { clusterIP?: string; selector: Record<string, string>; ports: { name: string; port: number; targetPort: string | number }[] };
}
interface ConfigMap extends Manifest {
  data: Record<string, string>;
}

const manifests = readManifests();
const one = <T extends Manifest>(kind: string, name?: string): T => {
  const found = manifests.filter((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
  assert.equal(found.length, 1, `one ${kind}${name ? ' ' + name : ''} in deploy/kubernetes/`);
  return found[0] as T;
};
const sts = one<StatefulSet>('StatefulSet');
const service = one<Service>('Service');
const profileCm = one<ConfigMap>('ConfigMap', 'promsoak-profile');
const promCm = one<ConfigMap>('ConfigMap', 'prometheus-promsoak');
const fleet = sts.spec.template.spec.containers[0]!;
const SHARDS_ENV = 'PROMSOAK_SHARDS';

/** The StatefulSet scaled the documented way: replicas and PROMSOAK_SHARDS changed together (or apart, to see it refused). */
function scaled(replicas: number, shardsEnv = replicas): StatefulSet {
  const copy = structuredClone(sts);
  copy.spec.replicas = replicas;
  copy.spec.template.spec.containers[0]!.env!.find((e) => e.name === SHARDS_ENV)!.value = String(shardsEnv);
  return copy;
}

/** A pod's environment as the kubelet gives it: values, and the downward API fields the manifest asks for. */
function podEnv(set: StatefulSet, ordinal: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of set.spec.template.spec.containers[0]!.env ?? []) {
    const field = e.valueFrom?.fieldRef?.fieldPath;
    if (e.value !== undefined) env[e.name] = expandKubeletVars(e.value, env);
    else if (field === 'metadata.name') env[e.name] = `${set.metadata.name}-${ordinal}`; // a StatefulSet pod's name
    else if (field === 'status.podIP') env[e.name] = `10.0.0.${ordinal + 1}`;
    else assert.fail(`env ${e.name}: this test does not know what the kubelet puts in ${JSON.stringify(e.valueFrom)}`);
  }
  return env;
}

/**
 * The argv the pod's container runs, through the same steps as on a node: the kubelet's
 * $(VAR) expansion, then the image's /bin/sh (dash on Debian, as in node:20-slim) running
 * the command, with `node` replaced by a script that prints the arguments it was given.
 */
function podArgv(set: StatefulSet, ordinal: number): string[] {
  const c = set.spec.template.spec.containers[0]!;
  const env = podEnv(set, ordinal);
  const argv = [...(c.command ?? []), ...(c.args ?? [])].map((a) => expandKubeletVars(a, env));
  assert.equal(argv[0], '/bin/sh', 'the container runs a shell (the ordinal is cut from the pod name)');
  const bin = mkdtempSync(join(tmpdir(), 'promsoak-k8s-bin-'));
  writeFileSync(join(bin, 'node'), '#!/bin/sh\nfor a in "$@"; do printf \'%s\\n\' "$a"; done\n');
  chmodSync(join(bin, 'node'), 0o755);
  const r = spawnSync('/bin/sh', argv.slice(1), { env: { ...env, PATH: `${bin}:/usr/bin:/bin` }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.replace(/\n$/, '').split('\n');
}

const option = (argv: string[], name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i < 0 ? undefined : argv[i + 1];
};

describe('deploy/kubernetes: the manifests', () => {
  it('every manifest passes the Kubernetes API schema (kubernetes-models), with no field the API lacks', { timeout: 60_000 }, async () => {
    const kinds = manifests.map((m) => m.kind).sort();
    assert.deepEqual(kinds, ['ConfigMap', 'ConfigMap', 'Namespace', 'Role', 'RoleBinding', 'Service', 'StatefulSet']);
    for (const m of manifests) await validateSchema(m);
    assert.deepEqual(unknownFields(manifests), []);
    // The checks bite: a wrong type, a missing field, a misspelt field.
    const bad = structuredClone(sts);
    (bad.spec as Record<string, unknown>).replicas = 'three';
    await assert.rejects(validateSchema(bad), /replicas must be integer/);
    const typo = structuredClone(sts);
    (typo.spec.template.spec as Record<string, unknown>).contianers = [];
    const errors = unknownFields([typo]);
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /^fleet\.statefulset\.yaml: StatefulSet promsoak-fleet: .*contianers.* does not exist in type 'IPodSpec'/);
  });

  it('the pieces fit: namespace, Service ↔ pods, ports, probes, the profile mount, a non-root read-only container', () => {
    const ns = one<Manifest>('Namespace').metadata.name;
    for (const m of manifests) if (m.kind !== 'Namespace') assert.equal(m.metadata.namespace, ns, `${m.file}: ${m.kind}`);
    assert.equal(sts.spec.serviceName, service.metadata.name);
    assert.equal(service.spec.clusterIP, 'None', 'headless: one DNS name per shard');
    const podLabels = sts.spec.template.metadata.labels;
    for (const [k, v] of Object.entries(service.spec.selector)) assert.equal(podLabels[k], v, `Service selector ${k}`);
    for (const [k, v] of Object.entries(sts.spec.selector.matchLabels)) assert.equal(podLabels[k], v, `StatefulSet selector ${k}`);
    const http = fleet.ports!.find((p) => p.name === 'http')!;
    assert.equal(service.spec.ports[0]!.targetPort, 'http');
    assert.equal(service.spec.ports[0]!.port, http.containerPort);
    for (const probe of [fleet.readinessProbe, fleet.livenessProbe]) {
      assert.equal(probe?.httpGet?.path, '/healthz');
      assert.equal(probe?.httpGet?.port, 'http');
    }
    const argv = podArgv(sts, 0);
    assert.deepEqual(argv.slice(0, 2), ['/app/dist/src/cli.js', 'fleet']);
    assert.equal(option(argv, '--port'), String(http.containerPort));
    // Serving thread k listens on --port + 1 + k, and /sd sends the scrapers there: each is a
    // declared container port.
    const threads = Number(option(argv, '--threads'));
    assert.ok(threads >= 1, 'the pods say how many serving threads (their ports depend on it)');
    for (let k = 0; k < threads; k++) assert.ok(fleet.ports!.some((p) => p.containerPort === http.containerPort + 1 + k), `serving thread ${k}'s port ${http.containerPort + 1 + k} is declared`);
    assert.equal(option(argv, '--listen'), '0.0.0.0');
    assert.equal(option(argv, '--advertise'), '10.0.0.1', 'targets carry the pod IP');
    // The profile: the ConfigMap's key, mounted where the command reads it.
    const vol = sts.spec.template.spec.volumes.find((v) => v.configMap?.name === profileCm.metadata.name)!;
    const mount = fleet.volumeMounts!.find((m) => m.name === vol.name)!;
    const key = Object.keys(profileCm.data)[0]!;
    assert.equal(argv[2], `${mount.mountPath}/${key}`);
    // What the fleet writes (--out) goes to a writable emptyDir: the root file system is read-only.
    const out = option(argv, '--out')!;
    const tmp = fleet.volumeMounts!.find((m) => out.startsWith(m.mountPath + '/'))!;
    assert.ok(sts.spec.template.spec.volumes.find((v) => v.name === tmp.name)?.emptyDir);
    assert.equal(fleet.securityContext?.readOnlyRootFilesystem, true);
    assert.equal(fleet.securityContext?.allowPrivilegeEscalation, false);
    assert.equal(sts.spec.template.spec.securityContext?.runAsNonRoot, true);
    assert.ok(sts.spec.template.spec.securityContext!.runAsUser! > 0);
  });

  it('the profile ConfigMap is a valid profile: the shipped default, verbatim', () => {
    const profile = parseProfile(profileCm.data['profile.json']!, '/etc/promsoak/profile.json');
    assert.equal(profileDigest(profile), profileDigest(loadProfile('default')));
  });

  it("the StatefulSet's shards cover the fleet exactly once for 1, 2, 3 and 7 replicas; replicas and PROMSOAK_SHARDS apart are caught", () => {
    assert.equal(podEnv(sts, 0)[SHARDS_ENV], String(sts.spec.replicas), `as shipped, ${SHARDS_ENV} equals replicas`);
    for (const replicas of [1, 2, 3, 7]) {
      const set = scaled(replicas);
      const shards: Shard[] = [];
      for (let ordinal = 0; ordinal < replicas; ordinal++) {
        const arg = option(podArgv(set, ordinal), '--shard')!;
        const shard = parseShard(arg);
        assert.deepEqual(shard, { index: ordinal, count: replicas }, `pod ${set.metadata.name}-${ordinal}`);
        shards.push(shard);
      }
      assert.equal(checkCoverage(shards), null, `${replicas} replicas`);
    }
    // Replicas raised alone: the new pod's --shard is out of range, and it refuses to start.
    assert.throws(() => parseShard(option(podArgv(scaled(4, 3), 3), '--shard')!), /--shard 3\/3: the index i must be in 0\.\.2/);
    // Replicas lowered alone: the shards that run do not cover the fleet, and say which is missing.
    const two = [0, 1].map((k) => parseShard(option(podArgv(scaled(2, 3), k), '--shard')!));
    assert.equal(checkCoverage(two), 'shard 2/3 missing: their exporters would not be served');
  });

  it("the pods' command, run for real on loopback: 3 shards of one profile, each serving its own exporters at its pod IP", { timeout: 90_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'promsoak-k8s-'));
    const profilePath = join(dir, 'profile.json');
    writeFileSync(profilePath, profileCm.data['profile.json']!);
    const children: ReturnType<typeof spawn>[] = [];
    try {
      const stats: FleetStats[] = [];
      for (let ordinal = 0; ordinal < sts.spec.replicas; ordinal++) {
        const argv = podArgv(sts, ordinal);
        // The pod's argv, except what only a pod has: its own network namespace (here loopback
        // and a free port, as three shards share this machine), the mounted profile, /tmp.
        const local = argv.map((a, i) => (i === 0 ? CLI : i === 2 ? profilePath : a));
        const set = (name: string, value: string): void => void local.splice(local.indexOf(name) + 1, 1, value);
        set('--listen', '127.0.0.1');
        set('--port', '0');
        set('--out', join(dir, String(ordinal)));
        const child = spawn(process.execPath, local, { stdio: ['ignore', 'pipe', 'pipe'] });
        children.push(child);
        let out = '';
        let err = '';
        child.stdout!.on('data', (d) => (out += d));
        child.stderr!.on('data', (d) => (err += d));
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error(`pod ${ordinal}: no ready line: ${out}${err}`)), 30_000);
          child.stdout!.on('data', () => out.includes('\n') && (clearTimeout(t), resolve()));
          child.once('exit', (code) => (clearTimeout(t), reject(new Error(`pod ${ordinal} exited ${code}: ${err}`))));
        });
        assert.match(out, new RegExp(`shard ${ordinal}/3: 33[34] of 1000 exporters`));
        const port = /:(\d+)\/sd/.exec(out)![1];
        // The serving threads' ports, from the ready line (`1 serving thread (port 40001)`).
        const serving = /serving threads? \(ports? ([\d, ]+)\)/.exec(out)![1]!.split(', ');
        assert.equal(serving.length, Number(option(local, '--threads')));
        const s = (await (await fetch(`http://127.0.0.1:${port}/stats`)).json()) as FleetStats;
        stats.push(s);
        const sd = (await (await fetch(`http://127.0.0.1:${port}/sd`)).json()) as TargetGroup[];
        assert.equal(sd.length, s.exporters);
        assert.ok(sd.every((g, i) => g.targets[0] === `10.0.0.${ordinal + 1}:${serving[i % serving.length]}` && Number(g.labels.exporter) % 3 === ordinal));
        assert.equal((await fetch(`http://127.0.0.1:${serving[0]}/exporters/${ordinal}/metrics`)).status, 200);
      }
      assert.equal(checkCoverage(stats.map((s) => s.shard!)), null);
      assert.equal(new Set(stats.map((s) => s.profile.digest)).size, 1);
      assert.equal(stats.reduce((n, s) => n + s.exporters, 0), 1000);
      // Kubernetes stops a pod with SIGTERM: a clean exit.
      for (const c of children) c.kill('SIGTERM');
      const codes = await Promise.all(children.map((c) => (c.exitCode !== null ? c.exitCode : new Promise((r) => c.once('exit', r)))));
      assert.deepEqual(codes, [0, 0, 0]);
    } finally {
      for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    }
  });
});

describe('deploy/kubernetes: the Prometheus example', () => {
  const config = promCm.data['prometheus.yml']!;
  type Job = { job_name: string; http_sd_configs?: { url: string }[]; kubernetes_sd_configs?: { role: string; namespaces?: { names: string[] } }[]; relabel_configs?: { source_labels?: string[]; regex?: string; action?: string; replacement?: string; target_label?: string }[] };
  const jobs = (parseYaml(config) as { scrape_configs: Job[] }).scrape_configs;

  it('one http_sd URL per shard, at its stable DNS name; the fleet job keeps the Service\'s endpoints', () => {
    const exporters = jobs.find((j) => j.job_name === 'promsoak-exporters')!;
    const ns = sts.metadata.namespace;
    const port = service.spec.ports[0]!.port;
    assert.deepEqual(
      exporters.http_sd_configs!.map((c) => c.url),
      Array.from({ length: sts.spec.replicas }, (_, i) => `http://${sts.metadata.name}-${i}.${service.metadata.name}.${ns}.svc:${port}/sd`),
    );
    const fleetJob = jobs.find((j) => j.job_name === 'promsoak-fleet')!;
    assert.equal(fleetJob.kubernetes_sd_configs![0]!.role, 'endpoints');
    assert.deepEqual(fleetJob.kubernetes_sd_configs![0]!.namespaces!.names, [ns]);
    const keep = fleetJob.relabel_configs!.find((r) => r.action === 'keep')!;
    assert.deepEqual(keep.source_labels, ['__meta_kubernetes_service_name', '__meta_kubernetes_endpoint_port_name']);
    assert.ok(new RegExp(`^(?:${keep.regex})$`).test(`${service.metadata.name};${service.spec.ports[0]!.name}`));
    const rbac = one<Manifest & { rules: { resources: string[]; verbs: string[] }[] }>('Role');
    assert.ok(rbac.rules.some((r) => r.resources.includes('endpoints') && r.verbs.includes('list') && r.verbs.includes('watch')));
  });

  it('the soak job finds the pod docs/kubernetes.md\'s `kubectl run promsoak-soak` makes, at the --metrics-port the page gives it', () => {
    const soak = jobs.find((j) => j.job_name === 'promsoak-soak')!;
    assert.equal(soak.kubernetes_sd_configs![0]!.role, 'pod');
    assert.deepEqual(soak.kubernetes_sd_configs![0]!.namespaces!.names, [sts.metadata.namespace]);
    const keep = soak.relabel_configs!.find((r) => r.action === 'keep')!;
    assert.deepEqual(keep.source_labels, ['__meta_kubernetes_pod_label_run']);
    // kubectl run <name> labels its pod run=<name>.
    const page = readFileSync(join(ROOT, 'docs', 'kubernetes.md'), 'utf8');
    const name = /kubectl -n promsoak run (\S+) /.exec(page)![1]!;
    assert.ok(new RegExp(`^(?:${keep.regex})$`).test(name), `the keep regex matches ${name}`);
    const port = /--metrics-port (\d+) --metrics-host 0\.0\.0\.0/.exec(page)![1]!;
    assert.equal(soak.relabel_configs!.find((r) => r.target_label === '__address__')!.replacement, `$1:${port}`);
  });

  const promtool = which('promtool');
  it('promtool check config accepts it', { skip: promtool ? false : 'promtool not installed (apt-get install prometheus)' }, (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'promsoak-k8s-prom-'));
    const check = (text: string): { status: number | null; out: string } => {
      writeFileSync(join(dir, 'prometheus.yml'), text);
      const r = spawnSync(promtool!, ['check', 'config', join(dir, 'prometheus.yml')], { encoding: 'utf8' });
      return { status: r.status, out: r.stdout + r.stderr };
    };
    const full = check(config);
    if (full.status !== 0 && /field kubernetes_sd_configs not found/.test(full.out)) {
      // Debian builds Prometheus without Kubernetes service discovery: check the rest, say so.
      t.diagnostic("this promtool has no kubernetes_sd (Debian's build): the promsoak-fleet job is checked by the structure test above only");
      const without = config.replace(/\n\s*- job_name: promsoak-fleet[\s\S]*$/, '\n');
      assert.match(without, /job_name: promsoak-exporters/);
      const rest = check(without);
      assert.equal(rest.status, 0, rest.out);
      return;
    }
    assert.equal(full.status, 0, full.out);
  });
});

describe('Containerfile', () => {
  const text = readFileSync(join(ROOT, 'Containerfile'), 'utf8');
  it('Node 20 slim, a build stage for tsc, npm ci --omit=dev, a non-root user, and the paths the StatefulSet runs', () => {
    const from = [...text.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    assert.deepEqual(from, ['node:20-slim', 'node:20-slim']);
    assert.match(text, /^FROM node:20-slim AS build$/m);
    assert.match(text, /^RUN npx tsc -p tsconfig\.json$/m);
    assert.match(text, /^RUN npm ci --omit=dev .*--ignore-scripts/m);
    const user = [...text.matchAll(/^USER (\S+)$/gm)].map((m) => m[1]!);
    assert.equal(user.length, 1);
    assert.ok(!['root', '0'].includes(user[0]!));
    assert.match(text, /^WORKDIR \/app$/m);
    assert.match(text, /^COPY --from=build \/src\/dist\/src \.\/dist\/src$/m);
    assert.match(text, /^COPY --from=build \/src\/dist\/workers \.\/dist\/workers$/m, 'the serving threads load dist/workers/server.js');
    assert.equal(podArgv(sts, 0)[0], '/app/dist/src/cli.js');
    // The build stage copies what tsconfig.json compiles.
    const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as { include: string[] };
    for (const inc of tsconfig.include) assert.match(text, new RegExp(`^COPY ${inc.split('/')[0]} \\./${inc.split('/')[0]}$`, 'm'), inc);
  });
});
