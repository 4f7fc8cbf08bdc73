import { ZxcvbnFactory } from "@zxcvbn-ts/core";
import * as common from "@zxcvbn-ts/language-common";
import * as english from "@zxcvbn-ts/language-en";
import { type Message, msg } from "../i18n/index.js";

/**
 * Refuses commonly used and easily guessed passwords (NIST SP 800-63B: check new passwords
 * against lists of commonly used ones) with zxcvbn-ts and its common-password and English
 * dictionaries. Scores run 0-4; below 3 is "guessable within hours of online guessing".
 *
 * Its feedback comes back as the names of its sentences ("topTen", "capitalization"), not
 * English: each is a key of the catalogues (`password.warnings.<name>`,
 * `password.suggestions.<name>`), so the reason is said in the reader's language.
 */
const names = <T extends Record<string, string>>(sentences: T): T =>
  Object.fromEntries(Object.keys(sentences).map((name) => [name, name])) as T;

const zxcvbn = new ZxcvbnFactory({
  dictionary: { ...common.dictionary, ...english.dictionary },
  graphs: common.adjacencyGraphs,
  translations: {
    ...english.translations,
    warnings: names(english.translations.warnings),
    suggestions: names(english.translations.suggestions),
  },
  // The estimate is CPU work on the request thread: bounded. Longer passwords are strong anyway.
  maxLength: 100,
});

const MIN_SCORE = 3;

/**
 * Why the password is too weak, for the form (a Message: "password.weak" or
 * "password.weakWithSuggestion", which nest the warning and the suggestion); undefined when it
 * is strong enough.
 */
export function weakPasswordReason(
  password: string,
  userInputs: string[] = [],
): Message | undefined {
  const result = zxcvbn.check(password, userInputs);
  if (result.score >= MIN_SCORE) return undefined;
  const warning = result.feedback.warning || "tooEasy";
  const suggestion = result.feedback.suggestions[0];
  return suggestion
    ? msg("password.weakWithSuggestion", { warning, suggestion })
    : msg("password.weak", { warning });
}
