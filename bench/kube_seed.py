#!/usr/bin/env python3
"""Writes a cluster for the context-aware benchmarks as one JSON List, for kube-apiserver-double's
--seed: N namespaces, pods spread over them (realistic objects, about 2 KB each once the server's
bookkeeping is added) and role bindings spread the same way.

    bench/kube_seed.py OUT.json [namespaces=3000] [pods=10000] [rolebindings=10000]
"""
import json
import sys


def pod(i, ns):
    name = f"app-{i}-7d9c8b6f5-x{i % 97:02d}"
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": name, "namespace": ns,
            "labels": {"app": f"app-{i % 50}", "pod-template-hash": "7d9c8b6f5", "tier": "web"},
            "annotations": {"kubectl.kubernetes.io/restartedAt": "2026-12-01T10:00:00Z"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                 "name": f"app-{i}-7d9c8b6f5", "uid": f"00000000-0000-0000-0000-{i:012d}",
                                 "controller": True, "blockOwnerDeletion": True}],
        },
        "spec": {
            "serviceAccountName": "default", "nodeName": f"node-{i % 20}",
            "containers": [{
                "name": "app", "image": f"registry.example.com/team/app-{i % 50}:1.{i % 10}.0",
                "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                "env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "PORT", "value": "8080"}],
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                              "limits": {"cpu": "500m", "memory": "256Mi"}},
                "securityContext": {"runAsNonRoot": True, "allowPrivilegeEscalation": False,
                                    "capabilities": {"drop": ["ALL"]}},
                "volumeMounts": [{"name": "kube-api-access", "mountPath":
                                  "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": True}],
            }],
            "volumes": [{"name": "kube-api-access", "projected": {"sources": [
                {"serviceAccountToken": {"path": "token", "expirationSeconds": 3607}}]}}],
            "restartPolicy": "Always", "dnsPolicy": "ClusterFirst",
        },
        "status": {"phase": "Running", "podIP": f"10.0.{i // 250 % 250}.{i % 250}",
                   "conditions": [{"type": "Ready", "status": "True"}]},
    }


def rolebinding(i, ns):
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": f"binding-{i}", "namespace": ns, "labels": {"team": f"team-{i % 30}"}},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                    "name": ["view", "edit", "admin"][i % 3]},
        "subjects": [{"kind": "ServiceAccount", "name": f"sa-{i}", "namespace": ns},
                     {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io",
                      "name": f"group-{i % 40}"}],
    }


def main():
    out = sys.argv[1]
    namespaces, pods, bindings = (int(a) for a in (sys.argv[2:] + ["3000", "10000", "10000"])[:3])
    names = [f"ns-{n}" for n in range(namespaces)]
    items = [{"apiVersion": "v1", "kind": "Namespace",
              "metadata": {"name": ns, "labels": {"team": f"team-{n % 30}"}}}
             for n, ns in enumerate(names)]
    items += [pod(i, names[i % namespaces]) for i in range(pods)]
    items += [rolebinding(i, names[i % namespaces]) for i in range(bindings)]
    with open(out, "w") as f:
        json.dump({"apiVersion": "v1", "kind": "List", "items": items}, f)


if __name__ == "__main__":
    main()
