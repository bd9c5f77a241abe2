"""The webhook signature check, taken from the README itself (the Python block
after `<!-- verify-signature -->`) and run as written, so the snippet users
copy is the one the tests prove."""
import re
from pathlib import Path

_README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
_BLOCK = re.search(r"<!-- verify-signature -->\s*```python\n(.*?)```", _README, re.S)
assert _BLOCK, "README.md has no verification snippet after <!-- verify-signature -->"
_NAMESPACE: dict = {}
exec(compile(_BLOCK.group(1), "README.md (verify-signature)", "exec"), _NAMESPACE)  # noqa: S102
verify = _NAMESPACE["verify"]
