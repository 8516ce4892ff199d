import { z } from 'zod';
import * as s from './schemas';

// The OpenAPI 3.1 document of the gateway's public API, built from the contract's zod schemas with
// zod's own JSON Schema output (draft 2020-12, which OpenAPI 3.1 uses as is). Routes, statuses,
// headers and error codes are listed here, next to the schemas; docs/openapi.json is this
// document, written by `npx nx run api-contract:openapi` and checked by openapi.spec.ts.

type JsonSchema = Record<string, unknown>;
type Io = 'input' | 'output';

const components: Record<string, JsonSchema> = {};

/** A schema as JSON Schema; named ones (`meta({id})`) become components and are referenced. */
function jsonSchema(schema: z.ZodType, io: Io): JsonSchema {
  const out = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as JsonSchema & { $defs?: Record<string, JsonSchema> };
  const rewrite = <T>(value: T): T => JSON.parse(JSON.stringify(value).replaceAll('"#/$defs/', '"#/components/schemas/'));
  for (const [name, def] of Object.entries(out.$defs ?? {})) components[name] = rewrite(def);
  const { $schema: _schema, $defs: _defs, ...rest } = out;
  return rewrite(rest);
}

const json = (schema: z.ZodType, io: Io) => ({ 'application/json': { schema: jsonSchema(schema, io) } });

