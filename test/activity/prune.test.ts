import { describe, expect, it } from "vitest";
import { listEvents } from "../../app/activity/list.js";
import { pruneEvents, retentionCutoff } from "../../app/activity/prune.js";
import { loadConfig } from "../../app/config.js";
import { startTestApp } from "../helpers/app.js";
import { makeUser } from "../helpers/auth.js";

const DAY = 24 * 60 * 60 * 1000;

describe("pruning security events", () => {
  it("deletes the events past the retention and keeps the recent ones", async () => {
    const app = await startTestApp();
    const user = await makeUser(app.pool, "prune@example.com");
    const now = Date.now();
    for (const ageDays of [200, 91, 89, 1]) {
      await app.pool.query(
        "insert into security_events (user_id, kind, method, created_at) values ($1, 'sign_in', 'password', $2)",
        [user.id, new Date(now - ageDays * DAY)],
      );
    }

    const removed = await pruneEvents(app.pool, retentionCutoff(90, now));

    expect(removed).toBe(2);
    const left = await listEvents(app.pool, user.id);
    expect(left.map((e) => Math.round((now - e.createdAt.valueOf()) / DAY))).toEqual([1, 89]);
  });

  it("keeps 90 days unless ACTIVITY_RETENTION_DAYS says otherwise", () => {
    const base = { NODE_ENV: "test", SESSION_SECRET: "x".repeat(32) };
    expect(loadConfig({ env: base }).config.activityRetentionDays).toBe(90);
    expect(
      loadConfig({ env: { ...base, ACTIVITY_RETENTION_DAYS: "30" } }).config.activityRetentionDays,
    ).toBe(30);
    expect(() => loadConfig({ env: { ...base, ACTIVITY_RETENTION_DAYS: "0" } })).toThrow(
      /ACTIVITY_RETENTION_DAYS/,
    );
  });
});
