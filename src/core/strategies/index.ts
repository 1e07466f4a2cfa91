import type { Strategy } from "../../domain/swarm.ts";
import { mapReduce } from "./map-reduce.ts";
import { parallel } from "./parallel.ts";
import { pipeline } from "./pipeline.ts";
import type { SwarmStrategy } from "./strategy.ts";
import { tree } from "./tree.ts";

export const STRATEGIES: Record<Strategy, SwarmStrategy> = {
  parallel,
  "map-reduce": mapReduce,
  pipeline,
  tree,
};
