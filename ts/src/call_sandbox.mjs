// Calls every operation of openapi/goodlife.yaml against `goodlife mock` with
// openapi-fetch (the runtime of the client whose types openapi-typescript
// generates into goodlife.d.ts), driven by the spec alone, so an operation
// added to the spec is covered without touching this file:
//
// * the operations are the spec's `paths` (method + operationId);
// * each request is built from the spec's examples (request body `example`,
//   each parameter's `example`);
// * the token comes from the spec's unauthenticated operation (`security: []`)
//   whose body takes client_key and client_secret, with the sandbox's
//   credentials in place of the example's;
// * the token is sent as the spec's apiKey security scheme says.
//
// Every answer must be HTTP 200, match the operation's response schema (the
// schema goodlife.d.ts is generated from: declared properties only, required
// ones present, JSON types as declared) and carry code 0 in every envelope
// code (extra.error_code, data.error_code, BaseResp.StatusCode, err_no).
// Error answers: a token never issued must come back with a code of the
// catalog class `refresh_token` the operation lists, the token operation with
// a wrong secret with one of class `credentials`. Every operation is called as
// openapi-fetch sends it (no content-type on a GET) and with
// `content-type: application/json` on every request.
//
// Integers beyond 2^53 (int64 ids): the spec's examples are read with exact
// integers (BigInt where a JS number would round) and answers are parsed with
// lossless-json, unsafe integers as BigInt. Plain JSON.parse (openapi-fetch's
// default) would round them; each such field is printed as a note.
//
// Environment: DOUYIN_BASE_URL, DOUYIN_CLIENT_KEY, DOUYIN_CLIENT_SECRET.
// Usage: node src/call_sandbox.mjs [path/to/goodlife.yaml]

import { readFileSync } from "node:fs";
import createClient from "openapi-fetch";
import { parse as parseYaml } from "yaml";
import { parse as parseLossless, isSafeNumber } from "lossless-json";

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"];
const BAD_TOKEN = "clt.this-token-was-never-issued-by-the-sandbox";

function die(msg) {
  console.error(`call_sandbox.mjs: error: ${msg}`);
  process.exit(1);
}

function env(name) {
  const v = process.env[name];
  if (!v) die(`${name} is not set`);
  return v;
}

/** BigInt where a JS number would not hold the integer exactly, else number. */
function exactInts(node) {
  if (typeof node === "bigint") {
    return node >= BigInt(Number.MIN_SAFE_INTEGER) && node <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(node) : node;
  }
  if (Array.isArray(node)) return node.map(exactInts);
  if (node !== null && typeof node === "object") {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, exactInts(v)]));
  }
  return node;
}

const specPath = process.argv[2] ?? "../openapi/goodlife.yaml";
const spec = exactInts(parseYaml(readFileSync(specPath, "utf8"), { intAsBigInt: true }));

function resolve(node) {
  while (node && typeof node === "object" && "$ref" in node) {
    const ref = node.$ref;
    if (!ref.startsWith("#/")) die(`only local $ref are supported, got ${ref}`);
    node = ref.slice(2).split("/").reduce((n, part) => n?.[part], spec);
    if (node === undefined) die(`dangling $ref ${ref}`);
  }
  return node;
}

const rootSecurity = spec.security ?? [];
const catalog = new Map((spec["x-error-code-catalog"] ?? []).map((r) => [r.code, r]));

const ops = [];
for (const [path, item] of Object.entries(spec.paths ?? {})) {
  for (const method of METHODS) {
    const op = item[method];
    if (!op) continue;
    if (!op.operationId) die(`${method.toUpperCase()} ${path} has no operationId`);
    const params = [...(item.parameters ?? []), ...(op.parameters ?? [])].map(resolve);
    const security = op.security ?? rootSecurity;
    ops.push({
      method,
      path,
      id: op.operationId,
      op,
      params,
      authenticated: security.length > 0,
      label: `${op.operationId} (${method.toUpperCase()} ${path})`,
    });
  }
}
if (ops.length === 0) die("the spec has no operations");

function apiKeyHeader() {
  const schemes = spec.components?.securitySchemes ?? {};
  for (const requirement of rootSecurity) {
    for (const name of Object.keys(requirement)) {
      const s = schemes[name];
      if (s?.type === "apiKey" && s.in === "header") return s.name;
    }
  }
  die("no apiKey security scheme in a header: cannot send the token");
}

function jsonMedia(node) {
  return resolve(node)?.content?.["application/json"];
}

function bodyExample(op) {
  if (!op.op.requestBody) return undefined;
  const media = jsonMedia(op.op.requestBody);
  if (!media) die(`${op.label}: request body is not application/json`);
  if ("example" in media) return structuredClone(media.example);
  const first = Object.values(media.examples ?? {})[0];
  if (first !== undefined) return structuredClone(resolve(first).value);
  if (resolve(op.op.requestBody).required) die(`${op.label}: the required request body has no example in the spec (add \`example:\`)`);
  return undefined;
}

