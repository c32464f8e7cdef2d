#!/usr/bin/env python3
"""Checks every policy example in docs/policy-language.md against docs/policy.schema.json.

Examples are fenced code blocks whose info string is `json policy` (must be valid) or
`json invalid-policy` (must be rejected). The Swift test DocsPolicyExamplesTests checks the same
blocks with the engine's validator, so schema, engine and labels must all agree.
Exits non-zero on any disagreement, or when no examples are found.
"""
import json
import pathlib
import re
import sys

import jsonschema

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "policy-language.md"
SCHEMA = ROOT / "docs" / "policy.schema.json"
FENCE = re.compile(r"^```json (policy|invalid-policy)[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def reject_duplicate_keys(pairs):
    keys = [key for key, _ in pairs]
    duplicates = {key for key in keys if keys.count(key) > 1}
    if duplicates:
        raise ValueError(f"duplicate keys: {sorted(duplicates)}")
    return dict(pairs)


def main() -> int:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    text = DOC.read_text(encoding="utf-8")
    passed = failed = 0
    for match in FENCE.finditer(text):
        label, body = match.group(1), match.group(2)
        line = text.count("\n", 0, match.start()) + 1
        try:
            # The engine refuses duplicate keys; the schema check must see the same document.
            document = json.loads(body, object_pairs_hook=reject_duplicate_keys)
            errors = [f"{'/' + '/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]
        except ValueError as error:
            errors = [f"not JSON: {error}"]
        valid = not errors
        if valid == (label == "policy"):
            passed += 1
        else:
            failed += 1
            verdict = "; ".join(errors[:3]) if errors else "schema accepts it"
            print(f"{DOC.name}:{line}: labelled {label}, but {verdict}", file=sys.stderr)
    print(f"policy examples: {passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
