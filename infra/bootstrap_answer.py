"""Print what the bootstrap Lambda answered (`make deploy OWNER_EMAIL=…`):
the first owner's API key, shown this once, or why it was refused."""
import json
import sys
from pathlib import Path


def main(path: str) -> int:
    answer = json.loads(Path(path).read_text())
    if answer.get("created"):
        print(f"owner:    {answer['owner']['email']}\nAPI key:  {answer['api_key']}  (shown once: keep it)")
        return 0
    if "errorMessage" in answer:  # the function itself failed
        print(f"bootstrap failed: {answer['errorMessage']}", file=sys.stderr)
        return 1
    print(f"not bootstrapped: {answer['message']}", file=sys.stderr)
    return 0 if "already has an account" in answer["message"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
