#!/usr/bin/env python3
"""Calls every operation of openapi/goodlife.yaml against `goodlife mock` with
the Python client that openapi-python-client generates from the spec, unedited.

Driven by the spec alone, so an operation added to the spec is covered without
touching this file:

* the operations are the spec's `paths` (method + operationId + tags);
* each request is built from the spec's examples: the request body `example`
  and each parameter's `example`;
* the generated function of an operation is looked up as
  `<package>.api.<tag>.<operation_id>` (the generator's naming, matched
  without regard to case and separators);
* the token comes from the spec's unauthenticated operation (`security: []`)
  whose body takes `client_key` and `client_secret` (the client token), called with the sandbox's credentials in place of the
  example's `client_key` / `client_secret`;
* the token is sent as the spec's `apiKey` security scheme says (header name,
  no prefix) through the generated `AuthenticatedClient`.

For every operation: the answer is HTTP 200, decodes into the generated
response model, re-encodes to exactly the JSON that came (nothing lost), has
no property the spec does not declare, and carries code 0 in every envelope
code (`extra.error_code`, `data.error_code`, `BaseResp.StatusCode`,
`err_no`). Then the error answers: every authenticated operation called with a token the sandbox
never issued must come back, decoded, with a code of the catalog class
`refresh_token` that the operation lists in `x-error-codes`; the token
operation with a wrong secret with a code of class `credentials`.

Every operation is called twice: as generated (no content-type on a GET) and
with `content-type: application/json` on every request (what the page asks for
and the Rust SDK sends).

Environment: DOUYIN_BASE_URL (the sandbox, e.g. http://127.0.0.1:8787),
DOUYIN_CLIENT_KEY and DOUYIN_CLIENT_SECRET (printed by `goodlife mock`).
Exit status 0 when everything passed, 1 with one line per failure otherwise.
"""

from __future__ import annotations

import argparse
import copy
import importlib
import inspect
import json
import os
import pkgutil
import re
import sys
import traceback
import typing
from dataclasses import dataclass, field
from typing import Any

import yaml

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
BAD_TOKEN = "clt.this-token-was-never-issued-by-the-sandbox"


def norm(name: str) -> str:
    """A name without case or separators: `Rpc-Transit-Life-Account` and
    `rpc_transit_life_account` compare equal."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


def die(msg: str) -> typing.NoReturn:
    print(f"call_sandbox.py: error: {msg}", file=sys.stderr)
    sys.exit(1)


@dataclass
class Operation:
    method: str
    path: str
    op_id: str
    tag: str
    spec: dict[str, Any]
    params: list[dict[str, Any]]
    authenticated: bool

    @property
    def label(self) -> str:
        return f"{self.op_id} ({self.method.upper()} {self.path})"


@dataclass
class Report:
    failures: list[str] = field(default_factory=list)
    passed: int = 0

    def fail(self, op: str, msg: str) -> None:
        self.failures.append(f"{op}: {msg}")
        print(f"FAIL {op}: {msg}")

    def ok(self, op: str, msg: str) -> None:
        self.passed += 1
        print(f"ok   {op}: {msg}")


class Spec:
    def __init__(self, path: str) -> None:
        with open(path, encoding="utf-8") as f:
            self.doc = yaml.safe_load(f)
        self.root_security = self.doc.get("security", [])
        self.catalog = {
            row["code"]: row for row in self.doc.get("x-error-code-catalog", [])
        }

    def resolve(self, node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                die(f"only local $ref are supported, got {ref}")
            target: Any = self.doc
            for part in ref[2:].split("/"):
                target = target[part]
            node = target
        return node

    def operations(self) -> list[Operation]:
        ops = []
        for path, item in self.doc.get("paths", {}).items():
            shared = item.get("parameters", [])
            for method in METHODS:
                op = item.get(method)
                if op is None:
                    continue
                op_id = op.get("operationId")
                if not op_id:
                    die(f"{method.upper()} {path} has no operationId")
                tags = op.get("tags") or ["default"]
                params = [self.resolve(p) for p in shared + op.get("parameters", [])]
                security = op.get("security", self.root_security)
                ops.append(
                    Operation(
                        method, path, op_id, tags[0], op, params, bool(security)
                    )
                )
        if not ops:
            die("the spec has no operations")
        return ops

    def api_key_header(self) -> str:
        """The header of the root security requirement's apiKey scheme."""
        schemes = self.doc.get("components", {}).get("securitySchemes", {})
        for requirement in self.root_security:
            for name in requirement:
                scheme = schemes.get(name, {})
                if scheme.get("type") == "apiKey" and scheme.get("in") == "header":
                    return scheme["name"]
        die("no apiKey security scheme in a header: cannot send the token")

    def body_example(self, op: Operation) -> Any:
        body = op.spec.get("requestBody")
        if body is None:
            return None
        media = self.resolve(body).get("content", {}).get("application/json")
        if media is None:
            die(f"{op.label}: request body is not application/json")
        if "example" in media:
            return copy.deepcopy(media["example"])
        examples = media.get("examples") or {}
        for ex in examples.values():
            return copy.deepcopy(self.resolve(ex).get("value"))
        if self.resolve(body).get("required"):
            die(f"{op.label}: the required request body has no example in the spec (add `example:`)")
        return None

    def schema_properties(self, op: Operation) -> dict[str, Any]:
        """Properties of the request body schema (to find credential fields)."""
        body = op.spec.get("requestBody")
        if body is None:
            return {}
        media = self.resolve(body).get("content", {}).get("application/json", {})
        return self.resolve(media.get("schema", {})).get("properties", {})

    def error_codes(self, op: Operation) -> set[int]:
        return {row["code"] for row in op.spec.get("x-error-codes", [])}

    def codes_of_class(self, op: Operation, klass: str) -> set[int]:
        return {
            c
            for c in self.error_codes(op)
            if self.catalog.get(c, {}).get("class") == klass
        }


