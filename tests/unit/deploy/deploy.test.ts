/**
 * What an operator relies on in deploy/: the manifests start the product as its configuration
 * expects (every variable read by the real loaders, each subgraph on the port its Service names),
 * probes ask paths the product serves, the termination grace outlasts the shutdown, secrets come
 * only by reference and with keys the README documents, pods run non-root on a read-only root,
 * the network policies isolate as the README says, the overlays aim at real resources, and the
 * alerts and the dashboard read metrics the processes really expose.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGatewayMetrics } from '../../../gateway/observability';
import { loadGatewayConfig, loadShutdownConfig, loadSubgraphConfig, SUBGRAPH_SOURCES } from '../../../lib/config';
import { startHttpService } from '../../../lib/http-service';
import { SUBGRAPHS, SubgraphName } from '../../../lib/sources';
import { DEPLOY_DIR, kustomizationPatches, kustomizationResources, patchTargetProblems, readYamlDocuments, Resource, schemaProblem } from '../../../scripts/lint-deploy';
import { subgraphMetrics } from '../../../subgraphs/common/metrics';

/* eslint-disable @typescript-eslint/no-explicit-any -- manifests are free-form YAML */
type Json = any;

const BASE = join(DEPLOY_DIR, 'kubernetes', 'base');
const PROVINCE = join(DEPLOY_DIR, 'kubernetes', 'overlays', 'province');
const NATIONAL = join(DEPLOY_DIR, 'kubernetes', 'overlays', 'national');
const COMPACT = join(DEPLOY_DIR, 'kubernetes', 'overlays', 'province-compact');
const base = kustomizationResources(BASE).map((located) => located.resource as Json);
const deployments = base.filter((r) => r.kind === 'Deployment');
const services = base.filter((r) => r.kind === 'Service');
const configMap = base.find((r) => r.kind === 'ConfigMap' && r.metadata.name === 'vn-gateway-config');
const policies = base.filter((r) => r.kind === 'NetworkPolicy');
const containerOf = (deployment: Json) => deployment.spec.template.spec.containers[0];
const deployment = (name: string) => deployments.find((d) => d.metadata.name === name);
// The compact shape: the base's gateway, settings and policies, every subgraph in one pod.
const compact = kustomizationResources(COMPACT).map((located) => located.resource as Json);
const together = compact.find((r) => r.kind === 'Deployment' && r.metadata.name === 'subgraphs');
/** Every Deployment an operator may run, in either shape. */
const everyDeployment = [...deployments, together];
/** The hourly check of the audit log, and the pod it runs. */
const auditCheck = base.find((r) => r.kind === 'CronJob' && r.metadata.name === 'audit-verify');
const auditCheckPod = auditCheck?.spec.jobTemplate.spec.template;
/** Every pod template, Deployments' and the CronJob's. */
const everyPod: Json[] = [...everyDeployment.map((d) => d.spec.template), auditCheckPod];
/** The subgraphs a subgraph Deployment's process serves: those its arguments name, or all. */
const servedBy = (d: Json): SubgraphName[] => (containerOf(d).args.length > 1 ? containerOf(d).args.slice(1) : [...SUBGRAPHS]);
const matchLabels = (selector: Json, labels: Record<string, string>) => Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);

/** Plausible values for what the Secrets hold, so the real configuration loaders can read a pod's environment. */
const SECRET_VALUES: Record<string, string> = {
  'jwks-url': 'https://issuer.example.gov.vn/.well-known/jwks.json',
  'audit-database-url': 'postgres://gateway:secret@postgresql.vn-gateway-data:5432/audit',
  'audit-reader-database-url': 'postgres://audit_reader:secret@postgresql.vn-gateway-data:5432/audit',
  'redis-url': 'redis://:secret@redis.vn-gateway-data:6379',
};

/** A container's environment as Kubernetes would give it: the ConfigMap, then its own env. */
function environmentOf(d: Json): Record<string, string> {
  const env: Record<string, string> = { ...configMap.data };
  for (const variable of containerOf(d).env ?? []) {
    env[variable.name] = variable.value ?? SECRET_VALUES[variable.valueFrom.secretKeyRef.key] ?? 'a-source-api-key';
  }
  return env;
}

function portNumber(container: Json, port: number | string): number {
  return typeof port === 'number' ? port : container.ports.find((p: Json) => p.name === port).containerPort;
}

