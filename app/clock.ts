/** Milliseconds since the epoch. The app takes one (createApp) where time decides: tests set it. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();
