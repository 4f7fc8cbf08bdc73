/**
 * The app's optional capabilities, by folder name, in the order their routes, panels and buttons
 * appear: each is app/features/<name>/, whose index.ts exports its Feature (app/feature-list.ts
 * loads them). To remove one: delete its folder (and test/features/<name>/, test/e2e/<name>*)
 * and its line here. To add one: README, "Add a feature".
 */
export const featureNames: readonly string[] = [
  "activity",
  "two-factor",
  "passkeys",
  "providers",
  "email-sign-in",
  "session-inspector",
  "admin",
];
