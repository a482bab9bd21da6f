/**
 * `npm run lint:deploy` (a step of `npm test`): checks what operators deploy, in deploy/.
 *  - the image definition, deploy/Containerfile, with dockerfilelint;
 *  - every resource each kustomization lists (base, overlays, monitoring) against Kubernetes'
 *    JSON schemas (kubernetes-models; @kubernetes-models/prometheus-operator for the
 *    PrometheusRule and PodMonitor);
 *  - every overlay patch names a resource its kustomization has (no npm package renders
 *    kustomizations, so a patch aimed at nothing would otherwise pass unseen);
 *  - where `kubectl` is installed, each kustomization rendered by its built-in Kustomize, and
 *    the rendered resources validated again (said, not failed, where it is not).
 * Exits 1 naming each problem.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const DEPLOY_DIR = resolve(__dirname, '..', 'deploy');
/** The kustomizations operators apply. */
export const KUSTOMIZATIONS = ['kubernetes/base', 'kubernetes/overlays/province', 'kubernetes/overlays/province-compact', 'kubernetes/overlays/national', 'monitoring'].map((dir) =>
  join(DEPLOY_DIR, dir),
);

export interface Resource {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

export interface Located {
  file: string;
  resource: Resource;
}

interface Patch {
  path?: string;
  patch?: string;
  target?: { kind?: string; name?: string; labelSelector?: string };
}

interface Kustomization {
  resources?: string[];
  /** Kustomize components (kind Component): their resources and patches apply to this kustomization. */
  components?: string[];
  patches?: Patch[];
}

export function readYamlDocuments(file: string): Resource[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0].message}`);
    return doc.toJS() as Resource;
  });
}

function readKustomization(dir: string): Kustomization {
  return readYamlDocuments(join(dir, 'kustomization.yaml'))[0] as unknown as Kustomization;
}

/** The resources a kustomization lists, following the kustomizations it builds on and its components. */
export function kustomizationResources(dir: string): Located[] {
  const found: Located[] = [];
  const kustomization = readKustomization(dir);
  for (const component of kustomization.components ?? []) found.push(...kustomizationResources(resolve(dir, component)));
  for (const entry of kustomization.resources ?? []) {
    const path = resolve(dir, entry);
    if (existsSync(join(path, 'kustomization.yaml'))) found.push(...kustomizationResources(path));
    else for (const resource of readYamlDocuments(path)) found.push({ file: path, resource });
  }
  return found;
}

/** kubernetes-models' module for an apiVersion and kind (`apps/v1` `Deployment` → kubernetes-models/apps/v1/Deployment). */
function modelModule(apiVersion: string, kind: string): string {
  if (apiVersion.startsWith('monitoring.coreos.com/')) return `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}`;
  return `kubernetes-models/${apiVersion}/${kind}`;
}

/** What Kubernetes' schema says is wrong with a resource, or null. */
export function schemaProblem(resource: Resource): string | null {
  let Model: new (data: unknown) => { validate(): void };
  try {
    Model = (require(modelModule(resource.apiVersion, resource.kind)) as Record<string, typeof Model>)[resource.kind];
  } catch {
    return `no schema for ${resource.apiVersion} ${resource.kind}`;
  }
  try {
    new Model(resource).validate();
    return null;
  } catch (error) {
    return (error as Error).message.split('\n').slice(0, 3).join('; ');
  }
}

function matchesSelector(resource: Resource, selector: string): boolean {
  return selector.split(',').every((term) => {
    const [key, value] = term.split('=');
    return resource.metadata.labels?.[key.trim()] === value?.trim();
  });
}

/** A kustomization's own patches and its components', each with the folder it is written in (its `path` is relative to it) and its place there. */
export function kustomizationPatches(dir: string): { dir: string; index: number; patch: Patch }[] {
  const kustomization = readKustomization(dir);
  return [
    ...(kustomization.components ?? []).flatMap((component) => kustomizationPatches(resolve(dir, component))),
    ...(kustomization.patches ?? []).map((patch, index) => ({ dir, index, patch })),
  ];
}

/** Patches of a kustomization (or of its components) that would change nothing: their target matches none of its resources. */
export function patchTargetProblems(dir: string): string[] {
  const resources = kustomizationResources(dir).map((located) => located.resource);
  const problems: string[] = [];
  for (const { dir: from, index, patch } of kustomizationPatches(dir)) {
    const where = `${relative(DEPLOY_DIR, from)} patches[${index}]${patch.path ? ` (${patch.path})` : ''}`;
    // A patch file without a target names its resource itself.
    const named = !patch.target && patch.path ? readYamlDocuments(join(from, patch.path))[0] : undefined;
    const target = patch.target ?? (named ? { kind: named.kind, name: named.metadata.name } : {});
    const matched = resources.filter(
      (r) => (!target.kind || r.kind === target.kind) && (!target.name || r.metadata.name === target.name) && (!target.labelSelector || matchesSelector(r, target.labelSelector)),
    );
    if (matched.length === 0) problems.push(`${where}: its target ${JSON.stringify(target)} matches no resource`);
  }
  return problems;
}

/** Each kustomization rendered by kubectl's Kustomize, or null without kubectl. */
function renderWithKubectl(dir: string): Resource[] | null {
  if (spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status !== 0) return null;
  const text = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  return parseAllDocuments(text).map((doc) => doc.toJS() as Resource);
}

function main(): void {
  const problems: string[] = [];
  const containerfile = join(DEPLOY_DIR, 'Containerfile');
  const lint = spawnSync(process.execPath, [require.resolve('dockerfilelint/bin/dockerfilelint'), containerfile], { encoding: 'utf8' });
  if (lint.status !== 0) problems.push(`deploy/Containerfile (dockerfilelint):\n${lint.stdout}${lint.stderr}`);
  else console.log('deploy/Containerfile: dockerfilelint found no issue');

  for (const dir of KUSTOMIZATIONS) {
    const name = relative(DEPLOY_DIR, dir);
    const resources = kustomizationResources(dir);
    for (const { file, resource } of resources) {
      const problem = schemaProblem(resource);
      if (problem) problems.push(`${relative(DEPLOY_DIR, file)} ${resource.kind}/${resource.metadata?.name}: ${problem}`);
    }
    problems.push(...patchTargetProblems(dir));
    let rendered: Resource[] | null = null;
    try {
      rendered = renderWithKubectl(dir);
    } catch (error) {
      problems.push(`${name}: kubectl kustomize failed: ${(error as Error).message}`);
    }
    for (const resource of rendered ?? []) {
      const problem = schemaProblem(resource);
      if (problem) problems.push(`${name} (rendered) ${resource.kind}/${resource.metadata.name}: ${problem}`);
    }
    console.log(
      `${name}: ${resources.length} resources against the schemas` +
        (rendered ? `; rendered by kubectl kustomize: ${rendered.length} resources` : '; not rendered (kubectl is not installed)'),
    );
  }
  if (problems.length > 0) {
    console.error(`deploy/: ${problems.length} problem(s)\n  - ${problems.join('\n  - ')}`);
    process.exit(1);
  }
  console.log('deploy/: valid');
}

if (require.main === module) main();

