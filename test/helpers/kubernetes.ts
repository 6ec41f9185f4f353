import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';
import { ROOT } from './tools.js';

/**
 * Offline checks of Kubernetes manifests against the API's schemas, with the
 * `kubernetes-models` packages (generated from Kubernetes' OpenAPI): their validate() checks
 * types, required fields and formats; their TypeScript interfaces catch what validate() lets
 * through, a field the API does not have (a typo such as `contianers`), as `kubectl apply
 * --validate=strict` would.
 */

export interface Manifest {
  file: string;
  /** The document's index in its file. */
  doc: number;
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

export const KUBERNETES_DIR = join(ROOT, 'deploy', 'kubernetes');

/** Every document of every *.yaml in `dir`; a YAML error fails with the file and the line. */
export function readManifests(dir = KUBERNETES_DIR): Manifest[] {
  const out: Manifest[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort()) {
    parseAllDocuments(readFileSync(join(dir, file), 'utf8')).forEach((d, i) => {
      if (d.errors.length > 0) throw new Error(`${file}: document ${i}: ${d.errors[0]!.message}`);
      const m = d.toJS() as Manifest | null;
      if (m) out.push({ ...m, file, doc: i });
    });
  }
  return out;
}

/** The module of a kind: kubernetes-models/<group/version>/<Kind> (core's group is "v1"). */
const modelPath = (m: Pick<Manifest, 'apiVersion' | 'kind'>): string => `kubernetes-models/${m.apiVersion}/${m.kind}`;

const bare = (m: Manifest): Record<string, unknown> => {
  const { file: _f, doc: _d, ...rest } = m;
  return rest;
};

/** kubernetes-models' validate(): the schema's types, required fields, enums and formats. */
export async function validateSchema(m: Manifest): Promise<void> {
  let mod: Record<string, new (data: unknown) => { validate(): void }>;
  try {
    mod = await import(modelPath(m));
  } catch {
    throw new Error(`${m.file}: ${m.apiVersion} ${m.kind} is not a kind of the Kubernetes API that kubernetes-models knows`);
  }
  const Model = mod[m.kind]!;
  try {
    new Model(bare(m)).validate();
  } catch (e) {
    throw new Error(`${m.file}: ${m.kind} ${m.metadata?.name}: ${(e as Error).message}`);
  }
}

/**
 * Fields the API does not have, in every manifest at once: each becomes an object literal
 * typed with its kind's interface in one TypeScript program; excess-property errors name
 * the field. Returns the errors (empty when none), each with its manifest.
 */
export function unknownFields(manifests: Manifest[]): string[] {
  const file = join(ROOT, '__kubernetes_manifests__.ts');
  const lines = manifests.map((m, i) => `import type { I${m.kind} as T${i} } from '${modelPath(m)}';`);
  manifests.forEach((m, i) => lines.push(`export const m${i}: T${i} = ${JSON.stringify(bare(m))};`));
  const source = lines.join('\n');
  const host = ts.createCompilerHost({});
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.getSourceFile = (f, lang, ...rest) => (f === file ? ts.createSourceFile(f, source, lang) : getSourceFile(f, lang, ...rest));
  host.fileExists = (f) => f === file || fileExists(f);
  const program = ts.createProgram(
    [file],
    { strict: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, types: [], skipLibCheck: true },
    host,
  );
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
    const n = manifests.length;
    const m = line < 0 ? undefined : line < n ? manifests[line] : manifests[line - n];
    const where = m ? `${m.file}: ${m.kind} ${m.metadata?.name}` : 'manifests';
    return `${where}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
  });
}

/** Kubernetes' $(VAR) expansion in command and args ($$ is a literal $), as the kubelet does it. */
export function expandKubeletVars(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (all, name: string | undefined) => (name === undefined ? '$' : (env[name] ?? all)));
}
