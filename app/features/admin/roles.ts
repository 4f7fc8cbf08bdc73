/**
 * Who may do what: one table, roles → actions. Every user has a role (`users.role`, `user` by
 * default); routes and pages ask `can(user, action)`, never the role itself. A product adds a
 * role with a line here (and its name to the CHECK on `users.role` in a migration), e.g.
 * `support: ["admin.view", "users.view", "users.sign-out", "users.verification"]`.
 * Nobody becomes an administrator from the web: `npm run users -- promote <email>`.
 */
export const ACTIONS = [
  /** Open /admin and the audit trail. */
  "admin.view",
  /** See a user's page: sessions, sign-in methods, recent activity. */
  "users.view",
  "users.lock",
  "users.sign-out",
  "users.two-factor",
  "users.verification",
  "users.delete",
  "users.impersonate",
] as const;

export type Action = (typeof ACTIONS)[number];

export const ROLES = {
  user: [],
  admin: ACTIONS,
} as const satisfies Record<string, readonly Action[]>;

export type Role = keyof typeof ROLES;

export const isRole = (value: unknown): value is Role =>
  typeof value === "string" && Object.hasOwn(ROLES, value);

/** Whether someone with this role may do this. An unknown role may do nothing. */
export function can(user: { role: string } | undefined, action: Action): boolean {
  if (!user || !isRole(user.role)) return false;
  const allowed: readonly Action[] = ROLES[user.role];
  return allowed.includes(action);
}
