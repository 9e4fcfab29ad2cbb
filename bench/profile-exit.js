// For profiling `fleetboot serve` under the shared kit (bench/README.md, "Fifth round"): loaded with
// `node --import bench/profile-exit.js [--cpu-prof --cpu-prof-dir=DIR] dist/cli/main.js serve …` from a copy of
// servers/fleetboot-dhcp.sh. On the kit's SIGTERM it appends each thread's CPU time (from /proc/self/task) as one
// JSON line to $PROFILE_THREADS_FILE, then exits at once: the kit sends SIGKILL 3 s after SIGTERM, before serve's
// drain ends, and a killed process writes no --cpu-prof profile. Not for production: it skips the drain.
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import process from 'node:process';
import { isMainThread } from 'node:worker_threads';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

if (isMainThread) {
  process.once('SIGTERM', () => {
    const threads = [];
    for (const tid of readdirSync('/proc/self/task')) {
      try {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        threads.push({
          tid: Number(tid),
          name,
          userS: Number(fields[11]) / TICKS_PER_SECOND,
          systemS: Number(fields[12]) / TICKS_PER_SECOND,
        });
      } catch {
        // a thread that ended meanwhile
      }
    }
    const file = process.env.PROFILE_THREADS_FILE;
    if (file !== undefined)
      appendFileSync(file, `${JSON.stringify({ at: new Date().toISOString(), threads })}\n`);
    process.exit(0);
  });
}
