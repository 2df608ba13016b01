# SPDX-License-Identifier: Apache-2.0
"""Structural checks of packaging/kubernetes/*.yaml (python3-yaml): TAP lines.

Every file: the DaemonSet's shape (kcap-daemonset.yaml's rules). A file
whose kcap container has --gvisor-sink (kcap-daemonset-gvisor.yaml): the
sink socket on a hostPath at the node's own path, the session file that
runsc's pod-init-config names written there by an init container for the
same socket, the runsc roots mounted for --gvisor-root and --gvisor-attach,
and no runtimeClassName.
"""
import os
import sys

import yaml

n = failed = 0


def result(ok, what):
    global n, failed
    n += 1
    failed += not ok
    print(f"[pkg] {'ok' if ok else 'not ok'} {n} - k8s: {what}")


def opt(cmd, name):
    """The value after option NAME in the argument list CMD, or None."""
    return cmd[cmd.index(name) + 1] if name in cmd and cmd.index(name) + 1 < len(cmd) else None


def mounted_from(c, vols, path):
    """The host path a container path PATH comes from (mountPath == hostPath prefix)."""
    for m in c.get("volumeMounts", []):
        mp = m["mountPath"].rstrip("/")
        if path == mp or path.startswith(mp + "/"):
            v = vols.get(m["name"], {})
            if "hostPath" in v:
                return v["hostPath"]["path"].rstrip("/") + path[len(mp):], m
    return None, None


