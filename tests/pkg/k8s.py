# SPDX-License-Identifier: Apache-2.0
"""Structural checks of packaging/kubernetes/*.yaml (python3-yaml): TAP lines."""
import sys

import yaml

n = failed = 0


def result(ok, what):
    global n, failed
    n += 1
    failed += not ok
    print(f"[pkg] {'ok' if ok else 'not ok'} {n} - k8s: {what}")


def check_file(path):
    docs = [d for d in yaml.safe_load_all(open(path)) if d]
    ds = [d for d in docs if d.get("kind") == "DaemonSet"]
    result(len(ds) == 1, f"{path.split('/')[-1]}: one DaemonSet")
    d = ds[0]
    result(d.get("apiVersion") == "apps/v1" and d["metadata"].get("name"), "apiVersion, name")
    spec = d["spec"]
    labels = spec["template"]["metadata"]["labels"]
    result(all(labels.get(k) == v for k, v in spec["selector"]["matchLabels"].items()),
           "selector matches the pod labels")
    pod = spec["template"]["spec"]
    inits, ctrs = pod.get("initContainers", []), pod.get("containers", [])
    result(any(c["name"] == "driver-loader" for c in inits), "driver-loader init container")
    result(any("kcap driver load" in " ".join(map(str, c.get("command", []))) for c in inits),
           "the init container runs kcap driver load")
    priv = [c["name"] for c in inits + ctrs if c.get("securityContext", {}).get("privileged")]
    result(priv == ["driver-loader"], f"privileged only where the module is loaded ({priv})")
    for c in inits + ctrs:
        r = c.get("resources", {})
        result(all(k in r.get(x, {}) for x in ("requests", "limits") for k in ("cpu", "memory")),
               f"{c['name']}: cpu and memory requests and limits")
    main = [c for c in ctrs if c["name"] == "kcap"][0]
    sc = main["securityContext"]
    result(sc.get("allowPrivilegeEscalation") is False and sc["capabilities"]["drop"] == ["ALL"],
           "kcap container: no privilege escalation, all capabilities dropped but a few")
    vols = {v["name"]: v for v in pod["volumes"]}
    for c in inits + ctrs:
        missing = [m["name"] for m in c.get("volumeMounts", []) if m["name"] not in vols]
        result(not missing, f"{c['name']}: every mount has a volume {missing}")
    paths = {v["hostPath"]["path"] for v in vols.values() if "hostPath" in v}
    result({"/lib/modules", "/usr/src", "/sys", "/dev/kcap", "/var/lib/kcap"} <= paths,
           "host paths: /lib/modules /usr/src /sys /dev/kcap /var/lib/kcap")
    text = open(path).read()
    result(all(p in text.split("apiVersion")[0] for p in sorted(paths)),
           "every host path is documented in the header comment")
    cmd = " ".join(map(str, main.get("command", [])))
    result("kcap detect" in cmd or "kcap export --to nats://" in cmd,
           f"the node container runs kcap detect or kcap export --to ({cmd})")
    for dep in [x for x in docs if x.get("kind") == "Deployment"]:
        dspec = dep["spec"]
        dlabels = dspec["template"]["metadata"]["labels"]
        result(dep.get("apiVersion") == "apps/v1" and
               all(dlabels.get(k) == v for k, v in dspec["selector"]["matchLabels"].items()),
               f"Deployment {dep['metadata']['name']}: apiVersion, selector matches")
        dpod = dspec["template"]["spec"]
        result(not dpod.get("hostPID") and not any("hostPath" in v for v in dpod.get("volumes", [])),
               "Deployment: no host PID namespace, no host path")
        for c in dpod["containers"]:
            csc = c.get("securityContext", {})
            r = c.get("resources", {})
            result(not csc.get("privileged") and csc.get("allowPrivilegeEscalation") is False and
                   csc.get("capabilities", {}).get("drop") == ["ALL"] and
                   not csc.get("capabilities", {}).get("add"),
                   f"{c['name']}: unprivileged, every capability dropped")
            result(all(k in r.get(x, {}) for x in ("requests", "limits") for k in ("cpu", "memory")),
                   f"{c['name']}: cpu and memory requests and limits")
            result("--from nats://" in " ".join(map(str, c.get("command", []))),
                   f"{c['name']}: runs kcap detect --from nats://")


for path in sys.argv[1:]:
    check_file(path)
print(f"[pkg] {n - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
