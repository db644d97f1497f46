import { launchBrowser } from './lib/browser.mjs';
import { ComplianceUi, KubeDouble, inParallel, policyReport } from './lib/cluster.mjs';

// A small cluster whose every count the view tests know: two namespaces, three policies, seven
// resources (two of them cluster-scoped) and all five kinds of result.
export const P_PRIVILEGED = 'clusterwide-no-privileged-pod';
export const P_LABELS = 'clusterwide-require-labels';
export const P_REGISTRY = 'namespaced-team-a-trusted-registry';

const privileged = (result) => ({ policy: P_PRIVILEGED, severity: 'high', category: 'Pod Security', result,
  message: result === 'fail' ? 'Privileged container is not allowed' : undefined });
const labels = (result, message) => ({ policy: P_LABELS, severity: 'low', category: 'Best practices', result, message });
const registry = (result, message) => ({ policy: P_REGISTRY, severity: 'medium', category: 'Supply chain', result, message });

export const RESOURCES = [
  { uid: '0a000000-0000-4000-8000-000000000001', kind: 'Pod', namespace: 'team-a', name: 'web-1',
    results: [privileged('fail'), labels('pass'), registry('fail', 'image docker.io/nginx comes from an untrusted registry')] },
  { uid: '0a000000-0000-4000-8000-000000000002', kind: 'Pod', namespace: 'team-a', name: 'web-2',
    results: [privileged('pass'), labels('pass'), registry('pass')] },
  { uid: '0a000000-0000-4000-8000-000000000003', kind: 'Deployment', apiVersion: 'apps/v1', namespace: 'team-a', name: 'api',
    results: [labels('warn', 'label app.kubernetes.io/team is recommended'), registry('error', 'the policy server answered 500')] },
  { uid: '0b000000-0000-4000-8000-000000000001', kind: 'Pod', namespace: 'team-b', name: 'db-0',
    results: [privileged('fail'), labels('fail', 'missing label app')] },
  { uid: '0b000000-0000-4000-8000-000000000002', kind: 'Pod', namespace: 'team-b', name: 'cache-0',
    results: [privileged('fail'), labels('skip')] },
  { uid: '0c000000-0000-4000-8000-000000000001', kind: 'Namespace', name: 'team-a', results: [labels('pass')] },
  { uid: '0c000000-0000-4000-8000-000000000002', kind: 'Namespace', name: 'team-b', results: [labels('fail', 'missing label owner')] },
];

export const TOTALS = { pass: 5, fail: 6, warn: 1, error: 1, skip: 1 };

export function uidOf(name) {
  return RESOURCES.find((r) => r.name === name && r.kind !== 'Namespace').uid;
}

// The double with these reports of scan `runUid`, and compliance-ui once that scan is recorded.
export async function seededCluster(runUid) {
  const kube = await KubeDouble.start();
  try {
    await inParallel(['team-a', 'team-b'], 2, (ns) => kube.createNamespace(ns));
    await inParallel(RESOURCES, 8, (r) => kube.createReport(policyReport({ ...r, runUid })));
    const ui = await ComplianceUi.start(kube, { settleSeconds: 1 });
    await ui.waitUntil(async () => (await ui.api('history')).items.length === 1, 30_000, 'the first scan in the history');
    return { kube, ui };
  } catch (error) {
    await kube.stop();
    throw error;
  }
}

// The seeded cluster of scan `runUid`, then whatever `prepare({ kube, ui })` adds, and a browser
// page: what a view test starts from. `close()` stops them all (compliance-ui unless the test
// stopped it already).
export async function seededSession(runUid, prepare = async () => {}) {
  const { kube, ui } = await seededCluster(runUid);
  try {
    await prepare({ kube, ui });
    const { browser, page, problems } = await launchBrowser();
    const close = async () => {
      await browser.close();
      if (!ui.stopped) await ui.stop();
      await kube.stop();
    };
    return { kube, ui, browser, page, problems, close };
  } catch (error) {
    await ui.stop();
    await kube.stop();
    throw error;
  }
}
