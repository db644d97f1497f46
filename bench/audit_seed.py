#!/usr/bin/env python3
"""Writes the cluster of the audit-scanner benchmark (bench/audit.sh):

    bench/audit_seed.py WORK_DIR POLICIES_DIR DEFAULTS_DIR [resources=20000] [namespaces=200]

- WORK_DIR/cluster.json: a JSON List for kube-apiserver-double's --seed: the namespaces, the
  resources (a mix of pods, deployments, replica sets, services, config maps, ingresses and
  service accounts, one in ten breaking some policy) and 20 ClusterAdmissionPolicies, active:
  the 6 recommended ones of deploy/defaults (their own rules and settings) and 14 others.
- WORK_DIR/policies.yml: the same 20 policies for the policy-server that answers /audit.
"""
import glob
import json
import os
import sys

import yaml  # python3-yaml: only for reading deploy/defaults

CORE, APPS, NET = "", "apps", "networking.k8s.io"

# The 14 others: (name, module, rules as (group, resources), settings).
OTHERS = [
    ("apparmor", "apparmor-psp", [(CORE, ["pods"])], {"allowed_profiles": ["runtime/default"]}),
    ("seccomp", "seccomp-psp", [(CORE, ["pods"])],
     {"allowed_profiles": ["runtime/default"], "profile_types": ["RuntimeDefault"]}),
    ("selinux", "selinux-psp", [(CORE, ["pods"])], {"rule": "RunAsAny"}),
    ("sysctls", "sysctl-psp", [(CORE, ["pods"])], {"forbiddenSysctls": ["kernel.*"]}),
    ("readonly-root", "readonly-root-filesystem-psp", [(CORE, ["pods"])], {}),
    ("volumes", "volumes-psp", [(CORE, ["pods"])],
     {"allowedTypes": ["configMap", "secret", "projected", "emptyDir",
                       "persistentVolumeClaim", "downwardAPI"]}),
    ("proc-mount", "allowed-proc-mount-types-psp", [(CORE, ["pods"])], {}),
    ("trusted-repos", "trusted-repos", [(CORE, ["pods"])],
     {"registries": {"allow": ["registry.example.com"]}}),
    ("safe-labels", "safe-labels", [(APPS, ["deployments"]), (CORE, ["services", "configmaps"])],
     {"denied_labels": ["cost-center"]}),
    ("safe-annotations", "safe-annotations",
     [(APPS, ["deployments"]), (CORE, ["services", "configmaps", "serviceaccounts"])],
     {"denied_annotations": ["debug"]}),
    ("no-loadbalancer", "disallow-service-loadbalancer", [(CORE, ["services"])], {}),
    ("no-nodeport", "disallow-service-nodeport", [(CORE, ["services"])], {}),
    ("ingress-tls", "ingress", [(NET, ["ingresses"])], {"requireTLS": True}),
    ("deprecated-apis", "deprecated-api-versions",
     [(APPS, ["deployments", "replicasets"]), (NET, ["ingresses"])],
     {"kubernetes_version": "1.30.0"}),
]


def cap(name, rules, settings, annotations=None):
    return {
        "apiVersion": "policies.kubewarden.io/v1", "kind": "ClusterAdmissionPolicy",
        "metadata": {"name": name, "annotations": annotations or {
            "io.kubewarden.policy.category": "Bench", "io.kubewarden.policy.severity": "low"}},
        "spec": {"policyServer": "default", "mode": "protect", "module": "registry/unused",
                 "rules": rules, "mutating": False, "settings": settings},
        "status": {"policyStatus": "active"},
    }


def policies(policies_dir, defaults_dir):
    """The 20 CAPs and the policies.yml text that serves them."""
    caps, served = [], {}
    for path in sorted(glob.glob(os.path.join(defaults_dir, "*.yaml"))):
        with open(path) as f:
            docs = [d for d in yaml.safe_load_all(f) if d]
        if len(docs) != 1 or docs[0].get("kind") != "ClusterAdmissionPolicy":
            continue
        doc = docs[0]
        doc["status"] = {"policyStatus": "active"}
        doc["spec"]["mode"] = "protect"
        caps.append(doc)
        module = doc["spec"]["module"].split("/")[-1].split(":")[0]
        served["clusterwide-" + doc["metadata"]["name"]] = (module, doc["spec"].get("settings", {}))
    for name, module, rules, settings in OTHERS:
        caps.append(cap(name, [{"apiGroups": [g], "apiVersions": ["v1"], "resources": r,
                                "operations": ["CREATE", "UPDATE"]} for g, r in rules], settings))
        served["clusterwide-" + name] = (module, settings)
    text = ""
    for policy_id, (module, settings) in served.items():
        text += json.dumps(policy_id) + ":\n"
        text += "  module: " + json.dumps("file://" + os.path.join(policies_dir, module + ".wasm")) + "\n"
        text += "  settings: " + json.dumps(settings) + "\n"
    return caps, text


