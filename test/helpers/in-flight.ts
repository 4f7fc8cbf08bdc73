/**
 * The race harness of the "requests in flight" attacks: `loops` request loops kept busy on one
 * session while `end` runs (a logout elsewhere, a password change, an administrator's lock).
 * `end` starts only once every loop has a request on the wire; this returns after `end` and
 * after every loop has seen its last answer. `request(first)` sends one request (`first`: the
 * loop's first), so a test chooses what a busy browser sends.
 */
export async function whileRequestsInFlight(
  loops: number,
  request: (first: boolean) => Promise<unknown>,
  end: () => Promise<void>,
): Promise<void> {
  let stop = false;
  let started = 0;
  let allStarted: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    allStarted = resolve;
  });
  const loop = async () => {
    let first = true;
    while (!stop) {
      const sent = request(first);
      if (first) {
        first = false;
        started += 1;
        if (started === loops) allStarted();
      }
      await sent;
    }
  };
  const running = Array.from({ length: loops }, loop);
  await ready;
  try {
    await end();
  } finally {
    stop = true;
    await Promise.all(running);
  }
}
