import type { Request, RequestHandler, Router } from "express";
import type { Message } from "../i18n/index.js";
import type { MaintenanceTask } from "../maintenance/tasks.js";
import { CORE_EVENT_KINDS, type EventListener, type EventLog } from "./events.js";
import type { Feature, FeatureParts, Kit, SettingsPage } from "./feature.js";
import type { PagePart } from "./page-parts.js";
import type { SecondFactor } from "./second-factor.js";
import type { SignInDone } from "./sign-in.js";
import type { SignInMethodSource, UnprovenAccessRemoval } from "./sign-in-methods.js";

/**
 * Every feature's parts, gathered by kind. The core builds its kit on these lists before the
 * features are set up (the sign-in pipeline reads `secondFactors` and `signInHooks` per request),
 * and `setUp` fills them, in the features' order.
 */
export interface Contributions {
  routes: Router[];
  assets: Router[];
  publicDirs: string[];
  secondFactors: SecondFactor[];
  signInMethods: SignInMethodSource[];
  unprovenAccess: UnprovenAccessRemoval[];
  accountSections: PagePart[];
  securitySections: PagePart[];
  settingsPages: SettingsPage[];
  signInButtons: PagePart[];
  /** Each event kind and the catalogue key that says it ("events.sign_in"). */
  eventKinds: Map<string, string>;
  eventListeners: EventListener[];
  eventLogs: EventLog[];
  signInHooks: ((done: SignInDone) => Promise<void>)[];
  maintenance: MaintenanceTask[];
  formTargets: string[];
  signInChecks: ((user: Express.User) => Promise<Message | undefined>)[];
  sensitiveRefusals: ((req: Request) => Message | undefined)[];
  everyRequest: RequestHandler[];
  banners: PagePart[];
  logoutRedirects: ((req: Request) => Promise<string | undefined>)[];
}

export function emptyContributions(): Contributions {
  return {
    routes: [],
    assets: [],
    publicDirs: [],
    secondFactors: [],
    signInMethods: [],
    unprovenAccess: [],
    accountSections: [],
    securitySections: [],
    settingsPages: [],
    signInButtons: [],
    eventKinds: new Map(Object.entries(CORE_EVENT_KINDS)),
    eventListeners: [],
    eventLogs: [],
    signInHooks: [],
    maintenance: [],
    formTargets: [],
    signInChecks: [],
    sensitiveRefusals: [],
    everyRequest: [],
    banners: [],
    logoutRedirects: [],
  };
}

function add(into: Contributions, parts: FeatureParts): void {
  if (parts.routes) into.routes.push(parts.routes);
  if (parts.assets) into.assets.push(parts.assets);
  if (parts.publicDir) into.publicDirs.push(parts.publicDir);
  if (parts.secondFactor) {
    into.secondFactors.push(parts.secondFactor);
    const { removeAll } = parts.secondFactor;
    if (removeAll) into.unprovenAccess.push({ removeAll });
  }
  if (parts.signInMethod) {
    into.signInMethods.push(parts.signInMethod);
    into.unprovenAccess.push(parts.signInMethod);
  }
  into.accountSections.push(...(parts.accountSections ?? []));
  into.securitySections.push(...(parts.securitySections ?? []));
  into.settingsPages.push(...(parts.settingsPages ?? []));
  into.signInButtons.push(...(parts.signInButtons ?? []));
  for (const [kind, text] of Object.entries(parts.eventKinds ?? {}))
    into.eventKinds.set(kind, text);
  if (parts.onEvent) into.eventListeners.push(parts.onEvent);
  if (parts.eventLog) into.eventLogs.push(parts.eventLog);
  if (parts.onSignIn) into.signInHooks.push(parts.onSignIn);
  into.maintenance.push(...(parts.maintenance ?? []));
  into.formTargets.push(...(parts.formTargets ?? []));
  if (parts.checkSignIn) into.signInChecks.push(parts.checkSignIn);
  if (parts.refuseSensitive) into.sensitiveRefusals.push(parts.refuseSensitive);
  if (parts.everyRequest) into.everyRequest.push(parts.everyRequest);
  into.banners.push(...(parts.banners ?? []));
  if (parts.logoutRedirect) into.logoutRedirects.push(parts.logoutRedirect);
}

/** Sets up each feature with the kit, in order; two features of one name are a mistake. */
export function setUp(features: readonly Feature[], kit: Kit, into: Contributions): void {
  const names = new Set<string>();
  for (const feature of features) {
    if (names.has(feature.name)) throw new Error(`Two features are named ${feature.name}`);
    names.add(feature.name);
    const parts = feature.setup(kit);
    if (parts) add(into, parts);
  }
}