describe('the base starts the product as its configuration expects', () => {
  it('has one Deployment and one Service for the gateway and for each subgraph', () => {
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(['gateway', ...SUBGRAPHS].sort());
    expect(services.map((s) => s.metadata.name).sort()).toEqual(['gateway', ...SUBGRAPHS].sort());
  });

  it("runs each subgraph alone, reading its settings, listening on every interface on its Service's port", () => {
    for (const name of SUBGRAPHS) {
      const d = deployment(name);
      expect(containerOf(d).args).toEqual(['subgraphs/main.ts', name]);
      const config = loadSubgraphConfig(name, environmentOf(d));
      expect(config.host).toBe('0.0.0.0');
      const service = services.find((s) => s.metadata.name === name);
      expect(portNumber(containerOf(d), service.spec.ports[0].targetPort)).toBe(config.port);
      expect(config.metrics?.port).toBe(9464);
    }
  });

  it('gives the gateway every production setting, and subgraph URLs that are the Services', () => {
    const d = deployment('gateway');
    expect(containerOf(d).args).toEqual(['gateway/main.ts']);
    const config = loadGatewayConfig(environmentOf(d));
    expect(config.production).toBe(true);
    expect(config.auditDatabaseUrl).toBeDefined();
    expect(config.jwksUrl).toBeDefined();
    expect(config.auditCheckpointKeyFile).toBeDefined();
    for (const name of SUBGRAPHS) {
      const url = new URL(config.subgraphUrls[name as SubgraphName]!);
      const service = services.find((s) => s.metadata.name === url.hostname);
      expect(service).toBeDefined();
      expect(service.spec.ports[0].port).toBe(Number(url.port));
    }
  });
});

describe('the compact shape (overlays/province-compact) starts every subgraph in one pod', () => {
  const compactServices = compact.filter((r) => r.kind === 'Service');

  it("keeps the base's gateway, settings and network policies, and runs one Deployment for the subgraphs", () => {
    expect(compact.filter((r) => r.kind === 'Deployment').map((d) => d.metadata.name).sort()).toEqual(['gateway', 'subgraphs']);
    expect(compact.find((r) => r.kind === 'Deployment' && r.metadata.name === 'gateway')).toEqual(deployment('gateway'));
    expect(compact.find((r) => r.kind === 'ConfigMap')).toEqual(configMap);
    expect(compact.filter((r) => r.kind === 'NetworkPolicy')).toEqual(policies);
  });

  it('serves each subgraph, in production, on the port of its Service, which has the name and port the gateway calls', () => {
    expect(containerOf(together).args).toEqual(['subgraphs/main.ts']);
    const env = environmentOf(together);
    const containerPorts = containerOf(together).ports.map((p: Json) => p.containerPort);
    for (const name of SUBGRAPHS) {
      const config = loadSubgraphConfig(name, env);
      expect(config.host).toBe('0.0.0.0');
      expect(config.metrics?.port).toBe(9464);
      const service = compactServices.find((s) => s.metadata.name === name);
      // The same Service as the base's, but for the pod it sends to.
      const inBase = services.find((s) => s.metadata.name === name);
      expect(service.spec.ports.map((p: Json) => p.port)).toEqual(inBase.spec.ports.map((p: Json) => p.port));
      expect(matchLabels(service.spec.selector, together.spec.template.metadata.labels)).toBe(true);
      expect(portNumber(containerOf(together), service.spec.ports[0].targetPort)).toBe(config.port);
      expect(containerPorts).toContain(config.port);
    }
    expect(compactServices.map((s) => s.metadata.name).sort()).toEqual(services.map((s) => s.metadata.name).sort());
  });

  it("gets every setting, secret and key file the base's nine subgraph pods get", () => {
    const names = (d: Json) => (containerOf(d).env ?? []).map((v: Json) => `${v.name}=${v.value ?? `${v.valueFrom.secretKeyRef.name}/${v.valueFrom.secretKeyRef.key}`}`);
    const keyFiles = (d: Json) => d.spec.template.spec.volumes.flatMap((v: Json) => (v.secret?.items ?? []).map((item: Json) => `${v.secret.secretName}/${item.key}`));
    const apart = deployments.filter((d) => d.metadata.name !== 'gateway');
    const given = new Set([...names(together), ...keyFiles(together)]);
    for (const wanted of new Set(apart.flatMap((d) => [...names(d), ...keyFiles(d)]))) {
      if (wanted.startsWith('HEALTH_PORT=')) continue; // the container's own health check: one port
      expect({ wanted, given: given.has(wanted) }).toEqual({ wanted, given: true });
    }
  });
});

