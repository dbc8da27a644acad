import { z } from "zod";
import { MAX_REPLAY_FRAMES, MAX_REPLAY_SPAN_MS } from "./topology-replay.ts";

const MINUTE_MS = 60_000;

/**
 * A replay window: bounded, so one call reads at most a day of rollups and
 * returns at most MAX_REPLAY_FRAMES frames. Every problem is reported at
 * once, at the field it is about (`to`, `step`).
 */
export const TopologyReplayInputSchema = z
  .strictObject({
    from: z.date().describe("Start of the window (rounded down to the minute)."),
    to: z.date().describe("End of the window, exclusive (rounded up to the minute)."),
    step: z.number().int().min(60).max(3_600).multipleOf(60).default(60).describe("Seconds per frame, a multiple of 60 (60: minute by minute)."),
    cluster: z.string().min(1).max(253).optional().describe("Only edges with this cluster at either end (and SLO alerts of that cluster or mesh-wide)."),
    namespace: z.string().min(1).max(253).optional().describe("Only edges with this namespace at either end, and changes in it."),
  })
  .superRefine((input, ctx) => {
    const from = Math.floor(input.from.getTime() / MINUTE_MS) * MINUTE_MS;
    const to = Math.ceil(input.to.getTime() / MINUTE_MS) * MINUTE_MS;
    if (!(to > from)) {
      ctx.addIssue({ code: "custom", path: ["to"], message: "must be after from" });
      return;
    }
    if (to - from > MAX_REPLAY_SPAN_MS) ctx.addIssue({ code: "custom", path: ["to"], message: `the window may span at most ${MAX_REPLAY_SPAN_MS / 3_600_000} hours` });
    else if (Math.ceil((to - from) / (input.step * 1000)) > MAX_REPLAY_FRAMES) ctx.addIssue({ code: "custom", path: ["step"], message: `too many frames (at most ${MAX_REPLAY_FRAMES}): widen the step or narrow the window` });
  });