def param_example(spec: Spec, param: dict[str, Any]) -> Any:
    if "example" in param:
        return param["example"]
    for ex in (param.get("examples") or {}).values():
        return spec.resolve(ex).get("value")
    schema = spec.resolve(param.get("schema", {}))
    if "example" in schema:
        return schema["example"]
    return None


class Generated:
    """The generated package: modules of operations and their signatures."""

    def __init__(self, package: str) -> None:
        self.package = package
        try:
            self.root = importlib.import_module(package)
            self.api = importlib.import_module(f"{package}.api")
        except ImportError as e:
            die(f"cannot import the generated package {package!r}: {e}")

    def module(self, op: Operation) -> Any:
        available = []
        for tag in pkgutil.iter_modules(self.api.__path__):
            if not tag.ispkg:
                continue
            tag_pkg = importlib.import_module(f"{self.package}.api.{tag.name}")
            for mod in pkgutil.iter_modules(tag_pkg.__path__):
                available.append(f"{tag.name}.{mod.name}")
                if norm(tag.name) == norm(op.tag) and norm(mod.name) == norm(op.op_id):
                    return importlib.import_module(
                        f"{self.package}.api.{tag.name}.{mod.name}"
                    )
        die(
            f"{op.label}: no generated module {self.package}.api.<{op.tag}>.<{op.op_id}>; "
            f"the generator made: {', '.join(sorted(available)) or 'none'}"
        )

    def client(self, base_url: str, token: str | None, header: str, headers: dict[str, str]) -> Any:
        if token is None:
            return self.root.Client(base_url=base_url, headers=headers)
        return self.root.AuthenticatedClient(
            base_url=base_url,
            token=token,
            prefix="",
            auth_header_name=header,
            headers=headers,
        )


