// The container health check (deploy.json containerHealthCheck): exit 0 when the heartbeat is fresh.
import { heartbeatAge, workerSettings } from './worker.ts';

const { paths, maxHeartbeatAgeSeconds } = workerSettings();
const age = await heartbeatAge(paths.heartbeatFile);
if (age === undefined) {
  console.error(`unhealthy: no heartbeat at ${paths.heartbeatFile}`);
  process.exit(1);
}
if (age > maxHeartbeatAgeSeconds) {
  console.error(`unhealthy: heartbeat is ${Math.round(age)}s old (limit ${maxHeartbeatAgeSeconds}s)`);
  process.exit(1);
}
console.log(`healthy: heartbeat ${Math.round(age)}s old`);