describe('probes and stopping', () => {
  it('probes /health (liveness) and /ready (readiness) on the port the process serves, and the product answers both', async () => {
    const paths = new Set<string>();
    for (const d of everyDeployment) {
      const container = containerOf(d);
      // A process serving several subgraphs is ready on every port once all are (warm-up-together.ts).
      const served = d.metadata.name === 'gateway' ? [loadGatewayConfig(environmentOf(d)).port] : servedBy(d).map((name) => loadSubgraphConfig(name, environmentOf(d)).port);
      expect(container.livenessProbe.httpGet.path).toBe('/health');
      expect(container.readinessProbe.httpGet.path).toBe('/ready');
      for (const probe of [container.livenessProbe, container.readinessProbe, container.startupProbe]) {
        expect(served).toContain(portNumber(container, probe.httpGet.port));
        paths.add(probe.httpGet.path);
      }
    }
    // The HTTP shell every process runs in (lib/http-service.ts) answers them.
    const service = await startHttpService({
      host: '127.0.0.1',
      port: 0,
      requestIdOf: () => 'probe',
      spanName: 'probe',
      graphql: async (_req, res) => void res.writeHead(404).end(),
      release: async () => undefined,
    });
    try {
      for (const path of paths) expect((await fetch(`http://127.0.0.1:${service.port}${path}`)).status).toBe(200);
    } finally {
      await service.close();
    }
  });

  it('gives each pod longer to stop than SHUTDOWN_DELAY_MS and SHUTDOWN_TIMEOUT_MS and the process\'s own margin', () => {
    for (const d of everyDeployment) {
      const shutdown = loadShutdownConfig(environmentOf(d));
      expect(shutdown.delayMs).toBeGreaterThan(0);
      // lib/graceful-stop.ts exits on its own 5 s after delay + timeout; Kubernetes must not kill it first.
      expect(d.spec.template.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(shutdown.delayMs + shutdown.timeoutMs + 5000);
      // While /ready answers 503 during the delay, the readiness probe takes the pod out of its Service.
      const readiness = containerOf(d).readinessProbe;
      expect(readiness.periodSeconds * readiness.failureThreshold * 1000).toBeLessThanOrEqual(shutdown.delayMs);
    }
  });
});

describe('secrets and the pod sandbox', () => {
  /** `| \`secret\` | \`key\` | …` rows of the README's "Deploying" section. */
  function documentedSecretKeys(): Set<string> {
    const readme = readFileSync(join(DEPLOY_DIR, '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Deploying'), readme.indexOf('\n## ', readme.indexOf('## Deploying') + 1));
    return new Set([...section.matchAll(/^\| `([a-z0-9-]+)` \| `([a-z0-9.-]+)` \|/gm)].map((m) => `${m[1]}/${m[2]}`));
  }

  it('takes keys, the JWKS URL, database and Redis URLs and source keys from Secrets, by keys the README documents', () => {
    const documented = documentedSecretKeys();
    expect(documented.size).toBeGreaterThan(0);
    const referenced = new Set<string>();
    for (const pod of everyPod) {
      for (const variable of pod.spec.containers[0].env ?? []) {
        if (/^(JWKS_URL|AUDIT_DATABASE_URL|REDIS_URL|.*_SOURCE_KEY)$/.test(variable.name)) {
          expect({ name: variable.name, value: variable.value }).toEqual({ name: variable.name, value: undefined });
        }
        if (variable.valueFrom?.secretKeyRef) referenced.add(`${variable.valueFrom.secretKeyRef.name}/${variable.valueFrom.secretKeyRef.key}`);
      }
      for (const volume of pod.spec.volumes ?? []) {
        for (const item of volume.secret?.items ?? []) referenced.add(`${volume.secret.secretName}/${item.key}`);
      }
    }
    for (const reference of referenced) expect({ reference, documented: documented.has(reference) }).toEqual({ reference, documented: true });
    // Nothing secret in the ConfigMap, and no Secret written in the manifests.
    expect(Object.keys(configMap.data).filter((key) => /KEY|TOKEN|PASSWORD|DATABASE_URL|REDIS_URL|JWKS/.test(key))).toEqual([]);
    expect([...base, ...compact].filter((r) => r.kind === 'Secret')).toEqual([]);
  });

  it('connects only the gateway to the audit log as a role that may append; whatever else reads it reads as the reader role', () => {
    const readers: string[] = [];
    for (const pod of everyPod) {
      const name = pod.metadata.labels['app.kubernetes.io/name'];
      const url = (pod.spec.containers[0].env ?? []).find((variable: Json) => variable.name === 'AUDIT_DATABASE_URL');
      if (!url) continue;
      expect({ name, key: url.valueFrom.secretKeyRef.key }).toEqual({ name, key: name === 'gateway' ? 'audit-database-url' : 'audit-reader-database-url' });
      if (name !== 'gateway') readers.push(name);
    }
    expect(readers.sort()).toEqual(['audit', 'audit-verify', 'subgraphs']);
  });

  it('runs every container as a non-root user on a read-only root, without capabilities, with /tmp writable', () => {
    for (const template of everyPod) {
      const pod = template.spec;
      const container = pod.containers[0];
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
      const tmp = container.volumeMounts.find((m: Json) => m.mountPath === '/tmp');
      expect(pod.volumes.find((v: Json) => v.name === tmp.name).emptyDir).toBeDefined();
      expect(container.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
      expect(container.resources.limits.memory).toEqual(expect.any(String));
    }
  });
});

describe('network policies', () => {
  /** Who is talking: a pod of ours (its labels), a pod of another namespace, or an address. */
  type Peer = { labels: Record<string, string>; namespace?: string } | { ip: string };
  const ours = (name: string): Peer => ({ labels: deployment(name).spec.template.metadata.labels });
  const outside = (namespace: string, labels: Record<string, string> = {}): Peer => ({ namespace, labels });

  const inCidr = (ip: string, cidr: string) => {
    const [net, bits] = cidr.split('/');
    const toInt = (a: string) => a.split('.').reduce((n, octet) => (n << 8) + Number(octet), 0) >>> 0;
    const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0;
    return (toInt(ip) & mask) === (toInt(net) & mask);
  };
  function peerMatches(rule: Json, peer: Peer): boolean {
    if ('ip' in peer) return !!rule.ipBlock && inCidr(peer.ip, rule.ipBlock.cidr);
    if (rule.ipBlock) return false;
    const namespace = peer.namespace ?? 'vn-gateway';
    if (rule.namespaceSelector) return matchLabels(rule.namespaceSelector, { 'kubernetes.io/metadata.name': namespace }) && (!rule.podSelector || matchLabels(rule.podSelector, peer.labels));
    return namespace === 'vn-gateway' && matchLabels(rule.podSelector, peer.labels);
  }
  const portAllowed = (rule: Json, port: number) => !rule.ports || rule.ports.some((p: Json) => p.port === port);

  /** Whether the policies let `from` open a connection to `to` on `port` (both ends must allow it, as in Kubernetes). */
  function allowed(from: Peer, to: Peer, port: number): boolean {
    const side = (pod: Peer, direction: 'Ingress' | 'Egress', other: Peer) => {
      if ('ip' in pod || pod.namespace) return true; // outside our namespace: not ours to police
      const applying = policies.filter((p) => p.spec.policyTypes.includes(direction) && matchLabels(p.spec.podSelector, pod.labels));
      const rules = applying.flatMap((p) => (direction === 'Ingress' ? p.spec.ingress : p.spec.egress) ?? []);
      return rules.some((rule: Json) => (rule[direction === 'Ingress' ? 'from' : 'to'] ?? []).some((peer: Json) => peerMatches(peer, other)) && portAllowed(rule, port));
    };
    return side(from, 'Egress', to) && side(to, 'Ingress', from);
  }

  const SOURCE = { ip: '10.20.4.7' };
  const ISSUER = { ip: '10.30.0.10' };
  const reading = SUBGRAPHS.filter((name) => SUBGRAPH_SOURCES[name].length > 0);
  const notReading = SUBGRAPHS.filter((name) => SUBGRAPH_SOURCES[name].length === 0);
  const port = (name: string) => loadSubgraphConfig(name as SubgraphName, environmentOf(deployment(name))).port;

  it('lets the ingress controller reach the gateway, and nobody else from outside', () => {
    expect(allowed(outside('ingress-nginx'), ours('gateway'), 4000)).toBe(true);
    expect(allowed(outside('some-other-app'), ours('gateway'), 4000)).toBe(false);
    for (const name of SUBGRAPHS) expect(allowed(outside('ingress-nginx'), ours(name), port(name))).toBe(false);
  });

  it('lets only the gateway reach the subgraphs', () => {
    for (const name of SUBGRAPHS) {
      expect(allowed(ours('gateway'), ours(name), port(name))).toBe(true);
      for (const other of SUBGRAPHS) expect(allowed(ours(other), ours(name), port(name))).toBe(false);
      expect(allowed(outside('some-other-app'), ours(name), port(name))).toBe(false);
    }
  });

  it('lets only the subgraphs that read a source reach the sources; the gateway reaches the token issuer', () => {
    for (const name of reading) expect(allowed(ours(name), SOURCE, 443)).toBe(true);
    for (const name of notReading) expect(allowed(ours(name), SOURCE, 443)).toBe(false);
    expect(allowed(ours('gateway'), SOURCE, 443)).toBe(false);
    expect(allowed(ours('gateway'), ISSUER, 443)).toBe(true);
    expect(allowed(ours('population'), ISSUER, 443)).toBe(false);
  });

  it('lets the one pod of the compact shape be reached by the gateway alone, and reach the sources, Redis and PostgreSQL', () => {
    const pod: Peer = { labels: together.spec.template.metadata.labels };
    for (const name of SUBGRAPHS) {
      const served = loadSubgraphConfig(name, environmentOf(together)).port;
      expect(allowed(ours('gateway'), pod, served)).toBe(true);
      expect(allowed(outside('ingress-nginx'), pod, served)).toBe(false);
      expect(allowed(outside('some-other-app'), pod, served)).toBe(false);
    }
    expect(allowed(pod, SOURCE, 443)).toBe(true);
    expect(allowed(pod, ISSUER, 443)).toBe(false);
    expect(allowed(pod, outside('vn-gateway-data'), 6379)).toBe(true);
    expect(allowed(pod, outside('vn-gateway-data'), 5432)).toBe(true);
    expect(allowed(outside('monitoring'), pod, 9464)).toBe(true);
  });

  it('lets every process reach Redis, PostgreSQL and DNS, and the monitoring namespace reach only the metrics port', () => {
    for (const name of ['gateway', ...SUBGRAPHS]) {
      expect(allowed(ours(name), outside('vn-gateway-data'), 6379)).toBe(true);
      expect(allowed(ours(name), outside('vn-gateway-data'), 5432)).toBe(true);
      expect(allowed(ours(name), outside('kube-system', { 'k8s-app': 'kube-dns' }), 53)).toBe(true);
      expect(allowed(outside('monitoring'), ours(name), 9464)).toBe(true);
    }
    expect(allowed(outside('monitoring'), ours('gateway'), 4000)).toBe(false);
    expect(allowed(ours('gateway'), { ip: '8.8.8.8' }, 443)).toBe(false);
  });

  it('lets the hourly check of the audit log reach PostgreSQL and DNS, and nothing outside', () => {
    const check: Peer = { labels: auditCheckPod.metadata.labels };
    expect(allowed(check, outside('vn-gateway-data'), 5432)).toBe(true);
    expect(allowed(check, outside('kube-system', { 'k8s-app': 'kube-dns' }), 53)).toBe(true);
    expect(allowed(check, outside('vn-gateway-data'), 443)).toBe(false);
    expect(allowed(check, SOURCE, 443)).toBe(false);
    expect(allowed(check, ISSUER, 443)).toBe(false);
  });
});

describe('the hourly check of the audit log', () => {
  it('runs audit:verify on the PostgreSQL log with the checkpoints\' public key alone; a broken log fails its Job, which is not retried', () => {
    expect(auditCheck.spec.schedule).toMatch(/^\S+ \* \* \* \*$/);
    expect(auditCheck.spec.concurrencyPolicy).toBe('Forbid');
    expect(auditCheck.spec.jobTemplate.spec.backoffLimit).toBe(0);
    expect(auditCheckPod.spec.restartPolicy).toBe('Never');
    const container = auditCheckPod.spec.containers[0];
    expect(container.image).toBe(containerOf(deployment('gateway')).image);
    expect(container.args.slice(0, 2)).toEqual(['scripts/audit-verify.ts', '--public-key']);
    // The key it is given is mounted from the Secret, and it is the only key the pod holds: no private key.
    const keyPath = container.args[2];
    const mount = container.volumeMounts.find((m: Json) => keyPath.startsWith(`${m.mountPath}/`));
    const items = auditCheckPod.spec.volumes.find((v: Json) => v.name === mount.name).secret.items;
    expect(items).toEqual([{ key: 'audit-checkpoint-public.jwk.json', path: keyPath.slice(mount.mountPath.length + 1) }]);
    expect(container.env).toEqual([{ name: 'AUDIT_DATABASE_URL', valueFrom: { secretKeyRef: { name: 'vn-gateway-endpoints', key: 'audit-reader-database-url' } } }]);
  });

});

describe('overlays', () => {
  it('aim every patch at a resource they have', () => {
    for (const overlay of [PROVINCE, COMPACT, NATIONAL]) expect(patchTargetProblems(overlay)).toEqual([]);
  });

  it('province, in either shape: one replica each and no autoscaler', () => {
    for (const overlay of [PROVINCE, COMPACT]) {
      const replicas = kustomizationPatches(overlay).filter(({ patch }) => patch.patch?.includes('/spec/replicas'));
      expect(replicas.map(({ patch }) => patch.patch!.match(/value: (\d+)/)![1])).toEqual(['1']);
      expect(kustomizationResources(overlay).filter((l) => ['HorizontalPodAutoscaler', 'PodDisruptionBudget'].includes(l.resource.kind))).toEqual([]);
    }
  });

  it('national: an autoscaler and a disruption budget for each Deployment, replicas apart across nodes and zones', () => {
    const resources = kustomizationResources(NATIONAL).map((l) => l.resource as Json);
    for (const d of deployments) {
      const name = d.metadata.name;
      const hpa = resources.find((r) => r.kind === 'HorizontalPodAutoscaler' && r.spec.scaleTargetRef.name === name);
      expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
      const pdb = resources.find((r) => r.kind === 'PodDisruptionBudget' && matchLabels(r.spec.selector, d.spec.template.metadata.labels));
      expect(pdb.spec.maxUnavailable).toBe(1);
    }
    const antiAffinity = readYamlDocuments(join(NATIONAL, 'anti-affinity.yaml'))[0] as Json;
    const terms = antiAffinity.spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution.map((t: Json) => t.podAffinityTerm.topologyKey);
    expect(terms).toEqual(['kubernetes.io/hostname', 'topology.kubernetes.io/zone']);
  });

  it('are checked by a schema validator that does fail', () => {
    const broken = structuredClone(deployment('gateway')) as Resource & Json;
    broken.spec.replicas = 'two';
    delete broken.spec.template.spec.containers[0].livenessProbe.httpGet.port;
    expect(schemaProblem(broken)).toMatch(/replicas|port/);
    expect(schemaProblem(deployment('gateway'))).toBeNull();
  });
});

describe('alerts and dashboard', () => {
  /** Every sample name the gateway's and the subgraphs' /metrics can show. */
  async function exposedNames(): Promise<Set<string>> {
    const names = new Set<string>();
    for (const registry of [createGatewayMetrics().registry, subgraphMetrics().registry]) {
      for (const metric of await registry.getMetricsAsJSON()) {
        names.add(metric.name);
        if (String(metric.type) === 'histogram') for (const suffix of ['_bucket', '_count', '_sum']) names.add(metric.name + suffix);
      }
    }
    return names;
  }
  const metricNamesIn = (expr: string) => [...expr.matchAll(/\b((?:gateway|subgraph)_[a-z0-9_]+)/g)].map((m) => m[1]);

  const alerts = readYamlDocuments(join(DEPLOY_DIR, 'monitoring', 'alerts.yaml'))[0] as Json;
  const rules = alerts.spec.groups.flatMap((group: Json) => group.rules);
  const dashboard = JSON.parse(readFileSync(join(DEPLOY_DIR, 'monitoring', 'dashboard.json'), 'utf8'));
  const panels = dashboard.panels.filter((p: Json) => p.type !== 'row');

  it('alert on a source down or its breaker open, audit write failures, p99 over target and the error rate', () => {
    expect(rules.map((r: Json) => r.alert)).toEqual(expect.arrayContaining(['SourceCircuitOpen', 'SourceDown', 'AuditWriteFailures', 'GatewayLatencyP99OverTarget', 'GatewayErrorRate']));
  });

  it('read only metrics the processes expose', async () => {
    const exposed = await exposedNames();
    const used = [...rules.map((r: Json) => r.expr), ...panels.flatMap((p: Json) => p.targets.map((t: Json) => t.expr))].flatMap(metricNamesIn);
    expect(used.length).toBeGreaterThan(20);
    expect([...new Set(used)].filter((name) => !exposed.has(name))).toEqual([]);
  });

  it('show the sharing: reads by calling system × source × procedure', () => {
    const sharing = panels.find((p: Json) => /sharing/i.test(p.title) && p.type === 'table');
    expect(sharing.targets[0].expr).toMatch(/sum by \(client_id, source, procedure\) \(increase\(gateway_personal_reads_total/);
  });
});
