import type { AsyncService } from '@guardian/grpc-kit';
import type { UserServiceServer } from '@guardian/proto/gen/guardian/identity/v1/user';
import { nextPageToken, parsePage, type UserService } from '../services/user.service.js';
import { toUser } from './mappers.js';

/** UserService transport. */
export function userHandlers(users: UserService): AsyncService<UserServiceServer> {
  return {
    getUser: async (req, ctx) => ({ user: toUser(await users.get(await ctx.auth(), req.userId)) }),
    listUsers: async (req, ctx) => {
      const page = parsePage(req.pageSize, req.pageToken);
      const filter = {
        query: req.query,
        role: req.role,
        status: req.status,
        ...(req.verified === undefined ? {} : { verified: req.verified }),
      };
      const { users: list, total } = await users.list(await ctx.auth(), filter, page);
      return {
        users: list.map((u) => toUser(u)),
        nextPageToken: nextPageToken(page, list.length, total),
        totalSize: total,
      };
    },
    createUser: async (req, ctx) => ({
      user: toUser(await users.create(await ctx.auth(), req, ctx.requestId)),
    }),
    updateUser: async (req, ctx) => ({
      user: toUser(await users.update(await ctx.auth(), req, ctx.requestId)),
    }),
    deleteUser: async (req, ctx) => {
      await users.delete(await ctx.auth(), req.userId, ctx.requestId);
      return {};
    },
    setRole: async (req, ctx) => ({
      user: toUser(await users.setRole(await ctx.auth(), req.userId, req.role, ctx.requestId)),
    }),
    unlockUser: async (req, ctx) => ({
      user: toUser(await users.unlock(await ctx.auth(), req.userId, ctx.requestId)),
    }),
    getProfile: async (_req, ctx) => ({ user: toUser(await users.getProfile(await ctx.auth())) }),
    updateProfile: async (req, ctx) => ({
      user: toUser(await users.updateProfile(await ctx.auth(), req, ctx.requestId)),
    }),
  };
}
