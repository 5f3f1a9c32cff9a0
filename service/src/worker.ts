/** Entry file of the prime pool's worker threads (src/pool.ts starts it; src/worker-thread.ts runs). */
import { timedCountPrimesBelow } from "./primes.js";
import { serveTasks } from "./worker-thread.js";

serveTasks(timedCountPrimesBelow);
