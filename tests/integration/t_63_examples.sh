# The examples of mount-examples/ and systemd/: the Kubernetes pod parses
# and holds together, every argofs option they use exists, and the
# walkthrough runs against the emulator. (The fstab lines are mounted for
# real by t_60_mount.sh, the units by t_62_systemd.sh.)

test_examples_k8s_pod_is_consistent() {
	python3 - "$SRC/mount-examples/k8s-sidecar.yaml" <<'PY' || fail "k8s-sidecar.yaml"
import sys, yaml

with open(sys.argv[1]) as f:
    docs = [d for d in yaml.safe_load_all(f) if d is not None]
assert len(docs) == 1 and docs[0]["kind"] == "Pod", "one Pod"
spec = docs[0]["spec"]
volumes = {v["name"]: v for v in spec["volumes"]}
every = spec.get("initContainers", []) + spec["containers"]
sidecars = [c for c in every if c["image"].startswith("argofs")]
assert len(sidecars) == 1, "one argofs container"
side = sidecars[0]
assert side in spec.get("initContainers", []) and side.get("restartPolicy") == "Always", \
    "argofs is a native sidecar"
sc = side.get("securityContext", {})
assert sc.get("privileged") is True, "Bidirectional propagation needs a privileged sidecar"
args = side["args"]
assert "-f" in args, "argofs stays in the foreground"
server, mountpoint = [a for a in args[:2]]
mounts = {m["name"]: m for m in side["volumeMounts"]}
for m in every:
    for vm in m.get("volumeMounts", []):
        assert vm["name"] in volumes, "volume %s is defined" % vm["name"]
shared = [m for m in mounts.values() if m["mountPath"] == mountpoint]
assert len(shared) == 1 and shared[0].get("mountPropagation") == "Bidirectional", \
    "the mountpoint is a Bidirectional volume mount"
shared_name = shared[0]["name"]
assert "emptyDir" in volumes[shared_name], "the shared volume is an emptyDir"
consumers = [c for c in spec["containers"]
             if any(vm["name"] == shared_name for vm in c.get("volumeMounts", []))]
assert consumers, "a container uses the mount"
for c in consumers:
    vm = [vm for vm in c["volumeMounts"] if vm["name"] == shared_name][0]
    assert vm.get("mountPropagation") == "HostToContainer", c["name"] + " uses HostToContainer"
opts = dict(o.split("=", 1) if "=" in o else (o, "") for o in args[args.index("-o") + 1].split(","))
token = opts["token_file"]
holders = [m for m in mounts.values() if token.startswith(m["mountPath"].rstrip("/") + "/")]
assert holders, "token_file is on a volume of the sidecar"
src = volumes[holders[0]["name"]]
assert "projected" in src or "secret" in src, "the token comes from a projected token or a secret"
probe = side["startupProbe"]["exec"]["command"]
assert any(mountpoint in a for a in probe), "the startup probe looks at the mount"
PY
}

test_examples_options_exist_in_help() {
	"$ARGOFS" --help >"$T/help" || fail "--help failed"
	python3 - "$T/help" "$SRC" <<'PY' || fail "an example uses an option argofs does not have"
import re, shlex, sys, yaml

help_text = open(sys.argv[1]).read()
src = sys.argv[2]
known = set(re.findall(r"^ +-o ([a-z_]+)", help_text, re.M))
assert {"token_file", "namespace", "allow_other"} <= known, "options read from --help"
# what fstab and mount(8) pass (argofs(1): "Options of fstab and mount(8)"),
# and the kernel's mount flags, which libfuse takes
generic = set("defaults auto noauto user users nouser owner group nofail _netdev comment "
              "rw ro dev nodev suid nosuid exec noexec sync async atime noatime".split())
found = []  # (where, option list)

def lines(path):
    with open(src + "/" + path) as f:
        return [l.rstrip("\n") for l in f]

for l in lines("mount-examples/fstab"):
    if l.strip() and not l.lstrip().startswith("#"):
        found.append(("mount-examples/fstab", l.split()[3]))
with open(src + "/mount-examples/k8s-sidecar.yaml") as f:
    pod = yaml.safe_load(f)
for c in pod["spec"].get("initContainers", []) + pod["spec"]["containers"]:
    if c["image"].startswith("argofs"):
        found.append(("mount-examples/k8s-sidecar.yaml", c["args"][c["args"].index("-o") + 1]))
for path in ("mount-examples/README.md", "README.md"):
    for l in lines(path):
        if re.search(r"\b(argofs|mount -t fuse\.argofs)\b.* -o ", l):
            words = shlex.split(l, comments=True)
            found += [(path, words[i + 1]) for i, w in enumerate(words) if w == "-o"]
for l in lines("systemd/mnt-argo.mount"):
    if l.startswith("Options="):
        found.append(("systemd/mnt-argo.mount", l.split("=", 1)[1]))
for l in lines("systemd/argofs.conf.example"):
    if l.startswith("ARGOFS_OPTIONS="):
        found.append(("systemd/argofs.conf.example", l.split("=", 1)[1]))
for where in ("mount-examples/fstab", "mount-examples/k8s-sidecar.yaml", "mount-examples/README.md",
              "systemd/mnt-argo.mount", "systemd/argofs.conf.example"):
    assert any(w == where for w, _ in found), "no options found in " + where
bad = []
for where, opts in found:
    for o in opts.split(","):
        name = o.split("=", 1)[0]
        if name not in known and name not in generic and not name.startswith("x-"):
            bad.append("%s: %s" % (where, o))
if bad:
    sys.exit("unknown options:\n  " + "\n  ".join(bad))
PY
}

test_examples_walkthrough_runs() {
	setup
	journal_reset
	"$SRC/mount-examples/walkthrough.sh" "$MNT" argo >"$T/walk.out" 2>&1 ||
		fail "walkthrough failed: $(cat "$T/walk.out")"
	local out
	out=$(cat "$T/walk.out")
	assert_contains "$out" "greet.yaml"
	assert_contains "$out" "Succeeded"
	assert_contains "$out" ": hello from argofs"
	assert_eq 1 "$(journal count POST /api/v1/workflow-templates/argo)" "template creations"
	assert_eq 1 "$(journal count POST /api/v1/workflows/argo/submit)" "submissions"
	assert_eq hello-from-argofs "$(journal body POST /api/v1/workflows/argo/submit submitOptions.parameters |
		tr -d '[]"' | sed 's/message=//; s/ /-/g')" "submitted parameter"
}
