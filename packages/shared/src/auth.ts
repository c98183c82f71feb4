/**
 * Access control: operators (users with roles), orchestration (scoped API tokens), agents (enrolled with a
 * one-time join token, then their own credential), and the audit log. REST bodies for /api/v1/auth, /users,
 * /tokens, /agents/join-tokens, /agents/enroll, /agents (credentials), /audit.
 */
import { Type, type Static } from 'typebox';

/** viewer reads everything; operator also runs actions on hosts; admin also manages users, tokens, webhooks, settings */
export const RoleSchema = Type.Union([Type.Literal('viewer'), Type.Literal('operator'), Type.Literal('admin')]);
export type Role = Static<typeof RoleSchema>;
export const ROLE_RANK: Readonly<Record<Role, number>> = { viewer: 0, operator: 1, admin: 2 };

export const UsernameSchema = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z][a-z0-9._-]*$' });
export const PasswordSchema = Type.String({ minLength: 12, maxLength: 256, description: 'at least 12 characters' });

export const LoginBodySchema = Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 256 }) }, { additionalProperties: false });
export type LoginBody = Static<typeof LoginBodySchema>;

export const UserSchema = Type.Object({
  id: Type.String(),
  username: Type.String(),
  role: RoleSchema,
  created_at: Type.String({ format: 'date-time' }),
  disabled: Type.Boolean(),
  /** the first admin's printed one-time password, or a password an admin set: must be changed at next login */
  must_change_password: Type.Boolean(),
  last_login_at: Type.Optional(Type.String({ format: 'date-time' })),
});
export type User = Static<typeof UserSchema>;

/** who the caller is: a logged-in user (session cookie) or an API token */
export const PrincipalSchema = Type.Object({
  kind: Type.Union([Type.Literal('user'), Type.Literal('token')]),
  id: Type.String(),
  name: Type.String({ description: 'username, or the token name' }),
  role: RoleSchema,
  /** sessions: when the session ends */
  expires_at: Type.Optional(Type.String({ format: 'date-time' })),
  /** users only: every route but /auth/me, /auth/password and /auth/logout answers 403 until it is changed */
  must_change_password: Type.Optional(Type.Boolean()),
});
export type Principal = Static<typeof PrincipalSchema>;

export const CreateUserBodySchema = Type.Object({ username: UsernameSchema, password: PasswordSchema, role: RoleSchema }, { additionalProperties: false });
export const UpdateUserBodySchema = Type.Object({
  role: Type.Optional(RoleSchema),
  password: Type.Optional(PasswordSchema),
  disabled: Type.Optional(Type.Boolean()),
}, { additionalProperties: false, minProperties: 1 });
export const ChangeOwnPasswordBodySchema = Type.Object({ current_password: Type.String({ minLength: 1, maxLength: 256 }), new_password: PasswordSchema }, { additionalProperties: false });
export const UserListSchema = Type.Object({ users: Type.Array(UserSchema) });

/** API tokens: a scope is the highest role the token acts with */
export const ApiTokenSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  scope: RoleSchema,
  /** first characters of the token, to recognise it (never the secret) */
  prefix: Type.String(),
  created_by: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
  expires_at: Type.Optional(Type.String({ format: 'date-time' })),
  revoked_at: Type.Optional(Type.String({ format: 'date-time' })),
  last_used_at: Type.Optional(Type.String({ format: 'date-time' })),
});
export type ApiToken = Static<typeof ApiTokenSchema>;
export const CreateApiTokenBodySchema = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100 }),
  scope: RoleSchema,
  /** optional lifetime; omitted = no expiry */
  expires_in_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
}, { additionalProperties: false });
/** returned once, at creation: the only time the secret is shown */
export const CreatedApiTokenSchema = Type.Intersect([ApiTokenSchema, Type.Object({ token: Type.String({ description: 'shown once; store it now' }) })]);
export const ApiTokenListSchema = Type.Object({ tokens: Type.Array(ApiTokenSchema) });

