import { ZxcvbnFactory } from "@zxcvbn-ts/core";
import * as common from "@zxcvbn-ts/language-common";
import * as english from "@zxcvbn-ts/language-en";

/**
 * Refuses commonly used and easily guessed passwords (NIST SP 800-63B: check new passwords
 * against lists of commonly used ones) with zxcvbn-ts and its common-password and English
 * dictionaries. Scores run 0-4; below 3 is "guessable within hours of online guessing".
 */
const zxcvbn = new ZxcvbnFactory({
  dictionary: { ...common.dictionary, ...english.dictionary },
  graphs: common.adjacencyGraphs,
  translations: english.translations,
  // The estimate is CPU work on the request thread: bounded. Longer passwords are strong anyway.
  maxLength: 100,
});

const MIN_SCORE = 3;

/** Why the password is too weak, in words for the form; undefined when it is strong enough. */
export function weakPasswordReason(
  password: string,
  userInputs: string[] = [],
): string | undefined {
  const result = zxcvbn.check(password, userInputs);
  if (result.score >= MIN_SCORE) return undefined;
  const why = result.feedback.warning ?? "This password is too easy to guess.";
  const suggestion = result.feedback.suggestions[0];
  return suggestion ? `${why} ${suggestion}` : why;
}