function paramExample(p) {
  if ("example" in p) return p.example;
  const first = Object.values(p.examples ?? {})[0];
  if (first !== undefined) return resolve(first).value;
  return resolve(p.schema ?? {})?.example;
}

function responseSchema(op) {
  const answer = op.op.responses?.["200"] ?? op.op.responses?.default;
  const media = answer && jsonMedia(answer);
  if (!media?.schema) die(`${op.label}: no application/json schema for HTTP 200`);
  return media.schema;
}

function codesOfClass(op, klass) {
  return new Set((op.op["x-error-codes"] ?? []).map((r) => r.code).filter((c) => catalog.get(c)?.class === klass));
}

/** Problems of `value` against `schema` (OpenAPI 3.0 subset the spec uses). */
function conform(value, schemaNode, where, out) {
  const schema = resolve(schemaNode);
  if (value === null) {
    if (!schema.nullable) out.push(`${where}: null, but the schema is not nullable`);
    return;
  }
  for (const sub of schema.allOf ?? []) conform(value, sub, where, out);
  const type = schema.type ?? (schema.properties ? "object" : undefined);
  const ok = {
    string: () => typeof value === "string",
    integer: () => typeof value === "bigint" || Number.isInteger(value),
    number: () => typeof value === "number" || typeof value === "bigint",
    boolean: () => typeof value === "boolean",
    array: () => Array.isArray(value),
    object: () => typeof value === "object" && !Array.isArray(value),
  }[type];
  if (ok && !ok()) {
    out.push(`${where}: ${typeof value} ${JSON.stringify(String(value)).slice(0, 60)}, schema says ${type}`);
    return;
  }
  if (type === "array") value.forEach((v, i) => conform(v, schema.items ?? {}, `${where}[${i}]`, out));
  if (type === "object") {
    const props = schema.properties ?? {};
    for (const r of schema.required ?? []) if (!(r in value)) out.push(`${where}.${r}: required, missing`);
    for (const [k, v] of Object.entries(value)) {
      if (k in props) conform(v, props[k], `${where}.${k}`, out);
      else if (!schema.additionalProperties) out.push(`${where}.${k}: a property the spec does not declare`);
    }
  }
}

/** Paths of integers plain JSON.parse would round. */
function unsafeIntegers(value, where, out) {
  if (typeof value === "bigint") out.push(`${where} = ${value} (JSON.parse gives ${BigInt(Number(value))})`);
  else if (Array.isArray(value)) value.forEach((v, i) => unsafeIntegers(v, `${where}[${i}]`, out));
  else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) unsafeIntegers(v, `${where}.${k}`, out);
  return out;
}

function envelopeCodes(data) {
  const codes = {};
  // The three the spec's info.description names, and `err_no` (the envelope
  // of Douyin's /api/apps/... answers).
  for (const path of [["extra", "error_code"], ["data", "error_code"], ["BaseResp", "StatusCode"], ["err_no"]]) {
    const v = path.reduce((n, k) => n?.[k], data);
    if (v !== undefined && v !== null) codes[path.join(".")] = Number(v);
  }
  return codes;
}

/** A Response whose json() keeps every integer exact (unsafe ones as BigInt). */
class LosslessResponse extends Response {
  async json() {
    return parseLossless(await this.text(), null, (s) => {
      if (isSafeNumber(s)) return Number(s);
      if (/^-?\d+$/.test(s)) return BigInt(s);
      return Number(s);
    });
  }
}

async function losslessFetch(request) {
  const res = await fetch(request);
  return new LosslessResponse(res.body, res);
}

/** JSON with BigInt written as exact digits. */
function bodySerializer(body) {
  return JSON.stringify(body, (_k, v) => (typeof v === "bigint" ? `\u0000bigint:${v}` : v)).replace(
    /"\u0000bigint:(-?\d+)"/g,
    "$1",
  );
}

const baseUrl = env("DOUYIN_BASE_URL");
const credentials = { client_key: env("DOUYIN_CLIENT_KEY"), client_secret: env("DOUYIN_CLIENT_SECRET") };
const tokenHeader = apiKeyHeader();
const failures = [];
const notes = new Set();
let passed = 0;

function fail(label, msg) {
  failures.push(`${label}: ${msg}`);
  console.log(`FAIL ${label}: ${msg}`);
}

function bodyProperties(op) {
  const media = op.op.requestBody && jsonMedia(op.op.requestBody);
  return resolve(media?.schema ?? {})?.properties ?? {};
}
const tokenOps = ops.filter((o) => !o.authenticated && "client_key" in bodyProperties(o) && "client_secret" in bodyProperties(o));
if (tokenOps.length !== 1) {
  die(
    "expected exactly one unauthenticated operation taking client_key and client_secret (the client token), found " +
      (tokenOps.map((o) => o.id).join(", ") || "none"),
  );
}
const tokenOp = tokenOps[0];