def check(path):
    name = os.path.basename(path)
    docs = [d for d in yaml.safe_load_all(open(path)) if d]
    ds = [d for d in docs if d.get("kind") == "DaemonSet"]
    result(len(ds) == 1, f"{name}: one DaemonSet")
    d = ds[0]
    result(d.get("apiVersion") == "apps/v1" and d["metadata"].get("name"),
           f"{name}: apiVersion, name")
    spec = d["spec"]
    labels = spec["template"]["metadata"]["labels"]
    result(all(labels.get(k) == v for k, v in spec["selector"]["matchLabels"].items()),
           f"{name}: selector matches the pod labels")
    pod = spec["template"]["spec"]
    inits, ctrs = pod.get("initContainers", []), pod.get("containers", [])
    result(any(c["name"] == "driver-loader" for c in inits),
           f"{name}: driver-loader init container")
    result(any("kcap driver load" in " ".join(map(str, c.get("command", []))) for c in inits),
           f"{name}: the init container runs kcap driver load")
    priv = [c["name"] for c in inits + ctrs if c.get("securityContext", {}).get("privileged")]
    result(priv == ["driver-loader"], f"{name}: privileged only where the module is loaded ({priv})")
    for c in inits + ctrs:
        r = c.get("resources", {})
        result(all(k in r.get(x, {}) for x in ("requests", "limits") for k in ("cpu", "memory")),
               f"{name}: {c['name']}: cpu and memory requests and limits")
    main = [c for c in ctrs if c["name"] == "kcap"][0]
    sc = main["securityContext"]
    result(sc.get("allowPrivilegeEscalation") is False and sc["capabilities"]["drop"] == ["ALL"],
           f"{name}: kcap container: no privilege escalation, all capabilities dropped but a few")
    vols = {v["name"]: v for v in pod["volumes"]}
    for c in inits + ctrs:
        missing = [m["name"] for m in c.get("volumeMounts", []) if m["name"] not in vols]
        result(not missing, f"{name}: {c['name']}: every mount has a volume {missing}")
    paths = {v["hostPath"]["path"] for v in vols.values() if "hostPath" in v}
    result({"/lib/modules", "/usr/src", "/sys", "/dev/kcap", "/var/lib/kcap"} <= paths,
           f"{name}: host paths: /lib/modules /usr/src /sys /dev/kcap /var/lib/kcap")
    text = open(path).read()
    result(all(p in text.split("apiVersion")[0] for p in sorted(paths)),
           f"{name}: every host path is documented in the header comment")

    cmdline = " ".join(map(str, main.get("command", [])))
    result("kcap detect" in cmdline or "kcap export --to nats://" in cmdline,
           f"the node container runs kcap detect or kcap export --to ({cmdline})")
    for dep in [x for x in docs if x.get("kind") == "Deployment"]:
        dspec = dep["spec"]
        dlabels = dspec["template"]["metadata"]["labels"]
        result(dep.get("apiVersion") == "apps/v1" and
               all(dlabels.get(k) == v for k, v in dspec["selector"]["matchLabels"].items()),
               f"{name}: Deployment {dep['metadata']['name']}: apiVersion, selector matches")
        dpod = dspec["template"]["spec"]
        result(not dpod.get("hostPID") and not any("hostPath" in v for v in dpod.get("volumes", [])),
               f"{name}: Deployment: no host PID namespace, no host path")
        for c in dpod["containers"]:
            csc = c.get("securityContext", {})
            r = c.get("resources", {})
            result(not csc.get("privileged") and csc.get("allowPrivilegeEscalation") is False and
                   csc.get("capabilities", {}).get("drop") == ["ALL"] and
                   not csc.get("capabilities", {}).get("add"),
                   f"{c['name']}: unprivileged, every capability dropped")
            result(all(k in r.get(x, {}) for x in ("requests", "limits") for k in ("cpu", "memory")),
                   f"{c['name']}: cpu and memory requests and limits")
            dcmd = [str(a) for a in c.get("command", [])]
            result("--from nats://" in " ".join(dcmd),
                   f"{c['name']}: runs kcap detect --from nats://")
            result(dspec.get("replicas", 1) >= 2 and opt(dcmd, "--durable") is not None,
                   f"{c['name']}: {dspec.get('replicas', 1)} replicas share one durable "
                   f"({opt(dcmd, '--durable')})")


    cmd = [str(a) for a in main.get("command", [])]
    sink = opt(cmd, "--gvisor-sink")
    if sink is None:
        return
    result(not pod.get("runtimeClassName"), f"{name}: the DaemonSet does not run under gVisor")
    host, m = mounted_from(main, vols, sink)
    result(host == sink and m is not None and not m.get("readOnly"),
           f"{name}: the sink {sink} is on a writable hostPath at the node's own path")
    sess = [c for c in inits if "session-config" in c.get("command", [])]
    result(len(sess) == 1, f"{name}: an init container writes the session")
    if sess:
        scmd = [str(a) for a in sess[0]["command"]]
        result(opt(scmd, "--sink") == sink, f"{name}: the session names the same sink")
        out = opt(scmd, "-o")
        shost, _ = mounted_from(sess[0], vols, out or "")
        result(out is not None and shost == out and out in text.split("apiVersion")[0],
               f"{name}: the session file {out} is on the node, named in the header"
               " (runsc's pod-init-config)")
        result("pod-init-config" in text.split("apiVersion")[0],
               f"{name}: the runsc shim's pod-init-config is documented")
        result(not sess[0].get("securityContext", {}).get("privileged")
               and sess[0]["securityContext"]["capabilities"]["drop"] == ["ALL"],
               f"{name}: the session init container is unprivileged")
    roots = [cmd[i + 1] for i, a in enumerate(cmd) if a == "--gvisor-root" and i + 1 < len(cmd)]
    result(roots and all(mounted_from(main, vols, r)[0] == r for r in roots),
           f"{name}: every --gvisor-root {roots} is mounted from the node's same path")
    if "--gvisor-attach" in cmd:
        result(all(not mounted_from(main, vols, r)[1].get("readOnly") for r in roots),
               f"{name}: --gvisor-attach: the runsc roots are writable (runsc's lock files)")


for f in sys.argv[1:]:
    check(f)
print(f"[pkg] {n - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
