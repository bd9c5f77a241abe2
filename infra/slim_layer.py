"""Leave out of the dependency layer what the Lambda runtime already provides.

`botocore` (about 85% of the layer) is part of every Python Lambda runtime,
which ships the AWS SDK; our code and pynamodb use only long-stable calls of
DynamoDB, SQS, SES, Secrets Manager and Bedrock's Converse API (botocore
1.34.116 or later). `make package BUNDLE_SDK=1` keeps it, for a runtime whose
SDK is older. Everything else stays pinned in the layer: urllib3, requests,
jinja2 and the others are not in the runtime, or not at our versions.

`.venv/bin/python infra/slim_layer.py build/package` rewrites
layer-deployment.zip and prints both packages' sizes.
"""
import os
import sys
import zipfile
from pathlib import Path

RUNTIME_PROVIDED = ("botocore",)


def _provided(name: str) -> bool:
    parts = name.split("/")
    top = parts[4] if len(parts) > 4 and parts[:2] == ["python", "lib"] else ""
    return any(top == pkg or (top.startswith(f"{pkg}-") and top.endswith(".dist-info")) for pkg in RUNTIME_PROVIDED)


def slim(layer: Path) -> tuple[int, int]:
    """Rewrite the layer zip without the runtime's packages: (files left out, bytes now)."""
    kept, dropped, tmp = 0, 0, layer.with_suffix(".tmp")
    with zipfile.ZipFile(layer) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            if _provided(info.filename):
                dropped += 1
                continue
            out.writestr(info, src.read(info))
            kept += 1
    os.replace(tmp, layer)
    return dropped, layer.stat().st_size


def main(package_dir: str) -> int:
    folder = Path(package_dir)
    layer, function = folder / "layer-deployment.zip", folder / "deployment.zip"
    if os.environ.get("BUNDLE_SDK") not in ("1", "true"):
        dropped, _ = slim(layer)
        print(f"layer: left out {dropped} files of {', '.join(RUNTIME_PROVIDED)} (the Lambda runtime provides it)")
    for path in (function, layer):
        print(f"{path.name}: {path.stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
