import Bowser from "bowser";
import { expect, test, vi } from "vitest";
import { deviceName } from "../../app/http/user-agent.js";

test("a browser's user-agent string is named as 'browser on system'", () => {
  expect(
    deviceName(
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36",
    ),
  ).toBe("Chrome on Linux");
  expect(
    deviceName("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"),
  ).toBe("Firefox on Windows");
  expect(
    deviceName(
      "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1",
    ),
  ).toBe("Safari on iOS");
  expect(
    deviceName(
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    ),
  ).toBe("Safari on macOS");
  expect(
    deviceName(
      "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36",
    ),
  ).toBe("Chrome on Android");
});

test("a browser without a system is named alone", () => {
  expect(deviceName("Laptop Firefox")).toBe("Firefox");
});

test("a string no parser recognises is 'an unknown browser', never the text as sent", () => {
  expect(deviceName("curl/8.5.0")).toBe("an unknown browser");
  expect(deviceName(`Laptop browser ${"x".repeat(100)}`)).toBe("an unknown browser");
  // bowser's catch-all names a browser after whatever precedes the first "/": not a name.
  expect(deviceName("Visit https://evil.example/x now")).toBe("an unknown browser");
  expect(deviceName("Call +1 555 0100 (support)/1.0 Linux")).toBe("an unknown browser");
  expect(deviceName("")).toBe("an unknown browser");
  expect(deviceName(undefined)).toBe("an unknown browser");
});

test("a known browser on a system bowser cannot name is the browser alone", () => {
  expect(deviceName("Mozilla/5.0 (Evil https://evil.example) Firefox/128.0")).toBe("Firefox");
});

test("a user-agent string is parsed once, then named from the cache, the same way", () => {
  const ua = "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0";
  const parse = vi.spyOn(Bowser, "parse");
  try {
    const first = deviceName(ua);
    const again = deviceName(ua);
    expect(again).toBe(first);
    expect(first).toBe("Firefox on Linux");
    expect(parse).toHaveBeenCalledTimes(1);
  } finally {
    parse.mockRestore();
  }
});