def build_kwargs(spec: Spec, op: Operation, func: Any, body: Any) -> dict[str, Any]:
    sig = inspect.signature(func)
    hints = typing.get_type_hints(func)
    by_norm = {norm(n): n for n in sig.parameters if n != "client"}
    kwargs: dict[str, Any] = {}
    for param in op.params:
        if param.get("in") not in ("query", "header", "path", "cookie"):
            continue
        value = param_example(spec, param)
        if value is None:
            if param.get("required"):
                die(
                    f"{op.label}: required parameter {param['name']!r} has no example "
                    "in the spec (add `example:` to it)"
                )
            continue
        target = by_norm.get(norm(param["name"]))
        if target is None:
            die(
                f"{op.label}: the generated function has no argument for parameter "
                f"{param['name']!r} (it has: {', '.join(sig.parameters)})"
            )
        kwargs[target] = value
    if body is not None:
        if "body" not in sig.parameters:
            die(f"{op.label}: the spec has a request body, the generated function takes none")
        model = hints["body"]
        # `Model` or `Model | Unset`: take the class with from_dict.
        candidates = typing.get_args(model) or (model,)
        cls = next((c for c in candidates if hasattr(c, "from_dict")), None)
        if cls is None:
            die(f"{op.label}: body type {model} has no from_dict")
        kwargs["body"] = cls.from_dict(body)
    return kwargs


def unknown_properties(value: Any, where: str = "") -> list[str]:
    """Paths of properties that landed in a model's additional_properties:
    the sandbox answered a field the spec does not declare."""
    found: list[str] = []
    if hasattr(value, "additional_properties"):
        for key in value.additional_properties:
            found.append(f"{where}.{key}" if where else key)
        # Generated models are attrs classes (slotted: no __dict__).
        for a in getattr(type(value), "__attrs_attrs__", ()):
            if a.name != "additional_properties":
                sub = getattr(value, a.name)
                found += unknown_properties(sub, f"{where}.{a.name}" if where else a.name)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += unknown_properties(item, f"{where}[{i}]")
    return found


def envelope_codes(decoded: dict[str, Any]) -> dict[str, Any]:
    """The envelope codes where present: the three the spec's info.description
    names, and `err_no` (the envelope of Douyin's `/api/apps/...` answers)."""
    codes = {}
    for path in (
        ("extra", "error_code"),
        ("data", "error_code"),
        ("BaseResp", "StatusCode"),
        ("err_no",),
    ):
        node: Any = decoded
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if node is not None:
            codes[".".join(path)] = node
    return codes