/** Agent enrollment */
export const JoinTokenSchema = Type.Object({
  id: Type.String(),
  prefix: Type.String(),
  created_by: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
  expires_at: Type.String({ format: 'date-time' }),
  used_at: Type.Optional(Type.String({ format: 'date-time' })),
  used_by_host: Type.Optional(Type.String()),
});
export const CreateJoinTokenBodySchema = Type.Object({ expires_in_hours: Type.Optional(Type.Integer({ minimum: 1, maximum: 720, default: 24 })) }, { additionalProperties: false });
export const CreatedJoinTokenSchema = Type.Intersect([JoinTokenSchema, Type.Object({ token: Type.String({ description: 'shown once; pass to `daxfleet serve --role agent --join-token`' }) })]);
export const JoinTokenListSchema = Type.Object({ join_tokens: Type.Array(JoinTokenSchema) });
export const EnrollBodySchema = Type.Object({
  join_token: Type.String({ minLength: 1, maxLength: 200 }),
  host_id: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$' }),
  hostname: Type.String({ minLength: 1, maxLength: 255 }),
}, { additionalProperties: false });
export const EnrollResponseSchema = Type.Object({
  host_id: Type.String(),
  /** the agent's own credential: sent as `Authorization: Bearer` on every report; stored 0600 in its data folder */
  agent_credential: Type.String(),
  /** the hub's key for signing commands to this agent (HMAC-SHA256); the agent refuses unsigned commands */
  command_key: Type.String(),
});
export const AgentCredentialSchema = Type.Object({
  host_id: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
  revoked_at: Type.Optional(Type.String({ format: 'date-time' })),
  last_used_at: Type.Optional(Type.String({ format: 'date-time' })),
});
export const AgentCredentialListSchema = Type.Object({ agents: Type.Array(AgentCredentialSchema) });
/** POST /agents/credential/rotate: the new credential (the command key stays) */
export const RotatedAgentCredentialSchema = Type.Object({ agent_credential: Type.String() });
export const JoinTokenIdParamsSchema = Type.Object({ joinTokenId: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) });

/** Audit log */
export const AuditEntrySchema = Type.Object({
  id: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  actor_kind: Type.Union([Type.Literal('user'), Type.Literal('token'), Type.Literal('agent'), Type.Literal('anonymous'), Type.Literal('system')]),
  actor: Type.String({ description: 'username, token name, host id, or "-"' }),
  source_ip: Type.String(),
  action: Type.String({ description: 'e.g. auth.login, user.create, token.revoke, agent.enroll, host.report' }),
  target: Type.Optional(Type.String()),
  result: Type.Union([Type.Literal('success'), Type.Literal('failure')]),
  status_code: Type.Integer(),
  detail: Type.Optional(Type.String()),
});
export type AuditEntry = Static<typeof AuditEntrySchema>;
export const AuditQuerySchema = Type.Object({
  actor: Type.Optional(Type.String({ maxLength: 128 })),
  action: Type.Optional(Type.String({ maxLength: 64 })),
  /** exact, e.g. plan:<id> for a recovery plan's entries */
  target: Type.Optional(Type.String({ maxLength: 512 })),
  result: Type.Optional(Type.Union([Type.Literal('success'), Type.Literal('failure')])),
  since: Type.Optional(Type.String({ format: 'date-time' })),
  until: Type.Optional(Type.String({ format: 'date-time' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  before: Type.Optional(Type.Integer({ minimum: 1, description: 'entries with a smaller id (next page)' })),
}, { additionalProperties: false });
export const AuditPageSchema = Type.Object({ entries: Type.Array(AuditEntrySchema), next_before: Type.Optional(Type.Integer()) });

/** Route params of /users/:userId and /tokens/:tokenId (ids are base64url) */
const IdSchema = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });
export const UserIdParamsSchema = Type.Object({ userId: IdSchema }, { additionalProperties: false });
export const TokenIdParamsSchema = Type.Object({ tokenId: IdSchema }, { additionalProperties: false });