function request(op, overrides = {}) {
  const init = { params: {}, bodySerializer };
  for (const p of op.params) {
    if (!["query", "header", "path", "cookie"].includes(p.in)) continue;
    const value = paramExample(p);
    if (value === undefined) {
      if (p.required) die(`${op.label}: required parameter ${JSON.stringify(p.name)} has no example in the spec (add \`example:\` to it)`);
      continue;
    }
    (init.params[p.in] ??= {})[p.name] = value;
  }
  let body = bodyExample(op);
  if (op === tokenOp) body = { ...body, ...credentials, ...overrides };
  if (body !== undefined) init.body = body;
  return init;
}

function client(token, headers) {
  const h = { ...headers };
  if (token !== undefined) h[tokenHeader] = token;
  return createClient({ baseUrl, headers: h, fetch: losslessFetch });
}

async function call(c, op, init) {
  const fn = c[op.method.toUpperCase()];
  if (typeof fn !== "function") die(`${op.label}: openapi-fetch has no ${op.method.toUpperCase()}`);
  return fn(op.path, init);
}

/** The decoded answer, or undefined after reporting why not. */
function checkAnswer(label, op, result) {
  const { data, error, response } = result;
  if (response.status !== 200) {
    fail(label, `HTTP ${response.status}: ${JSON.stringify(error ?? data)?.slice(0, 300)}`);
    return undefined;
  }
  if (data === undefined) {
    fail(label, `no decoded answer (error: ${String(error)})`);
    return undefined;
  }
  const problems = [];
  conform(data, responseSchema(op), "answer", problems);
  if (problems.length > 0) {
    fail(label, `the answer does not match the spec's schema: ${problems.join("; ")}`);
    return undefined;
  }
  for (const n of unsafeIntegers(data, "answer", [])) notes.add(`${op.id}: ${n}`);
  return data;
}

const variants = { "as generated": {}, "with content-type": { "content-type": "application/json" } };
const ordered = [tokenOp, ...ops.filter((o) => o !== tokenOp)];
for (const [variant, headers] of Object.entries(variants)) {
  let authed;
  for (const op of ordered) {
    const label = `${op.label} [${variant}]`;
    let result;
    try {
      result = await call(op.authenticated ? authed : client(undefined, headers), op, request(op));
    } catch (e) {
      if (op === tokenOp) die(`${label}: the call threw ${e?.stack ?? e}`);
      fail(label, `the call threw ${e?.stack ?? e}`);
      continue;
    }
    const data = checkAnswer(label, op, result);
    if (op === tokenOp) {
      const token = data?.data?.access_token;
      if (!token) die(`${label}: no data.access_token in the answer`);
      authed = client(token, headers);
    }
    if (data === undefined) continue;
    const codes = envelopeCodes(data);
    const nonzero = Object.entries(codes).filter(([, v]) => v !== 0);
    if (nonzero.length > 0) {
      fail(label, `error answer to the spec's example request: ${JSON.stringify(Object.fromEntries(nonzero))}`);
      continue;
    }
    passed++;
    console.log(`ok   ${label}: matches ${resolve(responseSchema(op)) && (responseSchema(op).$ref ?? "schema")}, codes ${JSON.stringify(codes)}`);
  }
}

for (const op of ops.filter((o) => o === tokenOp || o.authenticated)) {
  const [what, klass, c, overrides] =
    op === tokenOp
      ? ["wrong client_secret", "credentials", client(undefined, {}), { client_secret: "wrong-secret" }]
      : ["a token never issued", "refresh_token", client(BAD_TOKEN, {}), {}];
  const label = `${op.label} [${what}]`;
  const wanted = codesOfClass(op, klass);
  if (wanted.size === 0) {
    fail(label, `x-error-codes lists no code of class ${klass}`);
    continue;
  }
  let result;
  try {
    result = await call(c, op, request(op, overrides));
  } catch (e) {
    fail(label, `the call threw ${e?.stack ?? e}`);
    continue;
  }
  const data = checkAnswer(label, op, result);
  if (data === undefined) continue;
  const codes = envelopeCodes(data);
  const got = Object.values(codes).filter((v) => v !== 0);
  if (got.length === 0) fail(label, `no error code in the answer ${JSON.stringify(codes)}`);
  else if (!got.every((v) => wanted.has(v))) fail(label, `codes ${got}, expected one of ${[...wanted]} (${klass})`);
  else {
    passed++;
    console.log(`ok   ${label}: error ${JSON.stringify(codes)}`);
  }
}

for (const n of notes) console.log(`note (integer beyond 2^53, kept exact): ${n}`);
console.log();
console.log(`typescript: ${passed} passed, ${failures.length} failed`);
if (failures.length > 0) {
  console.error("failures:");
  for (const f of failures) console.error(`  ${f}`);
  process.exit(1);
}
