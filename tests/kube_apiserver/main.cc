// kube-apiserver-double: an HTTPS server that answers as kube-apiserver does, for tests of the
// Kubernetes client, the controller and the audit scanner, which cannot tell it from the real
// thing (a URL, a CA, a client certificate or a token).
//
//   kube-apiserver-double --tls-cert FILE --tls-key FILE [--client-ca FILE] [--token-file FILE]
//       [--port N] [--seed FILE]... [--watch-history N] [--bookmark-interval-ms N]
//       [--threads N] [--sar-rules FILE] [--deny FILE]
//       [--service-endpoint NAMESPACE/NAME=HOST:PORT]...
//
// --deny FILE: a YAML list of {user, group, verb, resource, namespace} (user, group and
// namespace optional; verb and resource may be "*"; resource may be "pods/status"): matching
// requests get the 403 RBAC would give. Everything else authenticated is allowed.
//
// Once listening it prints `listening on 127.0.0.1:<port>` on stdout (one line, flushed).
//
// Test knobs (authenticated like the rest; see control.h):
//   POST   /double/faults          one rule or a list: {"path":"/api/v1/pods","verb":"list",
//                                  "count":1,"delayMs":0,"garbage":false,"status":503,
//                                  "reason":"ServiceUnavailable","message":"..","body":"..",
//                                  "cutAfterEvents":2}
//   DELETE /double/faults          forgets every rule
//   POST   /double/compact         forgets the watch history: every resourceVersion handed out so
//                                  far is too old to watch from (410 Expired)
//   GET    /double/requests        {"requests":[{"verb":"list","path":"/api/v1/pods","count":N}]};
//                                  with ?verb=V&path=P: {"count":N}
//   POST   /double/reset-counters
//   POST   /double/service-endpoints {"namespace":"ns","name":"svc","address":"127.0.0.1:1234"}:
//                                  where admission webhooks of that Service are called (as
//                                  --service-endpoint ns/svc=127.0.0.1:1234)
//
// ASSUMPTIONS about the real server (v1.32), and where the double departs from it
// ("UNSURE" marks what could not be checked against a running server):
//  - Authentication: x509 client certificates (CN = user, O = groups) are tried before bearer
//    tokens, as the real union authenticator orders them; anything unauthenticated gets 401
//    with a Status {"message":"Unauthorized","reason":"Unauthorized","code":401}. A presented
//    certificate the CA does not verify fails the TLS handshake (Go's VerifyClientCertIfGiven).
//    Everyone authenticated is authorized for everything (no RBAC) but what --deny refuses, with
//    the real message (`pods "x" is forbidden: User "u" cannot get resource "pods" in API group
//    "" in the namespace "ns"`, "at the cluster scope" without one); SubjectAccessReviews are
//    answered from --sar-rules (first match wins; default allowed=false, reason omitted since
//    the real JSON omits an empty reason).
//  - Errors carry the real messages: `pods "x" not found`, `deployments.apps "x" already
//    exists` (the qualified resource in messages, details.kind = the plural, details.group for
//    non-core groups), `Operation cannot be fulfilled on ...: the object has been modified;
//    please apply your changes to the latest version and try again`, 422 Invalid with causes for
//    a missing or malformed name. A body whose apiVersion differs from the URL's: 400 "the API
//    version in the data (..) does not match the expected API version (..)". UNSURE: the kind
//    mismatch message ("the kind in the data (..) does not match the expected kind (..)").
//  - Unknown group/version: 404 text/plain "404 page not found" (the mux's NotFound); a known
//    group/version but unknown resource: 404 Status "the server could not find the requested
//    resource".
//  - Lists of built-in types omit apiVersion/kind on items (the typed encoder drops TypeMeta of
//    list items); lists of custom resources (unstructured) keep them. Watch event objects always
//    carry them.
//  - Paging: the continue token is base64url (no padding) of {"v":"meta.k8s.io/v1","rv":N,
//    "start":"<last key>\u0000"} as the real server encodes it. Consistency: the first page of a
//    list that has more pages takes a snapshot (the object pointers, immutable objects) at the
//    list's resourceVersion; later pages read that snapshot. The last 64 snapshots are kept; a
//    token whose snapshot is gone gets 410 Expired with the real "The provided continue
//    parameter is too old ..." message. metadata.remainingItemCount is set when the page has a
//    continuation and no label/field selector is used (as the real server).
//  - Watches: resourceVersion ""/"0" replays the current state as ADDED events first (the real
//    server's "0" may serve a slightly stale cache; the double is never stale). A
//    resourceVersion older than the kept history (--watch-history events, or everything before a
//    /double/compact) gets HTTP 200 with one ERROR event {"kind":"Status",...,"reason":
//    "Expired","code":410,"message":"too old resource version: X (Y)"} and the end of the
//    stream: that is what the watch cache answers (its errWatcher). The real server answers a
//    410 status directly only when the watch cache is disabled for the resource; the double
//    never does. A resourceVersion in the future is accepted as "from now" (the real server
//    waits up to 3 s, then answers 504 "Too large resource version"). Objects that stop
//    matching a selector are sent as DELETED with their previous state at the event's
//    resourceVersion (UNSURE whether the real cacher renders the previous or the new state).
//    Bookmarks: {"type":"BOOKMARK","object":{"kind":..,"apiVersion":..,"metadata":
//    {"resourceVersion":".."}}} after --bookmark-interval-ms without any write (the real server
//    sends them about once a minute). sendInitialEvents=true requires
//    resourceVersionMatch=NotOlderThan and allowWatchBookmarks=true (as the real server) and ends
//    the initial events with a bookmark annotated k8s.io/initial-events-end: "true".
//    timeoutSeconds ends the stream cleanly; without it a watch lasts until the client leaves
//    (the real server picks a random timeout of 30-60 minutes).
//  - Bookkeeping: uid (random UUID v4), creationTimestamp (seconds), resourceVersion (one global
//    counter), generation (1 at create, +1 when anything but metadata and status changes, and
//    when deletion starts) for the types that keep it: apps/*, batch/*, ingresses,
//    networkpolicies, poddisruptionbudgets, webhook configurations, CRDs and custom resources.
//    Pods keep no generation (v1.32). generateName adds 5 characters from the real alphabet.
//    Namespaces get the label kubernetes.io/metadata.name, spec.finalizers ["kubernetes"] and
//    status.phase Active; pods status.phase Pending; CRDs NamesAccepted/Established conditions
//    at once. No other defaulting is done (the real server defaults many pod fields; UNSURE
//    which of them the callers look at).
//  - Status subresource: create drops .status for types that have one (pods and namespaces get
//    their initial phase), writes to the main resource keep the live status, writes to /status
//    change only status. Seeds keep the status they give (a test could not set it otherwise in
//    one step).
//  - Deletion: objects with finalizers get deletionTimestamp (and deletionGracePeriodSeconds
//    0) and stay until an update or patch removes the last finalizer, which deletes them. There
//    is no kubelet: pods on nodes are deleted at once (the real server waits for the kubelet),
//    namespaces are deleted at once with
//    everything in them (the real namespace lifecycle goes through Terminating), and deleting a
//    CRD deletes its custom resources at once (the real one waits for the
//    customresourcecleanup finalizer). DELETE answers 200 with the object for pods, services,
//    namespaces, CRDs and custom resources (ReturnDeletedObject; UNSURE for services) and a
//    Status {"status":"Success","details":{name,group,kind,uid}} for the others;
//    deletecollection answers the list of deleted objects.
//  - Garbage collection (gc.h) is done at once, under the store's lock, right after the change
//    that calls for it (the real garbage collector works from watch events a moment later):
//    when an owner is removed, each dependent whose other owners are all gone too is deleted
//    (background propagation: the default; deletionTimestamp first when it has finalizers),
//    while one with a live owner left only loses the references to gone owners, as the real
//    collector patches them away. A reference whose uid names no object counts as gone, but a
//    dependent is looked at only when one of its owners goes (the real collector also deletes
//    objects created with only dangling references). propagationPolicy=Orphan (or
//    orphanDependents=true, or an `orphan` finalizer) adds the `orphan` finalizer: the
//    dependents lose their references, then the finalizer goes; Foreground adds
//    `foregroundDeletion`: the dependents are deleted (in the foreground too), and the owner goes
//    once none referencing it with blockOwnerDeletion=true is left. The DELETE answers the owner
//    as it was when the finalizer was added (deletionTimestamp set), as the real server, even
//    though the double may have removed it already. v1 replicationcontrollers orphan by default
//    (UNSURE; the double serves none). Invalid options are 422 `DeleteOptions.meta.k8s.io ""
//    is invalid: propagationPolicy: Unsupported value: ...` (UNSURE exact wording). Owners are
//    matched by uid alone: the real collector also checks apiVersion/kind and looks namespaced
//    owners up in the dependent's namespace; cluster-scoped dependents of namespaced owners
//    (which the real collector refuses, with an event) are collected like the others. The
//    objects of a deleted namespace or CRD are collected the same way (their dependents
//    elsewhere go too). The collector's deletions go through no admission webhook (the real
//    collector's DELETE requests do) and answer nobody; every change shows on watches as usual.
//    202 Accepted for orphanDependents=false with finalizers pending is not reproduced (200).
//  - Admission webhooks (webhooks.h): on create, update, patch, apply and delete (and
//    deletecollection, one call per object) of every resource but the admission configurations
//    themselves (and SubjectAccessReviews), the webhooks of the stored
//    MutatingWebhookConfigurations then ValidatingWebhookConfigurations, configurations sorted by
//    name, webhooks in order, are called when they match: rules (operations, apiGroups,
//    apiVersions, resources with the real "pods", "pods/status", "pods/*", "*/status", "*", "*/*"
//    semantics, scope Cluster/Namespaced/*), namespaceSelector (the labels of the request's
//    namespace; a Namespace is selected by its own labels; other cluster-scoped objects always
//    match), objectSelector (the new or the old object's labels). matchPolicy Equivalent (the
//    default) also matches a request through another served version of the same resource (a CRD's
//    versions) that the rules name: the webhook gets kind/resource of that version,
//    requestKind/requestResource of the request's, and the object with only its apiVersion changed
//    (the double converts nothing; other groups' equivalents, e.g. extensions vs apps, are not
//    known); Exact does not. matchConditions are CEL, which the double cannot evaluate: only the
//    literal expression `false` skips a webhook, any other condition counts as met
//    (UNSURE/unsupported). A mutating webhook with reinvocationPolicy IfNeeded is called once more,
//    after the others, when a later one changed the object after it (the real server also reruns
//    its built-in mutating plugins then; the double has none). Validating webhooks are called one
//    after another and the first denial or failure ends the request (the real server calls them in
//    parallel and reports the first error to arrive). The AdmissionReview (admission.k8s.io/v1,
//    v1beta1 when the webhook lists only that) carries uid, kind, resource, subResource,
//    requestKind/requestResource/requestSubResource, name, namespace (a Namespace's own name for
//    its non-create requests, UNSURE), operation, userInfo {username, uid, groups}, object,
//    oldObject (null when none), dryRun, options (CreateOptions/UpdateOptions/DeleteOptions of
//    meta.k8s.io/v1; a patch's are UpdateOptions). What the webhooks see: on create, mutating
//    webhooks the body as sent (namespace filled in, no name picked for a generateName yet),
//    validating ones the object as it would be stored (a dry run of the mutated body: name,
//    creationTimestamp, initial status; an invalid object is refused before them, as the real
//    server validates before validating admission), though its uid differs from the one then
//    stored; on update and patch the new state as it would be stored (computed as a dry run first,
//    so an update the schema refuses is refused before any webhook, where the real server runs the
//    mutating ones first; then written: a mutated result is written as an update from the
//    resourceVersion the dry run started from, so a concurrent write makes it a 409, where the real
//    server retries; a mutated apply is recorded in managedFields as an Update); on delete
//    oldObject is the live object and object null (mutating webhooks too; UNSURE whether the real
//    server sends mutating webhooks the old object on DELETE). /scale requests send an
//    autoscaling/v1 Scale. Calls: HTTPS only, clientConfig.url as given, or clientConfig.service
//    {namespace, name, path, port (443)} reached at the address --service-endpoint or
//    /double/service-endpoints maps it to (the double resolves no services; an unmapped one fails
//    the call with `service "<name>" not found`), its certificate verified against caBundle (the
//    system roots without one) for the name <name>.<namespace>.svc; POST
//    <url>?timeout=<timeoutSeconds, 10>s, with that deadline. Answers: the response must be an
//    AdmissionReview of the version sent, with the request's uid; allowed=false fails the request
//    with the webhook's status (code below 400 becomes 400, reason and details as given) and
//    message `admission webhook "<name>" denied the request: <message>` (the reason when there is
//    no message; `... denied the request without explanation` with neither). A mutating webhook's
//    patch (base64 JSONPatch, patchType JSONPatch) applies before the next webhook. A failed call
//    (connection, TLS, timeout, non-2xx, an invalid answer) with failurePolicy Fail (the default)
//    is 500 InternalError `Internal error occurred: failed calling webhook "<name>": failed to call
//    webhook: Post "<url>?timeout=10s": <error>` (the <error> text is the double's HTTP client's,
//    not Go's `dial tcp ...: connect: connection refused`; a non-2xx answer reads `failed to call
//    webhook: the server responded with the status code N but did not return more information`, and
//    an invalid answer `received invalid webhook response: ...`, e.g. `expected response.uid="..",
//    got ".."`, `validating webhook may not return response.patch`: UNSURE wordings); with Ignore
//    the webhook is skipped. dryRun=All with a matching webhook whose sideEffects is not
//    None/NoneOnDryRun is 400 `admission webhook "<name>" does not support dry run` (the double
//    does not refuse to store v1 configurations with other sideEffects, as the real server's
//    validation does). Warnings and audit annotations of answers are dropped. Webhooks are called
//    without the store's lock, from the thread serving the request (a webhook that calls back into
//    the double needs --threads >= 2, the default).
//  - Update: a missing metadata.resourceVersion is an unconditional update (the real server
//    refuses that for a few types; not reproduced). An update that changes nothing is a no-op
//    (same resourceVersion, no event), as the real server. PUT of a missing object is 404 (no
//    create-on-update).
//  - Patches: JSON merge patch (RFC 7386), JSON patch (RFC 6902; a failing operation is 422
//    with the patch error), strategic merge patch simplified: lists whose elements all have a
//    string `name` merge by name with `$patch: delete`, metadata.finalizers merges as a set with
//    `$deleteFromPrimitiveList/finalizers`; every other list replaces (the real server knows
//    each field's strategy from the Go types, e.g. ports by containerPort). Strategic merge on
//    custom resources is 415, as the real server.
//  - Server-side apply: fieldManager is required: 422 `PatchOptions.meta.k8s.io "" is invalid:
//    fieldManager: Required value: is required for apply patch` (the real server answers 422
//    Invalid, not 400). Ownership is tracked per (manager, operation, subresource) in
//    managedFields with FieldsV1; lists whose elements all have a string `name` are associative
//    on it (k:{"name":..}), every other list is atomic (the real server uses the schema's list
//    keys, e.g. containerPort, and sets for finalizers). A conflict is 409 reason Conflict,
//    "Apply failed with N conflict(s): conflict with \"<manager>\" using <apiVersion>: <path>",
//    causes FieldManagerConflict; force=true takes the fields over. Fields a manager stops
//    applying are removed unless another manager owns them. Non-apply writes take ownership of
//    what they change (operation Update; the default manager is the User-Agent up to its first
//    '/'). Timestamps in managedFields have seconds precision.
//  - CRDs: creating one registers its served versions (plural, singular, kind, listKind,
//    shortNames, categories, scope, status and scale subresources, selectableFields) in
//    discovery at once; several versions share one storage and objects are served through any
//    version with only apiVersion rewritten (no conversion webhooks). The preferred version is
//    the first one declared. Field selectors on custom resources: metadata.name,
//    metadata.namespace and the selectableFields; others are 400 `"x" is not a known field
//    selector: only "metadata.name", "metadata.namespace"`.
//  - Custom resources go through their version's openAPIV3Schema as on the real server: unknown
//    fields are pruned (structural pruning; x-kubernetes-preserve-unknown-fields,
//    additionalProperties, x-kubernetes-embedded-resource, x-kubernetes-int-or-string honoured),
//    then the schema's `default`s are applied (top down, to absent fields and to nulls that are
//    not nullable; other non-nullable nulls are dropped unless required: UNSURE whether the
//    real server keeps required ones), then type, required, enum and nullable are checked: 422
//    `Widget.example.com "w" is invalid: [spec.size: Invalid value: "string": spec.size in body
//    must be of type integer: "string", ...]`. Defaults are applied on create, update, patch and
//    apply only: the real server also applies them when it reads objects from etcd, so objects
//    stored before a CRD gained a default show it there, and not in the double. Not checked:
//    formats, patterns, lengths, minimum/maximum, CEL rules.
//  - Invalid messages qualify the kind with its group (`Deployment.apps "x" is invalid: ...`),
//    details.kind being the bare kind.
//  - Bodies: JSON and YAML only (Content-Type application/json or application/yaml; merge, JSON,
//    strategic and apply patch types for PATCH). Protobuf (what kubectl sends for built-in types)
//    and a missing Content-Type get 415 UnsupportedMediaType: the real server reads protobuf,
//    the double cannot. Responses are always JSON, whatever the Accept header asks (no Table,
//    no PartialObjectMetadata, no protobuf).
//  - Subresources served: status, and scale of deployments, replicasets and statefulsets
//    (autoscaling/v1 Scale; GET, PUT, merge/JSON/strategic PATCH; status.selector rendered from
//    matchLabels/matchExpressions, sorted). Not served: the other subresources (log, exec,
//    eviction, custom resources' scale, ... are listed in discovery as the real server lists
//    them, and answer 404), /openapi/v2 and /v3 (kubectl validation needs --validate=false),
//    SelfSubjectAccessReview and other review APIs, the legacy /api/v1/watch/... paths, list
//    resourceVersionMatch=Exact (lists always show the current state). dryRun=All is honoured
//    by create, update, patch, apply and delete.
//  - Field selectors on built-ins: metadata.name/namespace plus the real per-type fields (pods:
//    spec.nodeName, spec.restartPolicy, spec.schedulerName, spec.serviceAccountName,
//    spec.hostNetwork, status.phase, status.podIP, status.podIPs, status.nominatedNodeName;
//    secrets: type; events: involvedObject.*, reason, reportingComponent, type; nodes:
//    spec.unschedulable; namespaces: status.phase; replicasets: status.replicas; jobs:
//    status.successful; services: spec.clusterIP, spec.type); others are 400 `field label not
//    supported: x`. Label selector errors follow the real parser's messages (UNSURE for every
//    wording of the lexer's "found '..', expected: .." cases).
//  - Discovery: /api, /api/v1, /apis, /apis/<g>, /apis/<g>/<v> as the real (legacy,
//    non-aggregated) documents; subresources listed as separate entries with singularName "".
//    No storageVersionHash. Aggregated discovery (Accept: application/json;g=apidiscovery.k8s.io;
//    v=v2[beta1];as=APIGroupDiscoveryList) of /api and /apis answers an APIGroupDiscoveryList
//    with that Content-Type; otherwise the legacy documents.
//  - Request bodies over 3 MiB (the real MaxRequestBodyBytes) get 413 RequestEntityTooLarge
//    "Request entity too large: limit is 3145728" and the connection is closed. The real
//    server's etcd also refuses objects over 1.5 MiB ("etcdserver: request is too large"); the
//    double does not.
//  - Headers: Audit-Id, Cache-Control: no-cache, private, Content-Type: application/json,
//    X-Kubernetes-Pf-Flowschema-Uid/-Prioritylevel-Uid on every response; no gzip, no
//    protobuf, no Warning headers, no API priority and fairness (429s only through faults).
//  - Seeds are created as if POSTed (a List's items, or every document of a YAML stream);
//    the namespace defaults to "default" when a namespaced object names none.

