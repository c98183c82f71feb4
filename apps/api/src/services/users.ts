/**
 * Users (operators who log in): create, list, update, delete with the admin guard rails (nobody removes their own
 * admin rights, and there is always one enabled admin), password checks, and the first admin at hub start.
 */
import { ROLE_RANK, type Role, type User } from '@daxfleet/shared';
import type { PrismaClient } from '../db/client.js';
import type { User as UserRow } from '../../generated/prisma/index.js';
import { ApiError } from '../errors.js';
import { dummyPasswordHash, hashPassword, newId, newOneTimePassword, verifyPassword } from './secrets.js';

export type { UserRow };

export function isRole(value: string): value is Role {
  return Object.hasOwn(ROLE_RANK, value);
}

/** The stored role, as a Role (a row can only hold one through this service; anything else reads as viewer). */
export function roleOf(row: { role: string }): Role {
  return isRole(row.role) ? row.role : 'viewer';
}

export function toUser(row: UserRow): User {
  const user: User = {
    id: row.id,
    username: row.username,
    role: roleOf(row),
    created_at: row.createdAt.toISOString(),
    disabled: row.disabled,
    must_change_password: row.mustChangePassword,
  };
  if (row.lastLoginAt) user.last_login_at = row.lastLoginAt.toISOString();
  return user;
}

export async function listUsers(prisma: PrismaClient): Promise<User[]> {
  const rows = await prisma.user.findMany({ orderBy: { username: 'asc' } });
  return rows.map(toUser);
}

export interface NewUser {
  username: string;
  password: string;
  role: Role;
  /** a password someone else chose (an admin, or the printed one-time password): changed at first login */
  mustChangePassword?: boolean;
}

export async function createUser(prisma: PrismaClient, input: NewUser): Promise<User> {
  const passwordHash = await hashPassword(input.password);
  const existing = await prisma.user.findUnique({ where: { username: input.username } });
  if (existing) {
    throw new ApiError('DAXFLEET_ERR_USER_EXISTS', `a user named "${input.username}" exists: choose another username`);
  }
  try {
    const row = await prisma.user.create({
      data: {
        id: newId(),
        username: input.username,
        passwordHash,
        role: input.role,
        mustChangePassword: input.mustChangePassword ?? false,
        createdAt: new Date(),
      },
    });
    return toUser(row);
  } catch (err) {
    // a concurrent create of the same name
    if ((err as { code?: string }).code === 'P2002') {
      throw new ApiError('DAXFLEET_ERR_USER_EXISTS', `a user named "${input.username}" exists: choose another username`);
    }
    throw err;
  }
}

async function findUserOr404(prisma: Pick<PrismaClient, 'user'>, userId: string): Promise<UserRow> {
  const row = await prisma.user.findUnique({ where: { id: userId } });
  if (!row) throw new ApiError('DAXFLEET_ERR_USER_NOT_FOUND', `no user with id "${userId}": list users with GET /api/v1/users`);
  return row;
}

export interface UserChange {
  role?: Role;
  password?: string;
  disabled?: boolean;
}

/**
 * An admin changes a user. Guard rails: not their own role or disabled flag (another admin must), and never
 * leaving no enabled admin. A password set by an admin must be changed at the user's next login, and ends the
 * user's sessions, as does disabling them.
 */
export async function updateUser(prisma: PrismaClient, actingUserId: string | undefined, userId: string, change: UserChange): Promise<User> {
  const passwordHash = change.password === undefined ? undefined : await hashPassword(change.password);
  return prisma.$transaction(async (tx) => {
    const row = await findUserOr404(tx, userId);
    const losesAdmin = row.role === 'admin' && !row.disabled &&
      ((change.role !== undefined && change.role !== 'admin') || change.disabled === true);
    if (losesAdmin && userId === actingUserId) {
      throw new ApiError('DAXFLEET_ERR_USER_SELF',
        'you cannot demote or disable your own account: ask another admin to do it');
    }
    if (losesAdmin) await assertAnotherAdmin(tx, userId);
    const updated = await tx.user.update({
      where: { id: userId },
      data: {
        ...(change.role !== undefined ? { role: change.role } : {}),
        ...(change.disabled !== undefined ? { disabled: change.disabled } : {}),
        ...(passwordHash !== undefined ? { passwordHash, mustChangePassword: userId !== actingUserId } : {}),
      },
    });
    if (change.disabled === true || passwordHash !== undefined) {
      await tx.session.deleteMany({ where: { userId } });
    }
    return toUser(updated);
  });
}

