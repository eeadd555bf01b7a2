"""The JSON Schema (Draft 2020-12) every rule is validated against when it is loaded."""

from __future__ import annotations

from triage.rules.checks import VALIDATORS

_STRINGS = {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1}

_EXAMPLE = {
    "oneOf": [
        {"type": "string", "minLength": 1},
        {
            "type": "object",
            "required": ["text"],
            "additionalProperties": False,
            "properties": {
                "text": {"type": "string", "minLength": 1},
                "path": {"type": "string", "minLength": 1},  # the member path the example sits at
                "recipient": {"type": "string"},  # (canary) the copy a hit must name
            },
        },
    ]
}

RULE_SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://triage.invalid/schemas/signature-rule/1",
    "title": "triage signature rule",
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "title", "description", "severity", "kind", "action", "examples"],
    "properties": {
        "id": {"type": "string", "pattern": "^[a-z0-9][a-z0-9._-]{1,79}$"},
        "title": {"type": "string", "minLength": 1, "maxLength": 120},
        "description": {"type": "string", "minLength": 1},
        "severity": {"enum": ["critical", "high", "medium", "low", "info"]},
        "kind": {"enum": ["secret", "canary", "marker", "policy"]},
        "action": {"enum": ["rotate", "attribute", "flag"]},
        "enabled": {"type": "boolean"},
        # a catch-all rule: its hit is dropped where a more specific rule reports an overlapping match
        "generic": {"type": "boolean"},
        # where the rule runs: whole members ("file") and/or the lines an altered file adds ("added");
        # default: policy rules run on added lines, every other kind on whole members
        "scope": {"type": "array", "items": {"enum": ["file", "added"]}, "minItems": 1, "uniqueItems": True},
        "match": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                # the secret is the named group "secret" when the pattern has one, else the whole match
                "regex": _STRINGS,
                "literals": _STRINGS,
                # prefilter (gitleaks style): the regexes run only on the lines where one of these
                # appears (any case), or from the first such line on when "multiline" is set
                "keywords": {"type": "array", "items": {"type": "string", "minLength": 3}, "minItems": 1},
                "multiline": {"type": "boolean"},  # a match may span lines (PEM blocks)
                "ignore_case": {"type": "boolean"},
                "word": {"type": "boolean"},  # literals only hit as whole words
                "min_length": {"type": "integer", "minimum": 1},
                "entropy": {"type": "number", "minimum": 0, "maximum": 8},  # bits per character
                "validate": {"enum": sorted(VALIDATORS)},
                "placeholders": {"type": "boolean"},  # drop placeholder values (default: true)
                "allow": _STRINGS,  # regexes: a secret matching one of them is not reported
            },
            "anyOf": [{"required": ["regex"]}, {"required": ["literals"]}],
        },
        "files": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "paths": _STRINGS,  # fnmatch globs on the member path (or its name, for globs without "/")
                "exclude": _STRINGS,
                "mime": _STRINGS,  # e.g. "text/*", "application/json"
                "max_size": {"type": "integer", "minimum": 1},
            },
        },
        "references": {"type": "array", "items": {"type": "string", "minLength": 1}},
        # (canary) planted token -> the copy it was planted in
        "recipients": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"minLength": 4},
            "additionalProperties": {"type": "string", "minLength": 1},
        },
        "examples": {
            "type": "object",
            "additionalProperties": False,
            "required": ["positive", "negative"],
            "properties": {
                "positive": {"type": "array", "items": _EXAMPLE, "minItems": 1},
                "negative": {"type": "array", "items": _EXAMPLE, "minItems": 1},
            },
        },
    },
    "allOf": [
        {"if": {"properties": {"kind": {"const": "canary"}}},
         "then": {"required": ["recipients"]},
         "else": {"required": ["match"], "not": {"required": ["recipients"]}}},
    ],
}
