// The cluster the browser tests look at: the project's kube-apiserver double (with the report
// CRDs of deploy/crds), reports created in it the way the audit scanner writes them
// (src/audit/report.cc), and the real compliance-ui binary watching it.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SOURCE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BINARY_DIR = path.resolve(process.env.KW_BINARY_DIR || path.join(SOURCE_DIR, 'build'));

const TOKEN = 'ui-test-token';
const RUN_UID_LABEL = 'kubewarden.io/audit-scanner-run-uid';
const REPORT_CRDS = ['wgpolicyk8s.io_policyreports', 'wgpolicyk8s.io_clusterpolicyreports'];

// Lines a child printed, kept to explain a failure, and a wait for a line that matches.
class Child {
  constructor(name, argv, options = {}) {
    this.name = name;
    this.output = '';
    this.exited = null;
    this.process = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    for (const stream of [this.process.stdout, this.process.stderr]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        // The tail is enough to explain a failure; a chatty child must not grow this forever.
        this.output = (this.output + chunk).slice(-200_000);
      });
    }
    this.process.on('exit', (code, signal) => (this.exited = { code, signal }));
  }

  async waitFor(pattern, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const match = this.output.match(pattern);
      if (match) return match;
      if (this.exited) break;
      await sleep(50);
    }
    throw new Error(`${this.name} did not print ${pattern}${this.exited ? ` (exited ${JSON.stringify(this.exited)})` : ''}:\n${this.output}`);
  }

  async stop() {
    if (this.exited) return;
    const gone = new Promise((resolve) => this.process.once('exit', resolve));
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  }
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function openssl(args) {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

// A CA and a server certificate with the names a real API server's carries.
function makePki(dir) {
  const file = (name) => path.join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '1', '-subj', '/CN=ui-test-ca']);
  writeFileSync(file('server.ext'),
    'subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\n');
  openssl(['req', ...ec, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=kube-apiserver']);
  openssl(['x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-set_serial', '2',
    '-days', '1', '-out', file('server.pem'), '-extfile', file('server.ext')]);
  return { ca: file('ca.pem'), cert: file('server.pem'), key: file('server.key') };
}

export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// The API-server double with the report CRDs, and a client that talks to it with a token.
export class KubeDouble {
  static async start() {
    const dir = mkdtempSync(path.join(tmpdir(), 'kw-ui-test-'));
    const pki = makePki(dir);
    writeFileSync(path.join(dir, 'tokens.csv'), `${TOKEN},ui-test,ui-test-uid,"system:masters"\n`);
    const argv = [path.join(BINARY_DIR, 'tests/kube_apiserver/kube-apiserver-double'), '--tls-cert', pki.cert,
      '--tls-key', pki.key, '--token-file', path.join(dir, 'tokens.csv'), '--threads', '8'];
    for (const crd of REPORT_CRDS) argv.push('--seed', path.join(SOURCE_DIR, 'deploy/crds', `${crd}.yaml`));
    const child = new Child('kube-apiserver-double', argv);
    const [, port] = await child.waitFor(/listening on 127\.0\.0\.1:(\d+)\n/, 30_000);
    const double = new KubeDouble(dir, child, Number(port), readFileSync(pki.ca, 'utf8'));
    writeFileSync(double.kubeconfig, [
      'apiVersion: v1', 'kind: Config',
      'clusters:', '- name: double', '  cluster:', `    server: ${double.url}`,
      `    certificate-authority-data: ${Buffer.from(double.ca).toString('base64')}`,
      'users:', '- name: ui-test', '  user:', `    token: ${TOKEN}`,
      'contexts:', '- name: double', '  context: {cluster: double, user: ui-test}',
      'current-context: double', ''].join('\n'));
    return double;
  }

  constructor(dir, child, port, ca) {
    this.dir = dir;
    this.child = child;
    this.port = port;
    this.ca = ca;
    this.url = `https://127.0.0.1:${port}`;
    this.kubeconfig = path.join(dir, 'kubeconfig');
    this.agent = new https.Agent({ ca, keepAlive: true, maxSockets: 32 });
  }

  request(method, urlPath, body, contentType = 'application/json') {
    const data = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = https.request(`${this.url}${urlPath}`, {
        method, agent: this.agent,
        headers: { Authorization: `Bearer ${TOKEN}`, Accept: 'application/json',
          ...(data ? { 'Content-Type': contentType, 'Content-Length': data.length } : {}) },
      }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => {
          if (res.statusCode >= 300) reject(new Error(`${method} ${urlPath}: ${res.statusCode} ${text.slice(0, 500)}`));
          else resolve(text ? JSON.parse(text) : null);
        });
      });
      req.on('error', reject);
      req.end(data);
    });
  }

  createNamespace(name) {
    return this.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }

  createReport(report) {
    const ns = report.metadata.namespace;
    const collection = ns
      ? `/apis/wgpolicyk8s.io/v1alpha2/namespaces/${ns}/policyreports`
      : '/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports';
    return this.request('POST', collection, report);
  }

  // Replaces a report as the next scan does: new run uid, new results.
  async replaceReport(report) {
    const ns = report.metadata.namespace;
    const item = ns
      ? `/apis/wgpolicyk8s.io/v1alpha2/namespaces/${ns}/policyreports/${report.metadata.name}`
      : `/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports/${report.metadata.name}`;
    const live = await this.request('GET', item);
    return this.request('PUT', item, { ...report, metadata: { ...report.metadata, resourceVersion: live.metadata.resourceVersion } });
  }

  async stop() {
    this.agent.destroy();
    await this.child.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// Runs `task` over `items` with at most `parallel` at a time (the double takes many at once).
export async function inParallel(items, parallel, task) {
  let next = 0;
  const workers = Array.from({ length: Math.min(parallel, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await task(items[i], i);
    }
  });
  await Promise.all(workers);
}

// A report on one resource as the audit scanner writes it. `results` are
// {policy, result, message?, severity?, category?}.
export function policyReport({ uid, kind, apiVersion = 'v1', namespace = '', name, runUid, results, seconds }) {
  const counts = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
  for (const r of results) counts[r.result]++;
  const metadata = {
    name: uid,
    labels: { 'app.kubernetes.io/managed-by': 'kubewarden', 'kubewarden.io/policyreport-version': 'v2', [RUN_UID_LABEL]: runUid },
    ownerReferences: [{ apiVersion, kind, name, uid }],
  };
  if (namespace) metadata.namespace = namespace;
  const scope = { apiVersion, kind, ...(namespace ? { namespace } : {}), name, uid, resourceVersion: '1' };
  return {
    apiVersion: 'wgpolicyk8s.io/v1alpha2',
    kind: namespace ? 'PolicyReport' : 'ClusterPolicyReport',
    metadata,
    scope,
    summary: counts,
    results: results.map((r) => ({
      source: 'kubewarden',
      policy: r.policy,
      ...(r.category ? { category: r.category } : {}),
      ...(r.severity ? { severity: r.severity } : {}),
      result: r.result,
      scored: true,
      resourceSelector: {},
      ...(r.message ? { message: r.message } : {}),
      timestamp: { seconds: seconds ?? Math.floor(Date.now() / 1000), nanos: 0 },
      properties: { validating: 'true', 'policy-name': r.policy.replace(/^clusterwide-|^namespaced-[^-]+-/, '') },
    })),
  };
}

// compliance-ui on a free loopback port, watching `kube`, ready once /readyz says so.
export class ComplianceUi {
  static async start(kube, { settleSeconds = 1, extraArgs = [] } = {}) {
    const port = await freePort();
    const binary = process.env.KW_UI_BINARY || path.join(BINARY_DIR, 'cmd/compliance-ui/compliance-ui');
    const argv = [binary, '--kubeconfig', kube.kubeconfig, '--addr', '127.0.0.1', '--port', String(port),
      '--db', ':memory:', '--web-root', path.join(BINARY_DIR, 'web'), '--settle-seconds', String(settleSeconds), ...extraArgs];
    const ui = new ComplianceUi(new Child('compliance-ui', argv), `http://127.0.0.1:${port}`);
    await ui.waitUntil(async () => (await fetch(`${ui.url}/readyz`)).status === 200, 30_000, 'compliance-ui /readyz');
    return ui;
  }

  constructor(child, url) {
    this.child = child;
    this.url = url;
  }

  async api(pathAndQuery) {
    const response = await fetch(`${this.url}/api/v1/${pathAndQuery}`);
    const body = await response.json();
    if (!response.ok) throw new Error(`GET /api/v1/${pathAndQuery}: ${response.status} ${JSON.stringify(body)}`);
    return body;
  }

  // Polls `condition` (errors count as "not yet") until it holds or the time is up.
  async waitUntil(condition, timeoutMs, what) {
    const deadline = Date.now() + timeoutMs;
    let last = null;
    while (Date.now() < deadline) {
      try {
        if (await condition()) return;
      } catch (error) {
        last = error;
      }
      if (this.child.exited) break;
      await sleep(100);
    }
    throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${last.message})` : ''}\n${this.child.output}`);
  }

  stop() {
    return this.child.stop();
  }
}