export async function deleteUser(prisma: PrismaClient, actingUserId: string | undefined, userId: string): Promise<User> {
  return prisma.$transaction(async (tx) => {
    const row = await findUserOr404(tx, userId);
    if (userId === actingUserId) {
      throw new ApiError('DAXFLEET_ERR_USER_SELF', 'you cannot delete your own account: ask another admin to do it');
    }
    if (row.role === 'admin' && !row.disabled) await assertAnotherAdmin(tx, userId);
    await tx.user.delete({ where: { id: userId } }); // sessions go with it (cascade)
    return toUser(row);
  });
}

async function assertAnotherAdmin(tx: Pick<PrismaClient, 'user'>, exceptUserId: string): Promise<void> {
  const others = await tx.user.count({ where: { role: 'admin', disabled: false, id: { not: exceptUserId } } });
  if (others === 0) {
    throw new ApiError('DAXFLEET_ERR_USER_LAST_ADMIN',
      'this is the last enabled admin: make another user admin first, then retry');
  }
}

/**
 * Checks a username and password. An unknown user costs the same scrypt work as a wrong password, and a
 * disabled user is refused like a wrong password, so the answer does not tell which usernames exist.
 */
export async function checkPassword(prisma: PrismaClient, username: string, password: string): Promise<UserRow | undefined> {
  const row = await prisma.user.findUnique({ where: { username } });
  const ok = await verifyPassword(password, row?.passwordHash ?? await dummyPasswordHash());
  if (!row || !ok || row.disabled) return undefined;
  return row;
}

/** The user changes their own password (knowing the current one); other sessions of theirs end. */
export async function changeOwnPassword(
  prisma: PrismaClient, userId: string, currentPassword: string, newPassword: string, keepSessionId?: string,
): Promise<void> {
  const row = await findUserOr404(prisma, userId);
  if (!await verifyPassword(currentPassword, row.passwordHash)) {
    throw new ApiError('DAXFLEET_ERR_USER_CURRENT_PASSWORD_WRONG', 'body/current_password is not your current password: retype it');
  }
  if (currentPassword === newPassword) {
    throw new ApiError('DAXFLEET_ERR_USER_PASSWORD_UNCHANGED', 'body/new_password equals the current password: choose a new one');
  }
  const passwordHash = await hashPassword(newPassword);
  await prisma.$transaction([
    prisma.user.update({ where: { id: userId }, data: { passwordHash, mustChangePassword: false } }),
    prisma.session.deleteMany({ where: { userId, ...(keepSessionId ? { id: { not: keepSessionId } } : {}) } }),
  ]);
}

export interface FirstAdmin {
  username: string;
  /** set when the password was generated: the caller prints it once */
  oneTimePassword?: string;
}

/**
 * At hub start with no users: creates the first admin. DAXFLEET_ADMIN_PASSWORD set → that password (no change
 * required); else a generated one-time password the caller prints once (change required at first login).
 * DAXFLEET_ADMIN_USERNAME overrides the name `admin`. Returns undefined when users exist.
 */
export async function ensureFirstAdmin(prisma: PrismaClient, env: NodeJS.ProcessEnv = process.env): Promise<FirstAdmin | undefined> {
  if (await prisma.user.count() > 0) return undefined;
  const username = env.DAXFLEET_ADMIN_USERNAME?.trim() || 'admin';
  const given = env.DAXFLEET_ADMIN_PASSWORD;
  const password = given && given.length > 0 ? given : newOneTimePassword();
  const passwordHash = await hashPassword(password);
  const created = await prisma.$transaction(async (tx) => {
    if (await tx.user.count() > 0) return false; // another hub process on the same file was first
    await tx.user.create({
      data: { id: newId(), username, passwordHash, role: 'admin', mustChangePassword: !given, createdAt: new Date() },
    });
    return true;
  });
  if (!created) return undefined;
  return given ? { username } : { username, oneTimePassword: password };
}

/**
 * Recovery for someone with access to the hub's data folder (`daxfleet admin reset-password`): gives the user a
 * new generated one-time password (to be changed at the next login), enables them and ends their sessions.
 * Returns the password for the caller to print once; undefined when there is no such user.
 */
export async function resetPasswordLocally(prisma: PrismaClient, username: string): Promise<string | undefined> {
  const user = await prisma.user.findUnique({ where: { username }, select: { id: true } });
  if (!user) return undefined;
  const password = newOneTimePassword();
  const passwordHash = await hashPassword(password);
  await prisma.$transaction([
    prisma.user.update({ where: { id: user.id }, data: { passwordHash, mustChangePassword: true, disabled: false } }),
    prisma.session.deleteMany({ where: { userId: user.id } }),
  ]);
  return password;
}
