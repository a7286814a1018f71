#!/usr/bin/env python3
"""Writes one file that looks like the output of `helm template` for many releases: documents
with `# Source:` comments, a mix of Deployments (half of them hardened), Services, ConfigMaps,
ServiceAccounts and the odd CronJob, so that most objects have 0 to 3 findings (benchmarks of
one huge file; see BENCHMARKS.md "Scale"). The output depends only on the arguments.

    python3 scripts/gen-helm-output.py --bytes 100000000 > /tmp/helm-100mb.yaml
    python3 scripts/gen-helm-output.py 3000 > /tmp/helm-3000.yaml     # 3000 documents
"""
import sys


def deployment(c, i, hardened):
    sc = (
        "          securityContext:\n"
        "            runAsNonRoot: true\n"
        "            runAsUser: 10001\n"
        "            runAsGroup: 10001\n"
        "            allowPrivilegeEscalation: false\n"
        "            readOnlyRootFilesystem: true\n"
        "            capabilities: {drop: [ALL]}\n"
        "            seccompProfile: {type: RuntimeDefault}\n"
        if hardened
        else "          securityContext:\n            runAsNonRoot: true\n"
    )
    return (
        f"# Source: chart-{c}/templates/deployment.yaml\n"
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata:\n"
        f"  name: release-{c}-app-{i}\n"
        "  labels:\n"
        f"    app.kubernetes.io/name: app-{i}\n"
        f"    app.kubernetes.io/instance: release-{c}\n"
        "    app.kubernetes.io/managed-by: Helm\n"
        f"    helm.sh/chart: chart-{c}-1.2.{i % 10}\n"
        "spec:\n"
        "  replicas: 2\n"
        "  selector:\n"
        "    matchLabels:\n"
        f"      app.kubernetes.io/name: app-{i}\n"
        "  template:\n"
        "    metadata:\n"
        "      labels:\n"
        f"        app.kubernetes.io/name: app-{i}\n"
        "      annotations:\n"
        f"        checksum/config: \"{(c * 7919 + i) % 10**12:012d}abcdef\"\n"
        "    spec:\n"
        f"      serviceAccountName: release-{c}-app-{i}\n"
        "      containers:\n"
        f"        - name: app\n"
        f"          image: \"registry.example/app-{i % 97}:1.{i % 13}.0\"\n"
        "          imagePullPolicy: IfNotPresent\n"
        "          ports:\n"
        "            - name: http\n"
        "              containerPort: 8080\n"
        "              protocol: TCP\n"
        "          env:\n"
        "            - name: MODE\n"
        "              value: \"production\"\n"
        "          livenessProbe:\n"
        "            httpGet: {path: /healthz, port: http}\n"
        "          readinessProbe:\n"
        "            httpGet: {path: /ready, port: http}\n"
        "          resources:\n"
        "            limits: {cpu: 500m, memory: 256Mi}\n"
        "            requests: {cpu: 100m, memory: 128Mi}\n"
        + sc
    )


def service(c, i):
    return (
        f"# Source: chart-{c}/templates/service.yaml\n"
        "apiVersion: v1\n"
        "kind: Service\n"
        "metadata:\n"
        f"  name: release-{c}-app-{i}\n"
        "  labels:\n"
        f"    app.kubernetes.io/name: app-{i}\n"
        "spec:\n"
        "  type: ClusterIP\n"
        "  ports:\n"
        "    - port: 80\n"
        "      targetPort: http\n"
        "      protocol: TCP\n"
        "      name: http\n"
        "  selector:\n"
        f"    app.kubernetes.io/name: app-{i}\n"
    )


def configmap(c, i):
    return (
        f"# Source: chart-{c}/templates/configmap.yaml\n"
        "apiVersion: v1\n"
        "kind: ConfigMap\n"
        "metadata:\n"
        f"  name: release-{c}-config-{i}\n"
        "data:\n"
        "  app.properties: |\n"
        f"    server.port=8080\n"
        f"    app.name=app-{i}\n"
        "    log.level=info\n"
        "  MODE: production\n"
    )


def service_account(c, i):
    return (
        f"# Source: chart-{c}/templates/serviceaccount.yaml\n"
        "apiVersion: v1\n"
        "kind: ServiceAccount\n"
        "metadata:\n"
        f"  name: release-{c}-app-{i}\n"
        "automountServiceAccountToken: false\n"
    )


def cronjob(c, i):
    return (
        f"# Source: chart-{c}/templates/cronjob.yaml\n"
        "apiVersion: batch/v1\n"
        "kind: CronJob\n"
        "metadata:\n"
        f"  name: release-{c}-job-{i}\n"
        "spec:\n"
        "  schedule: \"*/5 * * * *\"\n"
        "  jobTemplate:\n"
        "    spec:\n"
        "      template:\n"
        "        spec:\n"
        "          restartPolicy: OnFailure\n"
        "          containers:\n"
        "            - name: job\n"
        "              image: busybox:1.36\n"
        "              command: [sh, -c, date]\n"
    )


def doc(n):
    c, k = divmod(n, 10)
    i = n
    if k in (0, 5):
        return deployment(c, i, k == 0)
    if k in (1, 6):
        return service(c, i)
    if k in (2, 7):
        return configmap(c, i)
    if k in (3, 8):
        return service_account(c, i)
    if k == 4:
        return cronjob(c, i)
    return configmap(c, i + 1)


def main(argv):
    out = sys.stdout
    if len(argv) == 3 and argv[1] == "--bytes":
        limit, size, n = int(argv[2]), 0, 0
        while size < limit:
            d = "---\n" + doc(n)
            out.write(d)
            size += len(d)
            n += 1
    elif len(argv) == 2:
        for n in range(int(argv[1])):
            out.write("---\n" + doc(n))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
