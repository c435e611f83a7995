/**
 * Frame rates as ffmpeg reports them (`avg_frame_rate`), which decord and so ImageBind's frame
 * plan use, from what a demuxer gives the page: packet timestamps and durations.
 */

/**
 * A frame rate from a frame count and a float duration, snapped to the rational it stands for
 * (25, 30000/1001, …) when it is within float noise of one: the frame plan takes ceil(fps·t), so
 * 24.999999999999993 and 25 can pick different frames. (WebM: see matroskaFrameRate.)
 */
export function snapFrameRate(fps: number): number {
  for (const den of [1, 1001, 2, 3, 4, 6, 8, 12, 100, 1000]) {
    const n = Math.round(fps * den);
    if (n > 0 && Math.abs(fps * den - n) <= 1e-6 * fps * den) return n / den;
  }
  return fps;
}

/** ffmpeg's "standard" frame rates (libavformat get_std_framerate), as fps. */
const STD_RATES: number[] = (() => {
  const out: number[] = [];
  for (let i = 1; i <= 360; i++) out.push(i / 12); // 1/12 … 30 fps in 1/12 steps
  for (let i = 31; i <= 60; i++) out.push(i);
  out.push(80, 120, 240);
  for (const r of [24, 30, 60, 12, 15, 48]) out.push((r * 1000) / 1001);
  return out;
})();

/**
 * Matroska/WebM: ffmpeg estimates the rate from the packets' timestamps, (n − 1) / (last − first),
 * and rounds it to a standard rate within 1 % (a MediaRecorder clip at 15.007 fps is 15). Its
 * packets often carry no duration, so count / summed durations would be wrong (15.35 for 45
 * frames at 15 fps: the last frame's duration is missing).
 */
export function matroskaFrameRate(sortedTimes: readonly number[]): number {
  const n = sortedTimes.length;
  const span = n > 1 ? sortedTimes[n - 1]! - sortedTimes[0]! : 0;
  if (!(span > 0)) return 30;
  const est = (n - 1) / span;
  let best = est;
  let bestErr = 0.01;
  for (const r of STD_RATES) {
    const err = Math.abs(est / r - 1);
    if (err < bestErr) {
      bestErr = err;
      best = r;
    }
  }
  return best;
}
