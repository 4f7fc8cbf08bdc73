import { expect, test } from "vitest";
import { z } from "zod";
import { checkFeatureConfig } from "../app/app.js";
import { ConfigError, parseVariables } from "../app/config.js";
import type { Feature } from "../app/core/feature.js";
import { testConfig } from "./helpers/test-config.js";

// A feature's own variables are checked with the core's when the server starts: every bad one,
// of every feature, named in one error, so a typo stops the app before it serves a page.
const schema = z.object({
  WIDGET_LIMIT: z.coerce.number().int().min(1, { error: "must be at least 1" }).default(5),
  WIDGET_MODE: z.enum(["on", "off"], { error: 'must be "on" or "off"' }).default("on"),
});

const widget: Feature = {
  name: "widget",
  checkConfig: (config) => void parseVariables(schema, config.env),
  setup: () => undefined,
};
const other: Feature = {
  name: "other",
  checkConfig: (config) =>
    void parseVariables(z.object({ OTHER_URL: z.url({ error: "must be a URL" }) }), config.env),
  setup: () => undefined,
};

test("a feature reads its variables from the config's environment, with its defaults", () => {
  expect(parseVariables(schema, testConfig({ WIDGET_LIMIT: "12" }).env)).toEqual({
    WIDGET_LIMIT: 12,
    WIDGET_MODE: "on",
  });
  // Empty values mean "not set", as for the core's variables.
  expect(parseVariables(schema, testConfig({ WIDGET_LIMIT: " " }).env).WIDGET_LIMIT).toBe(5);
});

test("every bad variable of every feature is named in one ConfigError", () => {
  const config = testConfig({ WIDGET_LIMIT: "0", WIDGET_MODE: "maybe", OTHER_URL: "nope" });
  let error: unknown;
  try {
    checkFeatureConfig(config, [widget, other]);
  } catch (thrown) {
    error = thrown;
  }
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).problems.map((p) => p.variable).sort()).toEqual([
    "OTHER_URL",
    "WIDGET_LIMIT",
    "WIDGET_MODE",
  ]);
  expect((error as ConfigError).message).toContain('WIDGET_MODE: must be "on" or "off"');
});

test("good variables pass, and a feature without variables is not asked", () => {
  expect(() =>
    checkFeatureConfig(testConfig({ OTHER_URL: "https://example.com" }), [widget, other]),
  ).not.toThrow();
  expect(() =>
    checkFeatureConfig(testConfig(), [{ name: "plain", setup: () => undefined }]),
  ).not.toThrow();
});
