import type {} from "vitest";
import type { TestProject } from "vitest/node";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "../app/db/embedded.js";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

let embedded: EmbeddedPostgres | undefined;

// The whole suite talks to one real Postgres: DATABASE_URL when set (CI), otherwise an
// in-memory embedded server started here and stopped when the run ends.
export async function setup(project: TestProject): Promise<void> {
  let url = process.env.DATABASE_URL;
  if (!url) {
    embedded = await startEmbeddedPostgres({});
    url = embedded.url;
  }
  project.provide("databaseUrl", url);
}

export async function teardown(): Promise<void> {
  await embedded?.stop();
}
