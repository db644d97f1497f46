#!/usr/bin/env python3
"""Writes the reports of a scan for the compliance UI's benchmark as one JSON List, for
kube-apiserver-double's --seed: N namespaces and one PolicyReport per resource, each with R
results as the audit scanner writes them (src/audit/report.cc), over 40 policies.

    bench/ui_seed.py OUT.json [namespaces=50] [reports=5000] [results_per_report=10]
"""
import json
import sys


def main():
    out = sys.argv[1]
    namespaces = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    reports = int(sys.argv[3]) if len(sys.argv) > 3 else 5000
    per_report = int(sys.argv[4]) if len(sys.argv) > 4 else 10
    items = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"ns-{n}"}}
             for n in range(namespaces)]
    verdicts = ["pass", "pass", "pass", "fail", "warn"]
    for r in range(reports):
        ns, uid = f"ns-{r % namespaces}", f"00000000-0000-4000-8000-{r:012d}"
        results = []
        for i in range(per_report):
            policy = (r + i * 7) % 40
            verdict = verdicts[(r + i) % 5]
            result = {"source": "kubewarden", "policy": f"clusterwide-policy-{policy}",
                      "category": f"category-{policy % 4}",
                      "severity": "high" if policy % 2 else "medium", "result": verdict,
                      "scored": True, "resourceSelector": {},
                      "timestamp": {"seconds": 1767225600, "nanos": 0},
                      "properties": {"validating": "true", "policy-name": f"policy-{policy}",
                                     "policy-uid": uid, "policy-resource-version": "1"}}
            if verdict != "pass":
                result["message"] = "the container runs privileged"
            results.append(result)
        items.append({
            "apiVersion": "wgpolicyk8s.io/v1alpha2", "kind": "PolicyReport",
            "metadata": {"name": uid, "namespace": ns,
                         "labels": {"app.kubernetes.io/managed-by": "kubewarden",
                                    "kubewarden.io/policyreport-version": "v2",
                                    "kubewarden.io/audit-scanner-run-uid": "run-1"}},
            "scope": {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": ns,
                      "name": f"app-{r}", "uid": uid, "resourceVersion": "1"},
            "summary": {"pass": 0, "fail": 0, "warn": 0, "error": 0, "skip": 0},
            "results": results})
    with open(out, "w") as f:
        json.dump({"apiVersion": "v1", "kind": "List", "items": items}, f)


if __name__ == "__main__":
    main()
