/** Real time, moved forward by the test: schedules and stale-flag windows compare against it. */
export function movingClock() {
  let offsetMs = 0;
  const clock = () => new Date(Date.now() + offsetMs);
  return {
    clock,
    /** An ISO instant `ms` after the clock's now. */
    later: (ms: number) => new Date(clock().getTime() + ms).toISOString(),
    advance: (ms: number) => {
      offsetMs += ms;
    },
  };
}
