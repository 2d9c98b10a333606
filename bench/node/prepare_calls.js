// Figure (c) of BENCHMARKS.md: Douyin's official Node SDK, npm
// `@open-dy/open_api_sdk` (pinned in package.json), calling certificate_prepare
// (验券准备, GET /goodlife/v1/fulfilment/certificate/prepare/?code=…) against the
// local bench server from C concurrent callers for S seconds.
//
// The SDK's own classes do the work: `Client.certificatePrepare` with a
// `CertificatePrepareRequest`, and the client token from its credential package
// (`@open-dy/open_api_credential`: `getClientToken()` POSTs the credentials to
// `/oauth/client_token/` once and keeps the token in memory until it expires),
// handed to each request as `accessToken`, the way the SDK takes it.
//
// The SDK has no base-URL option: every method sends to the constant
// `https://open.douyin.com` (its credential package too). So this script
// points Node's HTTPS agents at the bench server underneath the SDK:
// `https.Agent.prototype.createConnection` opens a plain TCP connection to the
// server's 127.0.0.1 port instead of a TLS one to open.douyin.com. No TLS on
// either side of the comparison (the Rust SDK talks plain HTTP to the same
// server); the SDK's code runs as published. Its HTTP layer (httpx, behind
// `@alicloud/tea-typescript`) keeps connections alive in its own agent, so the
// C callers reuse C sockets; `connections` in the output counts the sockets
// opened, and `connections_timed` those opened during the timed part.
//
// A call counts as failed when the SDK throws (HTTP status, `extra.error_code`,
// a field of the wrong type) or its decoded answer is not a usable prepare
// (`data.error_code` not 0, no voucher).
//
// Prints one JSON line: calls, errors, seconds, calls_per_second, cpu_seconds
// (this process's user + system CPU time during the timed part,
// process.cpuUsage) and the versions.
// Run by `cargo xtask bench` (after `npm ci` here); by hand:
//   node prepare_calls.js --url http://127.0.0.1:PORT --code CODE --concurrency 16 --seconds 5
'use strict';

const https = require('https');
const net = require('net');

const sdk = require('@open-dy/open_api_sdk');
const CredentialClient = require('@open-dy/open_api_credential').default;

const Client = sdk.default;
const { CertificatePrepareRequest } = sdk;

// The sandbox's public credentials (douyin_goodlife::mock::sample).
const CLIENT_KEY = 'awsandbox00000001';
const CLIENT_SECRET = 'sandbox-secret-0123456789abcdef';
const MAX_SECONDS = 120;

function parseArgs(argv) {
  const args = { concurrency: 16, seconds: 5, warmup: 1 };
  for (let i = 0; i < argv.length; i += 2) {
    const [name, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${name} needs a value`);
    switch (name) {
      case '--url': args.url = value; break;
      case '--code': args.code = value; break;
      case '--concurrency': args.concurrency = Number(value); break;
      case '--seconds': args.seconds = Number(value); break;
      case '--warmup': args.warmup = Number(value); break;
      default: throw new Error(`unknown argument ${name}`);
    }
  }
  if (!args.url || !args.code) throw new Error('--url and --code are needed');
  if (!(args.concurrency >= 1)) throw new Error('--concurrency takes a number ≥ 1');
  args.seconds = Math.min(args.seconds, MAX_SECONDS);
  args.warmup = Math.min(args.warmup, MAX_SECONDS);
  return args;
}

/** Sends every HTTPS connection of this process to the bench server, as plain TCP. */
function routeTo(url) {
  const target = new URL(url);
  if (target.protocol !== 'http:') throw new Error('--url is the bench server, http://127.0.0.1:PORT');
  // The credential package's axios would go through a proxy named in the
  // environment; the bench server is local, so none.
  process.env.NO_PROXY = '*';
  process.env.no_proxy = '*';
  const counter = { connections: 0 };
  https.Agent.prototype.createConnection = function createConnection() {
    counter.connections += 1;
    const socket = net.connect({ host: target.hostname, port: Number(target.port) });
    socket.setNoDelay(true);
    return socket;
  };
  return counter;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const counter = routeTo(args.url);
  const config = { clientKey: CLIENT_KEY, clientSecret: CLIENT_SECRET };
  const client = new Client(config);
  const credential = new CredentialClient(config);

  async function call() {
    const { accessToken } = await credential.getClientToken();
    const answer = await client.certificatePrepare(
      new CertificatePrepareRequest({ accessToken, code: args.code }),
    );
    const data = answer.data;
    if (!data || data.gwErrorCode !== 0 || !data.verifyToken || !(data.certificates?.length > 0)) {
      throw new Error(`not a usable prepare answer: ${JSON.stringify(answer).slice(0, 200)}`);
    }
    return answer;
  }

  // Warm-up, outside the timed part: the token fetch, then the C callers for
  // `--warmup` seconds (their keep-alive connections, and V8's compiled code).
  await call();
  let stop = false;
  let calls = 0;
  let errors = 0;
  let firstError = null;
  async function caller(counting) {
    while (!stop) {
      try {
        await call();
        if (counting) calls += 1;
      } catch (e) {
        if (counting) errors += 1;
        if (firstError === null) firstError = String(e && e.message ? e.message : e);
      }
    }
  }
  const warm = Array.from({ length: args.concurrency }, () => caller(false));
  await sleep(args.warmup * 1000);
  stop = true;
  await Promise.all(warm);
  const warmErrors = firstError;
  firstError = null;

  stop = false;
  const connectionsBefore = counter.connections;
  const cpuStarted = process.cpuUsage();
  const started = process.hrtime.bigint();
  const callers = Array.from({ length: args.concurrency }, () => caller(true));
  await sleep(args.seconds * 1000);
  stop = true;
  await Promise.all(callers);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuStarted);
  const sdkVersion = require('@open-dy/open_api_sdk/package.json').version;
  console.log(JSON.stringify({
    mode: 'node',
    package: `@open-dy/open_api_sdk ${sdkVersion}`,
    node: process.version,
    concurrency: args.concurrency,
    calls,
    errors,
    first_error: firstError ?? warmErrors,
    seconds,
    calls_per_second: calls / seconds,
    cpu_seconds: (cpu.user + cpu.system) / 1e6,
    connections: counter.connections,
    connections_timed: counter.connections - connectionsBefore,
  }));
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`prepare_calls.js: ${e && e.stack ? e.stack : e}`);
    process.exit(1);
  },
);
