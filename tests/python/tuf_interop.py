"""python-tuf as the TUF peer of intoto's distribution tests (ITE-2). Run
with the interpreter of target/pyref (scripts/pyref-venv.sh).

  tuf_interop.py download URL ROOT TARGET OUT
      python-tuf's client (ngclient) refreshes from ROOT, downloads TARGET
      and every target its custom.in-toto lists, and the keys its layout's
      custom.in-toto lists, into OUT; prints {name: sha256} as JSON.

  tuf_interop.py publish REPO PACKAGE LAYOUT LAYOUT_KEY LINK...
      python-tuf's Metadata API lays out a new repository in REPO as ITE-2
      describes (root, targets with the layout and its key, a delegated
      packages-and-in-toto-metadata-signer role with the package and its
      links, snapshot, timestamp; consistent snapshots, targets stored as
      dir/<sha256>.<file>); the first root is REPO/metadata/1.root.json.

Exit status 0 on success; a failure prints its reason and exits 1.
"""

import hashlib
import json
import os
import sys
import tempfile
from datetime import datetime, timedelta, timezone

from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import (
    DelegatedRole,
    Delegations,
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer
from tuf.ngclient import Updater, UpdaterConfig

PACKAGES_ROLE = "packages-and-in-toto-metadata-signer"


def download(url, root, target, out):
    url = url.rstrip("/") + "/"
    with open(root, "rb") as f:
        trusted = f.read()
    with tempfile.TemporaryDirectory() as metadata:
        updater = Updater(
            metadata_dir=metadata,
            metadata_base_url=url + "metadata/",
            target_base_url=url + "targets/",
            target_dir=out,
            config=UpdaterConfig(prefix_targets_with_hash=True),
            bootstrap=trusted,
        )
        updater.refresh()
        got = {}

        def fetch(name):
            info = updater.get_targetinfo(name)
            if info is None:
                raise SystemExit(f"python-tuf finds no target {name!r}")
            path = updater.download_target(
                info, os.path.join(out, name.replace("/", "__"))
            )
            with open(path, "rb") as f:
                got[name] = hashlib.sha256(f.read()).hexdigest()
            return info

        package = fetch(target)
        listed = (package.custom or {}).get("in-toto", [])
        for name in listed:
            info = fetch(name)
            for key in (info.custom or {}).get("in-toto", []):
                fetch(key)
        print(json.dumps(got, sort_keys=True))


def target_file(name, path):
    with open(path, "rb") as f:
        data = f.read()
    return TargetFile.from_data(name, data, ["sha256"]), data


def store(repo, target, data):
    digest = target.hashes["sha256"]
    folder, _, file = target.path.rpartition("/")
    dest = os.path.join(repo, "targets", folder, f"{digest}.{file}")
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    with open(dest, "wb") as f:
        f.write(data)


def publish(repo, package, layout, layout_key, links):
    expires = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=7)
    signers = {
        role: CryptoSigner.generate_ed25519()
        for role in ["root", "targets", "snapshot", "timestamp", PACKAGES_ROLE]
    }
    root = Metadata(Root(expires=expires, consistent_snapshot=True))
    for role in ["root", "targets", "snapshot", "timestamp"]:
        root.signed.add_key(signers[role].public_key, role)

    with open(layout, "rb") as f:
        layout_digest = hashlib.sha256(f.read()).hexdigest()
    layout_name = f"in-toto-metadata/layouts/{layout_digest[:16]}/{os.path.basename(layout)}"
    key_name = f"in-toto-pubkeys/{os.path.basename(layout_key)}"
    top = Metadata(Targets(expires=expires))
    key_target, key_data = target_file(key_name, layout_key)
    layout_target, layout_data = target_file(layout_name, layout)
    layout_target.unrecognized_fields["custom"] = {"in-toto": [key_name]}
    for t, data in [(key_target, key_data), (layout_target, layout_data)]:
        top.signed.targets[t.path] = t
        store(repo, t, data)
    packages_key = signers[PACKAGES_ROLE].public_key
    top.signed.delegations = Delegations(
        keys={packages_key.keyid: packages_key},
        roles={
            PACKAGES_ROLE: DelegatedRole(
                name=PACKAGES_ROLE,
                keyids=[packages_key.keyid],
                threshold=1,
                terminating=True,
                paths=["*", "*/*", "*/*/*", "*/*/*/*"],
            )
        },
    )

    with open(package, "rb") as f:
        package_digest = hashlib.sha256(f.read()).hexdigest()
    packages = Metadata(Targets(expires=expires))
    listed = [layout_name]
    for link in links:
        name = f"in-toto-metadata/{package_digest[:32]}/{os.path.basename(link)}"
        t, data = target_file(name, link)
        packages.signed.targets[name] = t
        store(repo, t, data)
        listed.append(name)
    t, data = target_file(os.path.basename(package), package)
    t.unrecognized_fields["custom"] = {"in-toto": listed}
    packages.signed.targets[t.path] = t
    store(repo, t, data)

    snapshot = Metadata(Snapshot(expires=expires))
    snapshot.signed.meta["targets.json"] = MetaFile(version=top.signed.version)
    snapshot.signed.meta[f"{PACKAGES_ROLE}.json"] = MetaFile(version=packages.signed.version)
    timestamp = Metadata(Timestamp(expires=expires))
    timestamp.signed.snapshot_meta = MetaFile(version=snapshot.signed.version)

    metadata = os.path.join(repo, "metadata")
    os.makedirs(metadata, exist_ok=True)
    serializer = JSONSerializer(compact=False)
    root.sign(signers["root"])
    top.sign(signers["targets"])
    packages.sign(signers[PACKAGES_ROLE])
    snapshot.sign(signers["snapshot"])
    timestamp.sign(signers["timestamp"])
    root.to_file(os.path.join(metadata, "1.root.json"), serializer)
    top.to_file(os.path.join(metadata, "1.targets.json"), serializer)
    packages.to_file(os.path.join(metadata, f"1.{PACKAGES_ROLE}.json"), serializer)
    snapshot.to_file(os.path.join(metadata, "1.snapshot.json"), serializer)
    timestamp.to_file(os.path.join(metadata, "timestamp.json"), serializer)


def main():
    if len(sys.argv) >= 6 and sys.argv[1] == "download":
        download(*sys.argv[2:6])
    elif len(sys.argv) >= 7 and sys.argv[1] == "publish":
        publish(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6:])
    else:
        print(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    try:
        main()
    except SystemExit:
        raise
    except Exception as e:  # noqa: BLE001 - the reason is the output
        print(f"{type(e).__name__}: {e}")
        sys.exit(1)
