import type { Request } from "express";
import { expectTypeOf, test } from "vitest";
import type { SessionData, SessionInstance, SessionOptions } from "../../app/session/index.js";

// [beyond] Typed session data through declaration merging: an app declares its fields once and
// gets them typed on req.session. Checked by `tsc --noEmit` (the runtime body is trivial).

declare module "../../app/session/types.js" {
  interface SessionData {
    /** A field only this test declares. */
    typeTestCart: string[];
  }
}

test("declared fields appear, optional, on the session and on req.session", () => {
  expectTypeOf<SessionData["typeTestCart"]>().toEqualTypeOf<string[]>();
  expectTypeOf<SessionInstance["typeTestCart"]>().toEqualTypeOf<string[] | undefined>();
  expectTypeOf<Request["session"]["typeTestCart"]>().toEqualTypeOf<string[] | undefined>();
  expectTypeOf<Request["sessionID"]>().toEqualTypeOf<string>();
});

test("the [beyond] options are typed", () => {
  expectTypeOf<SessionOptions["maxLifetime"]>().toEqualTypeOf<number | undefined>();
  expectTypeOf<SessionOptions["touchAfter"]>().toEqualTypeOf<number | undefined>();
  expectTypeOf<SessionOptions["hashStoreKeys"]>().toEqualTypeOf<boolean | undefined>();
});
