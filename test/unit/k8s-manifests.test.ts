/**
 * Every manifest in infra/k8s against the Kubernetes OpenAPI schemas, offline: each document is
 * built as its `kubernetes-models` class and validated with the schema compiled into it (types,
 * required fields, enums, formats; unknown fields are not rejected, so the checks below name the
 * fields that matter). Then what the schemas cannot see: selectors that match, names that refer,
 * the front door's probes and non-root security context, and kustomization.yaml covering every
 * manifest and image.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Service } from 'kubernetes-models/v1/Service';
import { parse, parseAllDocuments } from 'yaml';

const K8S_DIR = new URL('../../infra/k8s/', import.meta.url);
const KUSTOMIZATION = 'kustomization.yaml';
/**
 * Opt-in manifests kustomization.yaml leaves out, and the custom resources they hold (no
 * kubernetes-models class: backlog-scaling-templates.test.ts checks the fields they rely on).
 */
const OPT_IN = ['keda-scaledobject.yaml'];
const CUSTOM_KINDS = new Set(['keda.sh/v1alpha1/ScaledObject']);

/** The kinds the manifests may hold, by `apiVersion/kind`, with their validating models. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

type Json = Record<string, any>;

interface Manifest {
  readonly file: string;
  readonly doc: Json;
}

const files = readdirSync(K8S_DIR).filter((file) => /\.ya?ml$/.test(file) && file !== KUSTOMIZATION).sort();
const manifests: Manifest[] = files.flatMap((file) => parseAllDocuments(readFileSync(new URL(file, K8S_DIR), 'utf8')).map((doc, index) => {
  assert.deepEqual(doc.errors, [], `${file} document ${index} parses`);
  return { file, doc: doc.toJS() as Json };
}));

function find(kind: string, name: string): Json {
  const found = manifests.filter(({ doc }) => doc.kind === kind && doc.metadata?.name === name);
  assert.equal(found.length, 1, `one ${kind} ${name}`);
  return found[0]!.doc;
}

/** Whether `labels` carry every key and value of `selector`. */
function selects(selector: Json, labels: Json): boolean {
  return Object.keys(selector).length > 0 && Object.entries(selector).every(([key, value]) => labels[key] === value);
}

describe('infra/k8s against the Kubernetes schemas', () => {
  test('the front door and the DJL manifests are both there', () => {
    assert.deepEqual(files, ['djl-hpa.yaml', 'djl.yaml', 'front-door.yaml', 'keda-scaledobject.yaml']);
  });

  test('every document validates against the schema of its kind', () => {
    for (const { file, doc } of manifests) {
      const key = `${String(doc.apiVersion)}/${String(doc.kind)}`;
      if (CUSTOM_KINDS.has(key) && OPT_IN.includes(file)) continue;
      const Model = MODELS[key];
      assert.ok(Model, `${file}: ${key} has no model here; add it to MODELS`);
      assert.doesNotThrow(() => new Model(doc as never).validate(), `${file}: ${key} ${String(doc.metadata?.name)}`);
    }
  });

  test('the validation catches what it claims to', () => {
    const deployment = structuredClone(find('Deployment', 'embed-front-door'));
    deployment.spec.template.spec.containers[0].ports[0].containerPort = 'eighty';
    assert.throws(() => new Deployment(deployment).validate(), /containerPort/);
    const hpa = structuredClone(find('HorizontalPodAutoscaler', 'embed-front-door'));
    delete hpa.spec.maxReplicas;
    assert.throws(() => new HorizontalPodAutoscaler(hpa).validate(), /maxReplicas/);
  });

  test('selectors, the HPA and the PDB point at the pods they mean', () => {
    for (const name of ['djl-cpu', 'embed-front-door']) {
      const deployment = find('Deployment', name);
      const labels = deployment.spec.template.metadata.labels as Json;
      assert.ok(selects(deployment.spec.selector.matchLabels, labels), `${name}: the Deployment selects its pods`);
      assert.ok(selects(find('Service', name).spec.selector, labels), `${name}: the Service selects them`);
      const target = find('HorizontalPodAutoscaler', name).spec.scaleTargetRef as Json;
      assert.deepEqual([target.apiVersion, target.kind, target.name], ['apps/v1', 'Deployment', name]);
    }
    const pdb = find('PodDisruptionBudget', 'embed-front-door');
    assert.ok(selects(pdb.spec.selector.matchLabels, find('Deployment', 'embed-front-door').spec.template.metadata.labels));
    assert.ok(pdb.spec.minAvailable >= 1);
    assert.ok(find('HorizontalPodAutoscaler', 'embed-front-door').spec.minReplicas > pdb.spec.minAvailable, 'a drain can evict one pod');
  });

  test('the front door: non-root, read-only, probes on /ping (liveness) and /health (readiness), a mounted key file', () => {
    const deployment = find('Deployment', 'embed-front-door');
    assert.equal(deployment.spec.replicas, undefined, 'the HPA owns the replica count');
    const pod = deployment.spec.template.spec as Json;
    const container = pod.containers[0] as Json;
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.notEqual(pod.securityContext.runAsUser, 0);
    assert.equal(container.securityContext.allowPrivilegeEscalation, false);
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    assert.deepEqual(container.securityContext.capabilities.drop, ['ALL']);
    assert.equal(container.livenessProbe.httpGet.path, '/ping');
    assert.equal(container.startupProbe.httpGet.path, '/ping');
    assert.equal(container.readinessProbe.httpGet.path, '/health');
    for (const kind of ['requests', 'limits']) assert.ok(container.resources[kind].cpu && container.resources[kind].memory, kind);
    const env = Object.fromEntries((container.env as Json[]).map((item) => [item.name, item.value]));
    assert.match(env.CPU_BACKENDS, /^dns:\/\/djl-cpu\.embed\.svc\.cluster\.local:8080\?path=\/predictions\/all_MiniLM_L6_v2$/);
    const keysDir = (container.volumeMounts as Json[]).find((mount) => String(env.API_KEYS_FILE).startsWith(`${mount.mountPath}/`));
    assert.ok(keysDir, 'API_KEYS_FILE is on a mounted volume');
    assert.ok((pod.volumes as Json[]).some((volume) => volume.name === keysDir.name && volume.secret?.secretName), 'from a Secret');
    const port = find('Service', 'embed-front-door').spec.ports[0] as Json;
    assert.equal(port.targetPort, container.ports[0].name);
  });

  test('kustomization.yaml lists every manifest and sets every image; none is pulled from Docker Hub as written', () => {
    const kustomization = parse(readFileSync(new URL(KUSTOMIZATION, K8S_DIR), 'utf8')) as Json;
    assert.deepEqual([...kustomization.resources].sort(), files.filter((file) => !OPT_IN.includes(file)));
    const named = new Set((kustomization.images as Json[]).map((image) => image.name as string));
    const used = manifests.flatMap(({ doc }) => (doc.spec?.template?.spec?.containers as Json[] | undefined) ?? []).map((container) => String(container.image));
    assert.ok(used.length >= 2);
    for (const image of used) {
      assert.ok(named.has(image.replace(/:[^/:]+$/, '')), `${image}: set by kustomization.yaml's images`);
      assert.match(image, /^REGISTRY\//, `${image}: a registry placeholder, not an implicit docker.io pull`);
    }
  });
});