def meta(kind_index, i, ns, extra_labels=None):
    bad = i % 10 == 0
    labels = {"app": f"app-{i % 50}", "tier": "web"}
    if bad:
        labels["cost-center"] = "42"
    labels.update(extra_labels or {})
    return {"name": f"{kind_index}-{i}", "namespace": ns, "labels": labels,
            "annotations": {"debug": "true"} if bad else {"team": f"team-{i % 30}"}}


def container(i):
    bad = i % 10 == 0
    c = {"name": "app", "image": (f"docker.io/library/nginx:1.{i % 10}" if bad else
                                  f"registry.example.com/team/app-{i % 50}:1.{i % 10}.0"),
         "ports": [{"containerPort": 8080, "protocol": "TCP"}],
         "env": [{"name": "LOG_LEVEL", "value": "info"}],
         "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                       "limits": {"cpu": "500m", "memory": "256Mi"}},
         "securityContext": {"runAsNonRoot": not bad, "allowPrivilegeEscalation": bad,
                             "readOnlyRootFilesystem": not bad, "privileged": bad,
                             "capabilities": {"drop": ["ALL"]}}}
    return c


def pod_spec(i):
    return {"serviceAccountName": "default", "containers": [container(i)],
            "volumes": [{"name": "config", "configMap": {"name": f"config-{i}"}}],
            "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
            "restartPolicy": "Always"}


def resources(count, namespaces):
    # Shares of the mix, in tenths of a percent: pods 40 %, deployments and replica sets 10 %
    # each, services 10 %, config maps 20 %, ingresses 5 %, service accounts 5 %.
    shares = [("pod", 400), ("deployment", 100), ("replicaset", 100), ("service", 100),
              ("configmap", 200), ("ingress", 50), ("serviceaccount", 50)]
    out = []
    for kind, share in shares:
        for i in range(count * share // 1000):
            ns = f"team-{i % namespaces}"
            if kind == "pod":
                out.append({"apiVersion": "v1", "kind": "Pod", "metadata": meta("pod", i, ns),
                            "spec": pod_spec(i), "status": {"phase": "Running"}})
            elif kind in ("deployment", "replicaset"):
                out.append({"apiVersion": "apps/v1",
                            "kind": "Deployment" if kind == "deployment" else "ReplicaSet",
                            "metadata": meta(kind, i, ns),
                            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": f"app-{i}"}},
                                     "template": {"metadata": {"labels": {"app": f"app-{i}"}},
                                                  "spec": pod_spec(i)}}})
            elif kind == "service":
                out.append({"apiVersion": "v1", "kind": "Service", "metadata": meta(kind, i, ns),
                            "spec": {"type": ["ClusterIP", "NodePort", "LoadBalancer"][i % 10 % 3]
                                     if i % 10 == 0 else "ClusterIP",
                                     "selector": {"app": f"app-{i}"},
                                     "ports": [{"port": 80, "targetPort": 8080}]}})
            elif kind == "configmap":
                out.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(kind, i, ns),
                            "data": {"app.properties": "log.level=info\n" * 8}})
            elif kind == "ingress":
                spec = {"rules": [{"host": f"app-{i}.example.com", "http": {"paths": [{
                    "path": "/", "pathType": "Prefix",
                    "backend": {"service": {"name": f"service-{i}", "port": {"number": 80}}}}]}}]}
                if i % 10:
                    spec["tls"] = [{"hosts": [f"app-{i}.example.com"], "secretName": f"tls-{i}"}]
                out.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                            "metadata": meta(kind, i, ns), "spec": spec})
            else:
                out.append({"apiVersion": "v1", "kind": "ServiceAccount",
                            "metadata": meta(kind, i, ns)})
    return out


def main():
    work, policies_dir, defaults_dir = sys.argv[1:4]
    count = int(sys.argv[4]) if len(sys.argv) > 4 else 20000
    namespaces = int(sys.argv[5]) if len(sys.argv) > 5 else 200
    caps, policies_yml = policies(policies_dir, defaults_dir)
    items = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
             for name in ["kubewarden"] + [f"team-{n}" for n in range(namespaces)]]
    items += caps + resources(count, namespaces)
    with open(os.path.join(work, "cluster.json"), "w") as f:
        json.dump({"apiVersion": "v1", "kind": "List", "items": items}, f)
    with open(os.path.join(work, "policies.yml"), "w") as f:
        f.write(policies_yml)
    print(f"{len(caps)} policies, {len(items) - len(caps) - namespaces - 1} resources "
          f"in {namespaces} namespaces")


if __name__ == "__main__":
    main()