const TRACEPARENT_HEADER = {
  description: 'W3C trace context of this request: quote its trace id when reporting a problem (`npm run trace -- <id>`).',
  required: true,
  schema: { type: 'string', pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$' },
};
const TRACEPARENT = { $ref: '#/components/headers/traceparent' };
const RETRY_AFTER = { description: 'Seconds to wait before retrying.', schema: { type: 'string', pattern: '^[0-9]+$' } };
const LOCATION = { description: 'Where to follow the request: `/v1/requests/<requestId>`.', required: true, schema: { type: 'string', pattern: '^/v1/requests/[0-9a-f-]{36}$' } };

interface Response {
  description: string;
  headers: Record<string, unknown>;
  content?: unknown;
  links?: Record<string, unknown>;
}

function ok(description: string, schema: z.ZodType | null, extraHeaders: Record<string, unknown> = {}): Response {
  return { description, headers: { traceparent: TRACEPARENT, ...extraHeaders }, ...(schema ? { content: json(schema, 'output') } : {}) };
}

/** An error answer `{code, message, details?}`; `codes` lists the codes that may come with this status. */
function error(codes: string, headers: Record<string, unknown> = {}): Response {
  return { description: codes, headers: { traceparent: TRACEPARENT, ...headers }, content: json(s.errorBody, 'output') };
}

// Statuses every route may answer (the common catalog, 1000xx).
const COMMON = {
  '400': '100003 bad request (`message` names the field, `details.problems` lists each), 100005 body is not JSON, 100009 malformed percent-encoding',
  '413': '100006 body over 16 KiB',
  '415': '100007 body is not application/json',
  '500': '100002 internal error',
};
const upstreamErrors = {
  '500': error('100002 internal error; 110013 reached the write-ahead log but not confirmed on disk: follow `details.requestId` before retrying', { Location: { ...LOCATION, required: false } }),
  '503': error('100008 account check impossible (Redis and PostgreSQL down), 120001 user-command unavailable (nothing written), 120004 user-command replicas changing (nothing written), 110006 Redis, 110007 write-ahead log, 110009 database unavailable, 110014 password hashing busy', { 'Retry-After': RETRY_AFTER }),
  '504': error('120002 user-command did not answer: the outcome is unknown'),
};
const commonErrors = (extra400 = '') => ({
  '400': error(COMMON['400'] + extra400),
  '413': error(COMMON['413']),
  '415': error(COMMON['415']),
});
const authErrors = {
  '401': error('120201 missing, invalid or revoked access token'),
  '403': error('120202 not allowed for this caller'),
};
const writeLimited = { '429': error('120203 too many write requests for this caller', { 'Retry-After': { ...RETRY_AFTER, required: true } }) };

const usernameParam = { name: 'username', in: 'path', required: true, schema: jsonSchema(s.usernameSchema, 'input') };
const bearer = [{ bearerAuth: [] }];

const accepted = (links: Record<string, unknown> = {}) => ({
  ...ok('Accepted: validated, reserved and durably in the write-ahead log; applied asynchronously.', s.acceptedWrite, { Location: LOCATION }),
  links: {
    GetRequest: { operationId: 'getRequest', parameters: { requestId: '$response.body#/requestId' } },
    ...links,
  },
});

const requestBody = (schema: z.ZodType) => ({ required: true, content: json(schema, 'input') });

function paths(): Record<string, unknown> {
  return {
    '/v1/users': {
      post: {
        operationId: 'createUser',
        summary: 'Sign up',
        description:
          'Anyone; no token needed (a valid access token is accepted, an invalid one is 401). Validated at the gateway and again in user-command; 202 once the request is durably in the write-ahead log. Follow it at `Location` until `applied`.',
        tags: ['users'],
        security: [{}],
        requestBody: requestBody(s.createUserSchema),
        responses: {
          '202': accepted({
            GetUserState: { operationId: 'getUserState', parameters: { username: '$response.body#/username' } },
            Login: { operationId: 'login', requestBody: { username: '$request.body#/username', password: '$request.body#/password' } },
          }),
          ...commonErrors('; 110001 validation failed'),
          ...authErrors,
          '409': error('110002 username, 110003 email, 110004 phone already taken (`details.field`)'),
          ...writeLimited,
          ...upstreamErrors,
        },
      },
    },
    '/v1/requests/{requestId}': {
      get: {
        operationId: 'getRequest',
        summary: 'Follow an accepted write',
        description: 'Anyone holding the request id (kept at least 24 h).',
        tags: ['users'],
        security: [{}],
        parameters: [{ name: 'requestId', in: 'path', required: true, schema: jsonSchema(s.requestIdSchema, 'input') }],
        responses: {
          '200': ok('What became of the request.', s.requestOutcome),
          '400': error('100003 not a UUID, 100009 malformed percent-encoding'),
          '404': error('110012 request not found'),
          '500': error(COMMON['500']),
          '503': upstreamErrors['503'],
          '504': upstreamErrors['504'],
        },
      },
    },
    '/v1/users/{username}': {
      parameters: [usernameParam],
      get: {
        operationId: 'getUser',
        summary: 'Read a user',
        description: 'The user or an admin.',
        tags: ['users'],
        security: bearer,
        responses: { '200': ok('The user (never a password hash).', s.userView), '400': error(COMMON['400'] + '; 110001 username pattern'), ...authErrors, '404': error('110005 user not found'), ...upstreamErrors },
      },
      patch: {
        operationId: 'updateUser',
        summary: 'Change a user',
        description: 'The user (with `currentPassword` to change `password` or `email`) or an admin.',
        tags: ['users'],
        security: bearer,
        requestBody: requestBody(s.gatewayUpdateUserSchema),
        responses: {
          '202': accepted(),
          ...commonErrors('; 110001 validation failed'),
          '401': error('120201 missing, invalid or revoked access token; 120301 `currentPassword` required to change password or email'),
          '403': error('120202 not allowed for this caller; 120302 `currentPassword` is wrong'),
          '404': error('110005 user not found'),
          '409': error('110003 email, 110004 phone already taken; 110011 user still pending creation'),
          ...writeLimited,
          ...upstreamErrors,
          '503': error('100008, 120001, 110006, 110007, 110009, 110014 (see createUser); 120106 password checking busy', { 'Retry-After': RETRY_AFTER }),
        },
      },
      delete: {
        operationId: 'deleteUser',
        summary: 'Delete a user',
        description: 'The user or an admin; the account keeps its row as `deleted`, its sessions end.',
        tags: ['users'],
        security: bearer,
        responses: { '202': accepted(), '400': error(COMMON['400'] + '; 110001 username pattern'), ...authErrors, '404': error('110005 user not found'), '409': error('110011 user still pending creation'), ...writeLimited, ...upstreamErrors },
      },
    },
    '/v1/users/{username}/state': {
      parameters: [usernameParam],
      get: {
        operationId: 'getUserState',
        summary: 'State of the latest request for a name',
        description: 'The user or an admin.',
        tags: ['users'],
        security: bearer,
        responses: { '200': ok('pending, active, deleted or rejected (with a reason).', s.userState), '400': error(COMMON['400'] + '; 110001 username pattern'), ...authErrors, '404': error('110005 unknown name'), ...upstreamErrors },
      },
    },
    '/v1/users/{username}/force': {
      parameters: [usernameParam],
      delete: {
        operationId: 'forceDeleteUser',
        summary: 'Delete a user and free its name (admin)',
        tags: ['admin'],
        security: bearer,
        responses: { '202': accepted(), '400': error(COMMON['400'] + '; 110001 username pattern'), ...authErrors, '404': error('110005 user not found'), '409': error('110011 user still pending creation'), ...writeLimited, ...upstreamErrors },
      },
    },
    '/v1/auth/login': {
      post: {
        operationId: 'login',
        summary: 'Log in',
        tags: ['auth'],
        security: [{}],
        requestBody: requestBody(s.loginBody),
        responses: {
          '200': {
            ...ok('A token pair.', s.tokenPair),
            links: {
              Refresh: { operationId: 'refresh', requestBody: { refreshToken: '$response.body#/refreshToken' } },
              GetUser: { operationId: 'getUser', parameters: { username: '$request.body#/username', 'header.Authorization': 'Bearer {$response.body#/accessToken}' } },
              // The user knows the password: merged into the generated body, so password and email changes can succeed too.
              UpdateUser: {
                operationId: 'updateUser',
                parameters: { username: '$request.body#/username', 'header.Authorization': 'Bearer {$response.body#/accessToken}' },
                requestBody: { currentPassword: '$request.body#/password' },
              },
              DeleteUser: { operationId: 'deleteUser', parameters: { username: '$request.body#/username', 'header.Authorization': 'Bearer {$response.body#/accessToken}' } },
            },
          },
          ...commonErrors(),
          '401': error('120101 invalid username or password (also unknown, disabled, deleted or locked)'),
          '429': error('120103 too many logins from this client network', { 'Retry-After': { ...RETRY_AFTER, required: true } }),
          '503': error('120102 too many logins in flight; 120106 password checking busy; 100008 unavailable', { 'Retry-After': RETRY_AFTER }),
          '500': error(COMMON['500']),
        },
      },
    },
    '/v1/auth/refresh': {
      post: {
        operationId: 'refresh',
        summary: 'Rotate a refresh token',
        tags: ['auth'],
        security: [{}],
        requestBody: requestBody(s.refreshBody),
        responses: {
          '200': ok('A new token pair (the same one again within the grace window).', s.tokenPair),
          ...commonErrors(),
          '401': error('120104 refresh token invalid, expired, revoked or reused'),
          '503': error('120105 token store unavailable; 100008 account check impossible'),
          '500': error(COMMON['500']),
        },
      },
    },
    '/v1/auth/logout': {
      post: {
        operationId: 'logout',
        summary: "Revoke a refresh token's family",
        tags: ['auth'],
        security: [{}],
        requestBody: requestBody(s.refreshBody),
        responses: { '204': ok('Revoked (also when it already was).', null), ...commonErrors(), '401': error('120104 refresh token invalid'), '503': error('120105 token store unavailable'), '500': error(COMMON['500']) },
      },
    },
    '/admin/users/{username}/disable': adminAccountChange('disableUser', 'Disable a user (admin): its sessions end'),
    '/admin/users/{username}/enable': adminAccountChange('enableUser', 'Enable a user again (admin)'),
    '/admin/ratelimit/login': {
      get: {
        operationId: 'getLoginLimit',
        summary: 'The login limit every replica applies (admin)',
        tags: ['admin'],
        security: bearer,
        responses: { '200': ok('The login limit.', s.loginLimitView), ...authErrors, '500': error(COMMON['500']), '503': error('100008 unavailable') },
      },
      put: {
        operationId: 'setLoginLimit',
        summary: 'Change the login limit for every replica (admin)',
        tags: ['admin'],
        security: bearer,
        requestBody: requestBody(s.loginLimitUpdate),
        responses: { '200': ok('The login limit now.', s.loginLimitView), ...commonErrors(), ...authErrors, '500': error(COMMON['500']), '503': error('100008 settings store (Redis) unavailable') },
      },
    },
    '/admin/lockouts/{username}': {
      parameters: [{ name: 'username', in: 'path', required: true, description: 'As given at login.', schema: jsonSchema(s.pathUsername, 'input') }],
      get: {
        operationId: 'getLockout',
        summary: 'Lockout of a username (admin)',
        tags: ['admin'],
        security: bearer,
        responses: { '200': ok('Whether the username is locked, until when, and its failures in the window.', s.lockoutStatus), '400': error(COMMON['400']), ...authErrors, '500': error(COMMON['500']), '503': error('100008 unavailable') },
      },
      delete: {
        operationId: 'clearLockout',
        summary: "Clear a username's lockout on every network (admin)",
        tags: ['admin'],
        security: bearer,
        responses: { '204': ok('Cleared.', null), '400': error(COMMON['400']), ...authErrors, '500': error(COMMON['500']), '503': error('100008 unavailable') },
      },
    },
  };
}

function adminAccountChange(operationId: string, summary: string) {
  return {
    parameters: [usernameParam],
    post: {
      operationId,
      summary,
      tags: ['admin'],
      security: bearer,
      responses: { '202': accepted(), '400': error(COMMON['400'] + '; 110001 username pattern'), ...authErrors, '404': error('110005 user not found'), '409': error('110011 user still pending creation'), ...upstreamErrors },
    },
  };
}

/** The gateway's OpenAPI 3.1 document. */
export function openApiDocument(): Record<string, unknown> {
  const builtPaths = paths();
  return {
    openapi: '3.1.1',
    info: {
      title: 'usersys auth-gateway',
      version: '1.0.0',
      description:
        'The public HTTP API. Writes answer 202 once durably accepted and are applied asynchronously: follow `Location`. Every answer carries `traceparent`; every error is `{code, message, details?}` (codes: apps/auth-gateway/ERRORS.md, apps/user-command/ERRORS.md). Generated from libs/api-contract.',
    },
    servers: [{ url: '/', description: 'the gateway serving this document (default http://127.0.0.1:8080)' }],
    tags: [
      { name: 'users', description: 'Sign-up and the account itself' },
      { name: 'auth', description: 'Tokens' },
      { name: 'admin', description: 'Admin only' },
    ],
    paths: builtPaths,
    components: {
      schemas: Object.fromEntries(Object.entries(components).sort(([a], [b]) => a.localeCompare(b))),
      headers: { traceparent: TRACEPARENT_HEADER },
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'The access token from login or refresh.' } },
    },
  };
}

/** The document as committed in docs/openapi.json. */
export function openApiJson(): string {
  return `${JSON.stringify(openApiDocument(), null, 2)}\n`;
}