#include <signal.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "base/files.h"
#include "base/yaml.h"
#include "kube_apiserver/api.h"
#include "kube_apiserver/auth.h"
#include "kube_apiserver/server.h"

namespace {

using kw::kube_double::Api;
using kw::kube_double::Server;
using kw::kube_double::ServerOptions;

int Usage(const std::string& problem) {
  std::cerr << "kube-apiserver-double: " << problem << "\n"
            << "usage: kube-apiserver-double --tls-cert FILE --tls-key FILE [--client-ca FILE]\n"
               "  [--token-file FILE] [--port N] [--seed FILE]... [--watch-history N]\n"
               "  [--bookmark-interval-ms N] [--threads N] [--sar-rules FILE] [--deny FILE]\n"
               "  [--service-endpoint NAMESPACE/NAME=HOST:PORT]...\n";
  return 2;
}

bool ParseNumber(const std::string& text, unsigned long max, unsigned long& out) {
  if (text.empty() || text.size() > 10) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  out = std::stoul(text);
  return out <= max;
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  ServerOptions options;
  std::string token_file, sar_rules_file, deny_file;
  std::vector<std::string> seeds, service_endpoints;
  unsigned long history = 1000;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) return Usage("missing value for " + flag);
    std::string value = argv[++i];
    unsigned long n = 0;
    if (flag == "--tls-cert") {
      options.cert_file = value;
    } else if (flag == "--tls-key") {
      options.key_file = value;
    } else if (flag == "--client-ca") {
      options.client_ca_file = value;
    } else if (flag == "--token-file") {
      token_file = value;
    } else if (flag == "--deny") {
      deny_file = value;
    } else if (flag == "--sar-rules") {
      sar_rules_file = value;
    } else if (flag == "--seed") {
      seeds.push_back(value);
    } else if (flag == "--service-endpoint") {
      service_endpoints.push_back(value);
    } else if (flag == "--port" && ParseNumber(value, 65535, n)) {
      options.port = static_cast<std::uint16_t>(n);
    } else if (flag == "--watch-history" && ParseNumber(value, 100'000'000, n) && n > 0) {
      history = n;
    } else if (flag == "--bookmark-interval-ms" && ParseNumber(value, 3'600'000, n) && n > 0) {
      options.bookmark_interval = std::chrono::milliseconds(n);
    } else if (flag == "--threads" && ParseNumber(value, 256, n) && n > 0) {
      options.threads = static_cast<unsigned>(n);
    } else {
      return Usage("bad flag or value: " + flag + " " + value);
    }
  }
  if (options.cert_file.empty() || options.key_file.empty()) {
    return Usage("--tls-cert and --tls-key are required");
  }
  if (!token_file.empty()) {
    auto text = kw::ReadFile(token_file, 16u << 20);
    if (!text) return Usage(text.error().message);
    auto tokens = kw::kube_double::ParseTokenFile(*text);
    if (!tokens) return Usage(token_file + ": " + tokens.error().message);
    options.tokens = std::move(*tokens);
  }
  // Reads and parses an optional rules file.
  auto rules_from = [](const std::string& path, auto parse) -> decltype(parse("")) {
    if (path.empty()) return typename decltype(parse(""))::value_type();
    auto text = kw::ReadFile(path, 16u << 20);
    if (!text) return std::unexpected(text.error());
    auto parsed = parse(*text);
    if (!parsed) return std::unexpected(parsed.error().Wrap(path));
    return std::move(*parsed);
  };
  auto rules = rules_from(sar_rules_file, kw::kube_double::ParseSarRules);
  if (!rules) return Usage(rules.error().message);
  auto deny = rules_from(deny_file, kw::kube_double::ParseDenyRules);
  if (!deny) return Usage(deny.error().message);
  Api api(history, std::move(*rules), std::move(*deny));
  for (const auto& endpoint : service_endpoints) {
    if (auto added = api.webhooks().AddServiceEndpointFlag(endpoint); !added) {
      return Usage(added.error().message);
    }
  }
  for (const auto& seed : seeds) {
    auto text = kw::ReadFile(seed, 1u << 30);
    if (!text) return Usage(text.error().message);
    auto documents = kw::ParseYamlDocumentsAsJson(*text, seed);
    if (!documents) return Usage(documents.error().message);
    for (auto& document : *documents) {
      if (auto seeded = api.Seed(std::move(document)); !seeded) {
        return Usage(seed + ": " + seeded.error().message);
      }
    }
  }
  Server server(options, api);
  auto port = server.Listen();
  if (!port) {
    std::cerr << "kube-apiserver-double: " << port.error().message << "\n";
    return 1;
  }
  std::printf("listening on 127.0.0.1:%u\n", static_cast<unsigned>(*port));
  std::fflush(stdout);
  server.Run();
  return 0;
}
