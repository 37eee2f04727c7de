"""Validates recorded answers of the server against the schemas its OpenAPI document gives them.

Usage: validate_openapi.py DOC.json ANSWERS.json, where ANSWERS is a list of
{"path", "method", "status", "type", "body"}. Prints one line per answer that does not match its
documented schema (or has none) and exits 1 if there is any. OpenAPI 3.0's `nullable` is turned
into JSON Schema's null type; `$ref`s resolve inside the document.
"""
import json
import sys

import jsonschema


def json_schema(s):
    if isinstance(s, dict):
        s = {k: json_schema(v) for k, v in s.items()}
        if s.pop("nullable", False):
            if "type" in s:
                s["type"] = [s["type"], "null"]
            elif "$ref" not in s:
                pass  # no type: anything, null included
        return s
    if isinstance(s, list):
        return [json_schema(x) for x in s]
    return s


doc = json_schema(json.load(open(sys.argv[1])))
answers = json.load(open(sys.argv[2]))
resolver = jsonschema.RefResolver(base_uri="", referrer=doc)
bad = 0
for a in answers:
    label = f'{a["method"].upper()} {a["path"]} → {a["status"]}'
    try:
        schema = doc["paths"][a["path"]][a["method"]]["responses"][str(a["status"])]["content"][a["type"]]["schema"]
    except KeyError:
        print(f"{label}: no schema documented for {a['type']}")
        bad += 1
        continue
    try:
        jsonschema.validate(a["body"], schema, resolver=resolver)
    except jsonschema.ValidationError as e:
        print(f"{label}: {e.message} at {'/'.join(map(str, e.absolute_path))}")
        bad += 1
print(f"{len(answers)} answers checked, {bad} not as documented")
sys.exit(1 if bad else 0)
