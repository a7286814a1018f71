#!/usr/bin/env python3
"""Writes a synthetic repository of N manifests (benchmarks of scaling; see BENCHMARKS.md).

    python3 scripts/gen-repo.py 10000 /tmp/repo-10k

The mix, by manifest: Deployments (one per file, most with findings), CronJobs, Lists of Pods
(ten items per file), `helm template` output with `# Source:` comments (twenty documents per
file), and a few large CustomResourceDefinitions (an OpenAPI schema of about 200 KiB each, one
per 100 files). Files go ten per directory; the output depends only on N.
"""
import os
import sys


def deployment(i, clean):
    sc = (
        "          securityContext:\n"
        "            runAsUser: 10001\n"
        "            runAsGroup: 10001\n"
        "            allowPrivilegeEscalation: false\n"
        "            readOnlyRootFilesystem: true\n"
        if clean
        else ""
    )
    return (
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata:\n"
        f"  name: app-{i}\n"
        "  namespace: bench\n"
        "  labels: {app: bench, tier: web}\n"
        "spec:\n"
        "  replicas: 2\n"
        "  selector:\n"
        f"    matchLabels: {{app: app-{i}}}\n"
        "  template:\n"
        "    metadata:\n"
        f"      labels: {{app: app-{i}}}\n"
        "    spec:\n"
        "      containers:\n"
        f"        - name: app-{i}\n"
        f"          image: registry.example/app:{i % 97}.0\n"
        "          imagePullPolicy: Always\n"
        "          ports: [{containerPort: 8080, name: http}]\n"
        "          env:\n"
        "            - {name: MODE, value: production}\n"
        "            - {name: LOG_LEVEL, value: info}\n"
        "          resources:\n"
        "            limits: {cpu: 500m, memory: 256Mi}\n"
        "            requests: {cpu: 100m, memory: 128Mi}\n"
        + sc
    )


def cronjob(i):
    return (
        "apiVersion: batch/v1\n"
        "kind: CronJob\n"
        "metadata:\n"
        f"  name: job-{i}\n"
        "spec:\n"
        "  schedule: \"*/5 * * * *\"\n"
        "  jobTemplate:\n"
        "    spec:\n"
        "      template:\n"
        "        spec:\n"
        "          restartPolicy: OnFailure\n"
        "          containers:\n"
        f"            - name: job-{i}\n"
        "              image: busybox:1.36\n"
        "              command: [sh, -c, date]\n"
        "              securityContext: {privileged: yes}\n"
    )


def pod_list(i, n):
    items = "".join(
        "  - apiVersion: v1\n"
        "    kind: Pod\n"
        f"    metadata: {{name: pod-{i}-{k}}}\n"
        "    spec:\n"
        "      containers:\n"
        f"        - {{name: c, image: \"nginx:1.27\"}}\n"
        for k in range(n)
    )
    return "apiVersion: v1\nkind: List\nitems:\n" + items


def helm_output(i, n):
    docs = []
    for k in range(n):
        docs.append(
            f"---\n# Source: chart-{i}/templates/deploy-{k}.yaml\n" + deployment(i * 100 + k, k % 2 == 0)
        )
    return "".join(docs)


def crd(i):
    props = "".join(
        f"                field{k}:\n"
        "                  type: object\n"
        f"                  description: \"Field {k} of the example resource, with a long description.\"\n"
        "                  properties:\n"
        "                    name: {type: string}\n"
        "                    value: {type: integer, format: int64, minimum: 0}\n"
        "                    enabled: {type: boolean}\n"
        for k in range(1200)
    )
    return (
        "apiVersion: apiextensions.k8s.io/v1\n"
        "kind: CustomResourceDefinition\n"
        "metadata:\n"
        f"  name: widgets{i}.example.com\n"
        "spec:\n"
        "  group: example.com\n"
        f"  names: {{kind: Widget{i}, plural: widgets{i}}}\n"
        "  scope: Namespaced\n"
        "  versions:\n"
        "    - name: v1\n"
        "      served: true\n"
        "      storage: true\n"
        "      schema:\n"
        "        openAPIV3Schema:\n"
        "          type: object\n"
        "          properties:\n"
        "            spec:\n"
        "              type: object\n"
        "              properties:\n" + props
    )


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    total, out = int(argv[1]), argv[2]
    made, f = 0, 0
    while made < total:
        kind = f % 10
        if f % 100 == 99:
            text, n = crd(f), 1
        elif kind < 5:
            text, n = deployment(f, f % 5 == 0), 1
        elif kind < 7:
            text, n = cronjob(f), 1
        elif kind < 9:
            text, n = pod_list(f, 10), 10
        else:
            text, n = helm_output(f, 20), 20
        d = os.path.join(out, f"d{f // 10:05d}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"m{f}.yaml"), "w") as fh:
            fh.write(text)
        made += n
        f += 1


if __name__ == "__main__":
    main(sys.argv)