def call(func_module: Any, client: Any, kwargs: dict[str, Any]) -> tuple[Any, Any, Any]:
    """(httpx-level response, parsed model, raw JSON)."""
    response = func_module.sync_detailed(client=client, **kwargs)
    try:
        raw = json.loads(response.content)
    except ValueError:
        raw = None  # reported by check_answer with the status and the body
    return response, response.parsed, raw


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--spec", default="openapi/goodlife.yaml")
    ap.add_argument("--package", default="goodlife_client", help="generated package name")
    ap.add_argument(
        "--package-dir", help="directory holding the generated package (added to sys.path)"
    )
    args = ap.parse_args()
    if args.package_dir:
        sys.path.insert(0, args.package_dir)

    base_url = os.environ.get("DOUYIN_BASE_URL") or die("DOUYIN_BASE_URL is not set")
    client_key = os.environ.get("DOUYIN_CLIENT_KEY") or die("DOUYIN_CLIENT_KEY is not set")
    client_secret = os.environ.get("DOUYIN_CLIENT_SECRET") or die(
        "DOUYIN_CLIENT_SECRET is not set"
    )

    spec = Spec(args.spec)
    gen = Generated(args.package)
    ops = spec.operations()
    header = spec.api_key_header()
    report = Report()

    token_ops = [
        o
        for o in ops
        if not o.authenticated
        and {"client_key", "client_secret"} <= set(spec.schema_properties(o))
    ]
    if len(token_ops) != 1:
        die(
            "expected exactly one unauthenticated operation taking client_key and "
            "client_secret (the client token), found "
            + (", ".join(o.op_id for o in token_ops) or "none")
        )
    token_op = token_ops[0]
    credential_fields = {
        name: value
        for name, value in (("client_key", client_key), ("client_secret", client_secret))
        if name in spec.schema_properties(token_op)
    }
    if len(credential_fields) != 2:
        die(f"{token_op.label}: the body schema has no client_key / client_secret")

    modules = {o.op_id: gen.module(o) for o in ops}

    def request_for(op: Operation, **overrides: Any) -> dict[str, Any]:
        body = spec.body_example(op)
        if op is token_op:
            body = {**(body or {}), **credential_fields, **overrides}
        return build_kwargs(spec, op, modules[op.op_id].sync_detailed, body)

    def check_answer(label: str, op: Operation, response: Any, parsed: Any, raw: Any) -> dict | None:
        if response.status_code != 200:
            report.fail(label, f"HTTP {int(response.status_code)}: {response.content[:300]!r}")
            return None
        if raw is None:
            report.fail(label, f"the answer is not JSON: {response.content[:300]!r}")
            return None
        if parsed is None or not hasattr(parsed, "to_dict"):
            report.fail(label, f"the answer did not decode into a generated model: {raw}")
            return None
        decoded = parsed.to_dict()
        if decoded != raw:
            report.fail(
                label,
                "decoding lost or changed data: "
                f"model re-encodes to {json.dumps(decoded, ensure_ascii=False)[:400]} "
                f"but the sandbox sent {json.dumps(raw, ensure_ascii=False)[:400]}",
            )
            return None
        unknown = unknown_properties(parsed)
        if unknown:
            report.fail(label, f"properties the spec does not declare: {', '.join(unknown)}")
            return None
        return decoded

    # 1. Every operation, as generated and with content-type on every request.
    # Each pass starts with the spec's token operation and uses its token (a
    # newer token supersedes older ones, so each pass takes its own).
    variants = {
        "as generated": {},
        "with content-type": {"content-type": "application/json"},
    }
    ordered = [token_op] + [o for o in ops if o is not token_op]
    for variant, headers in variants.items():
        client = None
        for op in ordered:
            label = f"{op.label} [{variant}]"
            try:
                c = client if op.authenticated else gen.client(base_url, None, header, headers)
                response, parsed, raw = call(modules[op.op_id], c, request_for(op))
            except SystemExit:
                raise
            except Exception as e:  # noqa: BLE001 - every operation is tried
                traceback.print_exc()
                if op is token_op:
                    die(f"{label}: the call raised {type(e).__name__}: {e}")
                report.fail(label, f"the call raised {type(e).__name__}: {e}")
                continue
            decoded = check_answer(label, op, response, parsed, raw)
            if op is token_op:
                token = ((decoded or {}).get("data") or {}).get("access_token")
                if not token:
                    die(f"{label}: no data.access_token in the answer {raw}")
                client = gen.client(base_url, token, header, headers)
            if decoded is None:
                continue
            codes = envelope_codes(decoded)
            nonzero = {k: v for k, v in codes.items() if v != 0}
            if nonzero:
                report.fail(label, f"error answer to the spec's example request: {nonzero} {raw}")
                continue
            report.ok(label, f"decoded into {type(parsed).__name__}, codes {codes or 'none'}")

    # 3. Error answers come back, decoded, with their code.
    expectations = []
    for op in ops:
        if op is token_op:
            expectations.append(
                (op, "wrong client_secret", "credentials", None, {"client_secret": "wrong-secret"})
            )
        elif op.authenticated:
            expectations.append((op, "a token never issued", "refresh_token", BAD_TOKEN, {}))
    for op, what, klass, bad_token, overrides in expectations:
        label = f"{op.label} [{what}]"
        wanted = spec.codes_of_class(op, klass)
        if not wanted:
            report.fail(label, f"x-error-codes lists no code of class {klass!r}")
            continue
        c = gen.client(base_url, bad_token, header, {}) if bad_token else gen.client(
            base_url, None, header, {}
        )
        try:
            response, parsed, raw = call(modules[op.op_id], c, request_for(op, **overrides))
        except Exception as e:  # noqa: BLE001
            traceback.print_exc()
            report.fail(label, f"the call raised {type(e).__name__}: {e}")
            continue
        decoded = check_answer(label, op, response, parsed, raw)
        if decoded is None:
            continue
        codes = envelope_codes(decoded)
        got = {v for v in codes.values() if v != 0}
        if not got:
            report.fail(label, f"no error code in the decoded answer: {raw}")
        elif not got <= wanted:
            report.fail(label, f"codes {sorted(got)}, expected one of {sorted(wanted)} ({klass})")
        else:
            report.ok(label, f"decoded error {codes}")

    print()
    print(f"python: {report.passed} passed, {len(report.failures)} failed")
    if report.failures:
        print("failures:", file=sys.stderr)
        for f in report.failures:
            print(f"  {f}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
